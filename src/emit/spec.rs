//! The API spec the operator uploads to S3 and the worker reads
//! (`CORTEX_API_SPEC`): `json.Marshal(spec.API)` (`asyncapi/api.go:476-490`).
//!
//! Every key `spec.API` serialises is written, in Go's field order
//! (`types/spec/api.go:35-47`, `types/userconfig/api.go:33-140`), nulls
//! included: the worker indexes keys such as `handler.models.cache_size`
//! directly (`serve/init/script.py:101`). Durations are Go `int64`
//! nanoseconds, quantities the text as written, `update_strategy` values
//! strings, maps with sorted keys.

use serde_json::{Map, Value, json};

use super::go;
use super::ids::{self, Ids};
use super::target::DeployTarget;
use crate::plan::{ApiPlan, IntOrString};

/// What the spec needs besides the plan: where the API came from.
pub struct Origin<'a> {
    /// The config file's name (`API.FileName`).
    pub file_name: &'a str,
    /// The API's position in the file (`API.Index`).
    pub index: usize,
    /// The API's mapping as written (`API.SubmittedAPISpec`).
    pub submitted: &'a Value,
}

/// The spec JSON and the IDs it carries.
pub struct RenderedSpec {
    pub ids: Ids,
    pub json: Vec<u8>,
}

pub fn render(
    plan: &ApiPlan,
    target: &DeployTarget,
    origin: &Origin<'_>,
    project_id: &str,
) -> Result<RenderedSpec, String> {
    let name = plan.name();
    let handler = handler(plan);
    let compute = compute(plan);
    let networking = json!({ "endpoint": plan.spec.networking.endpoint });
    let autoscaling = autoscaling(plan)?;
    let update_strategy = json!({
        "max_surge": int_or_string(&plan.spec.update_strategy.max_surge),
        "max_unavailable": int_or_string(&plan.spec.update_strategy.max_unavailable),
    });
    let resource = json!({ "name": name, "kind": "AsyncAPI" });
    // the sections spec/api.go:72-87 hashes for handlerID and specID
    let handler_part = [
        go::json_marshal(&resource)?,
        go::json_marshal(&handler)?,
        b"null".to_vec(),
        go::json_marshal(&compute)?,
    ]
    .concat();
    let spec_part = [
        b"null".to_vec(),
        go::json_marshal(&networking)?,
        go::json_marshal(&autoscaling)?,
        go::json_marshal(&update_strategy)?,
    ]
    .concat();
    let ids = Ids::derive(target, name, project_id, &handler_part, &spec_part);
    let mut api = Map::new();
    let fields = [
        ("name", json!(name)),
        ("kind", json!("AsyncAPI")),
        ("apis", Value::Null),
        ("handler", handler),
        ("definition", Value::Null),
        ("networking", networking),
        ("compute", compute),
        ("autoscaling", autoscaling),
        ("update_strategy", update_strategy),
        ("index", json!(origin.index)),
        ("file_name", json!(origin.file_name)),
        ("submitted_api_spec", go_value(origin.submitted.clone())),
        ("id", json!(ids.api_id)),
        ("spec_id", json!(ids.spec_id)),
        ("handler_id", json!(ids.handler_id)),
        ("deployment_id", json!(ids.deployment_id)),
        ("key", json!(ids::spec_key(target, name, &ids))),
        ("handler_key", json!(ids::handler_key(target, name, &ids))),
        ("last_updated", json!(0)),
        ("metadata_root", json!(ids::metadata_root(target, name))),
        ("project_id", json!(ids.project_id)),
        ("project_key", json!(ids::project_key(target, project_id))),
    ];
    for (key, value) in fields {
        api.insert(key.to_owned(), value);
    }
    let json = go::json_marshal(&Value::Object(api))?;
    Ok(RenderedSpec { ids, json })
}

/// `userconfig.Handler`, in its field order.
fn handler(plan: &ApiPlan) -> Value {
    let h = &plan.spec.handler;
    let m = &h.models;
    let paths = m.paths.as_ref().map(|paths| {
        paths
            .iter()
            .map(|p| json!({"name": p.name, "path": p.path, "signature_key": p.signature_key}))
            .collect::<Vec<_>>()
    });
    json!({
        "type": h.handler_type,
        "path": h.path,
        "protobuf_path": null,
        "multi_model_reloading": null,
        "models": {
            "path": m.path,
            "paths": paths,
            "dir": m.dir,
            // null for AsyncAPI, but always present (userconfig/api.go:82-83)
            "cache_size": null,
            "disk_cache_size": null,
            "signature_key": m.signature_key,
        },
        "server_side_batching": null,
        "processes_per_replica": h.processes_per_replica,
        "threads_per_process": h.threads_per_process,
        "shm_size": h.shm_size,
        "python_path": h.python_path,
        "log_level": h.log_level,
        "image": h.image,
        "tensorflow_serving_image": h.tensorflow_serving_image,
        "config": go_value(Value::Object(h.config.clone().into_iter().collect())),
        "env": h.env,
        "dependencies": {
            "pip": h.dependencies.pip,
            "conda": h.dependencies.conda,
            "shell": h.dependencies.shell,
        },
    })
}

fn compute(plan: &ApiPlan) -> Value {
    let c = &plan.spec.compute;
    json!({
        "cpu": c.cpu,
        "mem": c.mem,
        "gpu": c.gpu,
        "inf": c.inf,
        "node_groups": c.node_groups,
    })
}

fn autoscaling(plan: &ApiPlan) -> Result<Value, String> {
    let a = &plan.spec.autoscaling;
    let nanos = |written: &str| {
        crate::values::duration::parse(written)
            .map_err(|e| format!("duration `{written}`: {e}"))
            .and_then(|n| i64::try_from(n).map_err(|e| e.to_string()))
    };
    Ok(json!({
        "min_replicas": a.min_replicas,
        "max_replicas": a.max_replicas,
        "init_replicas": a.init_replicas,
        "target_replica_concurrency": go::json_float(a.target_replica_concurrency),
        "max_replica_concurrency": a.max_replica_concurrency,
        "window": nanos(&a.window)?,
        "downscale_stabilization_period": nanos(&a.downscale_stabilization_period)?,
        "upscale_stabilization_period": nanos(&a.upscale_stabilization_period)?,
        "max_downscale_factor": go::json_float(a.max_downscale_factor),
        "max_upscale_factor": go::json_float(a.max_upscale_factor),
        "downscale_tolerance": go::json_float(a.downscale_tolerance),
        "upscale_tolerance": go::json_float(a.upscale_tolerance),
    }))
}

/// `update_strategy` values are Go strings (`userconfig/api.go:137-140`).
fn int_or_string(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// A free-form value as Go's encoder writes a decoded YAML value: map keys
/// sorted, integral floats without `.0`.
pub fn go_value(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, go_value(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(go_value).collect()),
        Value::Number(n) if n.is_f64() => n.as_f64().map_or(Value::Null, go::json_float),
        other => other,
    }
}
