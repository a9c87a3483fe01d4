//! The worker Deployment `api-<name>` (`asyncapi/k8s_specs.go:157-217`):
//! the `downloader` init container, `api` (Cortex's TensorFlow handler
//! image), `serve` (TF Serving) and, on Inferentia, `neuron-rtd`
//! (`operator/k8s.go:196-233,474-591,790-891`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::go;
use super::ids::{self, Role};
use super::k8s::{self, Ctx, DeploymentParts, pod_spec};
use crate::plan::{API_PORT, ApiPlan, Resources, SERVING_PORT, neuron_core_group_size};
use crate::values::quantity::{self, GoFormat};

/// Where the downloader puts the spec (`operator/k8s.go:71`).
pub const API_SPEC_PATH: &str = "/mnt/spec/spec.json";
/// `_tfServingEmptyModelConfig`: run.sh writes an empty config here; the
/// worker then loads the models over gRPC. Nothing may be mounted at
/// `/etc/tfs` (`images/tensorflow-serving-cpu/run.sh:20-21` runs `mkdir`).
const TFS_EMPTY_MODEL_CONFIG: &str = "/etc/tfs/model_config_server.conf";

pub fn deployment(ctx: &Ctx<'_>) -> Result<Value, String> {
    let name = ctx.name();
    let a = &ctx.plan.spec.autoscaling;
    let mut pod = Map::new();
    pod.insert("initContainers".into(), json!([downloader(ctx)]));
    pod.insert("containers".into(), json!(containers(ctx)));
    pod.insert("volumes".into(), json!(volumes(ctx.plan)));
    Ok(k8s::deployment(
        ctx,
        DeploymentParts {
            name: ids::api_k8s_name(name),
            labels: ids::object_labels(name, ctx.ids, Role::Api),
            annotations: Some(ids::annotations(ctx.plan)?),
            selector: ids::selector(name, Role::Api),
            // a first deploy: init_replicas clamped to [min, max]
            // (k8s_specs.go:219-235)
            replicas: a
                .init_replicas
                .clamp(a.min_replicas, a.max_replicas.max(a.min_replicas)),
            pod_labels: ids::pod_labels(name, ctx.ids, Role::Api),
            pod_spec: pod_spec(ctx, pod),
        },
    ))
}

fn log_level(plan: &ApiPlan) -> String {
    plan.spec.handler.log_level.to_uppercase()
}

/// `baseEnvVars` (`operator/k8s.go:980-992`): the cluster's `env-vars`
/// ConfigMap (CORTEX_VERSION, CORTEX_REGION, AWS_DEFAULT_REGION, ...,
/// `manager/install.sh` `setup_configmap`).
fn env_from() -> Value {
    json!([{ "configMapRef": { "name": "env-vars" } }])
}

fn env(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// `defaultVolumeMounts` plus the optional ones, the same list for `api`
/// and `serve` (`operator/k8s.go:478,517,556-559,568,580-582`).
fn volume_mounts(plan: &ApiPlan) -> Vec<Value> {
    let mut mounts = default_mounts();
    if plan.neuron_rtd.is_some() {
        mounts.push(json!({ "name": "neuron-sock", "mountPath": "/sock" }));
    }
    if plan.spec.handler.shm_size.is_some() {
        mounts.push(json!({ "name": "dshm", "mountPath": "/dev/shm" }));
    }
    mounts
}

fn default_mounts() -> Vec<Value> {
    vec![
        json!({ "name": "mnt", "mountPath": "/mnt" }),
        json!({ "name": "client-config", "mountPath": "/mnt/client/cli.yaml", "subPath": "cli.yaml" }),
    ]
}

/// `DefaultVolumes` plus the optional ones (`operator/k8s.go:994-1008,508-510,546-555`).
fn volumes(plan: &ApiPlan) -> Vec<Value> {
    let mut volumes = vec![
        json!({ "name": "mnt", "emptyDir": {} }),
        json!({ "name": "client-config", "configMap": { "name": "client-config" } }),
    ];
    if plan.neuron_rtd.is_some() {
        // no source: the API server defaults it to an emptyDir
        volumes.push(json!({ "name": "neuron-sock" }));
    }
    if let Some(shm) = &plan.spec.handler.shm_size {
        // the parsed quantity, written by Go (`1024Mi` is `1Gi`)
        let limit = quantity::go_string(shm).unwrap_or_else(|| shm.clone());
        volumes.push(
            json!({ "name": "dshm", "emptyDir": { "medium": "Memory", "sizeLimit": limit } }),
        );
    }
    volumes
}

/// The downloader's argument: base64url of the JSON `InitContainer` builds
/// (`operator/k8s.go:196-233`): the project zip unzipped into
/// `/mnt/project`, the spec written to the file `/mnt/spec/spec.json`
/// (`to_file`). Models are not downloaded here; the worker does it.
pub fn download_arg(ctx: &Ctx<'_>) -> Result<String, String> {
    let bucket = &ctx.target.bucket;
    let config = json!({
        "download_args": [
            {
                "from": ids::s3_path(bucket, &ids::project_key(ctx.target, &ctx.ids.project_id)),
                "to": "/mnt/project",
                "to_file": false,
                "unzip": true,
                "item_name": "the project code",
                "hide_from_log": true,
                "hide_unzipping_log": true,
            },
            {
                "from": ids::s3_path(bucket, &ids::handler_key(ctx.target, ctx.name(), ctx.ids)),
                "to": API_SPEC_PATH,
                "to_file": true,
                "unzip": false,
                "item_name": "the api spec",
                "hide_from_log": true,
                "hide_unzipping_log": true,
            },
        ],
        "last_log": format!("downloading the {} serving image", ctx.plan.spec.handler.handler_type),
    });
    Ok(format!(
        "--download={}",
        go::base64_url(&go::json_marshal(&config)?)
    ))
}

fn downloader(ctx: &Ctx<'_>) -> Value {
    // json_marshal of a json! value cannot fail; keep the container valid anyway
    let arg = download_arg(ctx).unwrap_or_default();
    json!({
        "name": "downloader",
        "image": ctx.target.images.downloader,
        "imagePullPolicy": "Always",
        "args": [arg],
        "envFrom": env_from(),
        "env": [env("CORTEX_LOG_LEVEL", log_level(ctx.plan))],
        "volumeMounts": default_mounts(),
    })
}

fn containers(ctx: &Ctx<'_>) -> Vec<Value> {
    let mut containers = Vec::new();
    if let Some(rtd) = &ctx.plan.neuron_rtd {
        containers.push(neuron_rtd(ctx, rtd));
    }
    containers.push(api(ctx));
    containers.push(serve(ctx));
    containers
}

/// `apiContainerEnvVars` + `getAsyncAPIEnvVars` (`operator/k8s.go:605-620,729-788`).
/// The user's env comes in sorted order (Go iterates a map).
fn api_env(ctx: &Ctx<'_>) -> Vec<Value> {
    let h = &ctx.plan.spec.handler;
    let mut vars = vec![
        env("CORTEX_TELEMETRY_SENTRY_USER_ID", &ctx.target.operator_id),
        env("CORTEX_TELEMETRY_SENTRY_ENVIRONMENT", "api"),
        env("CORTEX_DEBUGGING", "false"),
        json!({ "name": "HOST_IP", "valueFrom": { "fieldRef": { "fieldPath": "status.hostIP" } } }),
        env("CORTEX_API_SPEC", API_SPEC_PATH),
    ];
    vars.extend(h.env.iter().map(|(k, v)| env(k, v)));
    vars.extend([
        env("CORTEX_TF_BASE_SERVING_PORT", SERVING_PORT.to_string()),
        env("CORTEX_TF_SERVING_HOST", "localhost"),
        env("CORTEX_QUEUE_URL", ctx.queue_url()),
        env(
            "CORTEX_ASYNC_WORKLOAD_PATH",
            ids::workload_path(ctx.target, ctx.name()),
        ),
    ]);
    vars
}

fn api(ctx: &Ctx<'_>) -> Value {
    json!({
        "name": "api",
        "image": ctx.plan.spec.handler.image,
        "imagePullPolicy": "Always",
        "env": api_env(ctx),
        "envFrom": env_from(),
        "volumeMounts": volume_mounts(ctx.plan),
        // FileExistsProbe (operator/k8s.go:922-935)
        "readinessProbe": exec_probe("test -f /mnt/workspace/api_readiness.txt"),
        "resources": resources(&ctx.plan.api),
        "ports": [{ "containerPort": API_PORT }],
        "securityContext": { "privileged": true },
    })
}

fn exec_probe(command: &str) -> Value {
    json!({
        "exec": { "command": ["/bin/bash", "-c", command] },
        "initialDelaySeconds": 3,
        "timeoutSeconds": 5,
        "periodSeconds": 5,
        "successThreshold": 1,
        "failureThreshold": 1,
    })
}

/// `tensorflowServingEnvVars` (`operator/k8s.go:656-727`).
fn serve_env(ctx: &Ctx<'_>) -> Vec<Value> {
    let h = &ctx.plan.spec.handler;
    let mut vars = vec![
        env(
            "TF_CPP_MIN_LOG_LEVEL",
            crate::plan::tf_cpp_min_log_level(h.log_level),
        ),
        env("TF_PROCESSES", h.processes_per_replica.to_string()),
        env("CORTEX_TF_BASE_SERVING_PORT", SERVING_PORT.to_string()),
        env("TF_EMPTY_MODEL_CONFIG", TFS_EMPTY_MODEL_CONFIG),
        env("TF_MAX_NUM_LOAD_RETRIES", "0"),
        env("TF_LOAD_RETRY_INTERVAL_MICROS", "30000000"),
        env(
            "TF_GRPC_MAX_CONCURRENT_STREAMS",
            format!(
                "--grpc_channel_arguments=\"grpc.max_concurrent_streams={}\"",
                h.threads_per_process + 10
            ),
        ),
    ];
    if ctx.plan.neuron_rtd.is_some() {
        vars.push(env(
            "NEURONCORE_GROUP_SIZES",
            neuron_core_group_size(&ctx.plan.spec).to_string(),
        ));
        vars.push(env("NEURON_RTD_ADDRESS", "unix:/sock/neuron.sock"));
    }
    vars
}

/// `tensorflowServingContainer` (`operator/k8s.go:790-861`).
fn serve(ctx: &Ctx<'_>) -> Value {
    let h = &ctx.plan.spec.handler;
    let inf = ctx.plan.neuron_rtd.is_some();
    // one TF Serving per process on Inferentia, each on its own port
    let port_count = if inf {
        h.processes_per_replica.max(1)
    } else {
        1
    };
    let ports: Vec<Value> = (0..port_count)
        .map(|i| json!({ "containerPort": i64::from(SERVING_PORT) + i }))
        .collect();
    let handler = if port_count == 1 {
        json!({ "tcpSocket": { "port": SERVING_PORT } })
    } else {
        let last = i64::from(SERVING_PORT) + port_count - 1;
        json!({ "exec": { "command": ["/bin/bash", "-c",
            format!("test $(nc -zv localhost {SERVING_PORT}-{last} 2>&1 | wc -l) -eq {port_count}")] } })
    };
    let mut probe = json!({
        "initialDelaySeconds": 5,
        "timeoutSeconds": 5,
        "periodSeconds": 5,
        "successThreshold": 1,
        "failureThreshold": 2,
    });
    if let (Some(p), Some(h)) = (probe.as_object_mut(), handler.as_object()) {
        p.extend(h.clone());
    }
    let mut serve = Map::new();
    serve.insert("name".into(), json!("serve"));
    serve.insert("image".into(), json!(h.tensorflow_serving_image));
    serve.insert("imagePullPolicy".into(), json!("Always"));
    if !inf {
        // the Inferentia image has its own entrypoint; the quotes are
        // literal, as the operator writes them (no shell in between)
        serve.insert(
            "args".into(),
            json!([
                format!("--port={SERVING_PORT}"),
                format!("--model_config_file={TFS_EMPTY_MODEL_CONFIG}"),
                "--max_num_load_retries=0",
                "--load_retry_interval_micros=30000000",
                format!(
                    "--grpc_channel_arguments=\"grpc.max_concurrent_streams={}\"",
                    h.processes_per_replica * h.threads_per_process + 10
                ),
            ]),
        );
    }
    serve.insert("env".into(), json!(serve_env(ctx)));
    serve.insert("envFrom".into(), env_from());
    serve.insert("volumeMounts".into(), json!(volume_mounts(ctx.plan)));
    serve.insert("readinessProbe".into(), probe);
    serve.insert("resources".into(), resources(&ctx.plan.serve));
    serve.insert("ports".into(), json!(ports));
    Value::Object(serve)
}

/// `neuronRuntimeDaemonContainer` (`operator/k8s.go:863-891`): no memory
/// limit, hugepages and NeuronCores as requests and limits.
fn neuron_rtd(ctx: &Ctx<'_>, rtd: &Resources) -> Value {
    json!({
        "name": "neuron-rtd",
        "image": ctx.target.images.neuron_rtd,
        "imagePullPolicy": "Always",
        "securityContext": { "capabilities": { "add": ["SYS_ADMIN", "IPC_LOCK"] } },
        "volumeMounts": [{ "name": "neuron-sock", "mountPath": "/sock" }],
        "readinessProbe": exec_probe("test -S /sock/neuron.sock"),
        "resources": resources(rtd),
    })
}

/// Requests (and limits for the extended resources) of one container.
fn resources(r: &Resources) -> Value {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    // written as the operator's quantities write themselves
    // (`operator/k8s.go:482-541`, `neuronRuntimeDaemonContainer`)
    if let Some(cpu) = r.cpu_millis {
        requests.insert("cpu", quantity::go_milli(cpu));
    }
    if let Some(mem) = r.mem_millis {
        requests.insert("memory", quantity::go_milli(mem));
    }
    let extended = [
        (
            "nvidia.com/gpu",
            quantity::go_units(r.gpu.into(), GoFormat::DecimalSi),
        ),
        (
            "aws.amazon.com/neuron",
            quantity::go_units(r.inf.into(), GoFormat::DecimalSi),
        ),
        (
            "hugepages-2Mi",
            quantity::go_units(i128::from(r.hugepages_mi) << 20, GoFormat::BinarySi),
        ),
    ];
    let present = [r.gpu > 0, r.inf > 0, r.hugepages_mi > 0];
    for ((key, value), _) in extended.into_iter().zip(present).filter(|(_, p)| *p) {
        requests.insert(key, value.clone());
        limits.insert(key, value);
    }
    let mut out = Map::new();
    if !limits.is_empty() {
        out.insert("limits".into(), json!(limits));
    }
    out.insert("requests".into(), json!(requests));
    Value::Object(out)
}
