//! The gateway Deployment `gateway-<name>` (`asyncapi/k8s_specs.go:37-80`)
//! running Cortex's async-gateway with the flags it defines
//! (`async-gateway/main.go:80-102`, as `operator/k8s.go:310-360` passes them).

use serde_json::{Map, Value, json};

use super::ids::{self, Role};
use super::k8s::{self, Ctx, DeploymentParts, pod_spec};
use crate::plan::API_PORT;

pub fn deployment(ctx: &Ctx<'_>) -> Value {
    let name = ctx.name();
    let mut pod = Map::new();
    pod.insert("containers".into(), json!([container(ctx)]));
    k8s::deployment(
        ctx,
        DeploymentParts {
            name: ids::gateway_k8s_name(name),
            labels: ids::object_labels(name, ctx.ids, Role::Gateway),
            annotations: None,
            selector: ids::selector(name, Role::Gateway),
            replicas: 1,
            pod_labels: ids::pod_labels(name, ctx.ids, Role::Gateway),
            pod_spec: pod_spec(ctx, pod),
        },
    )
}

/// The gateway's arguments: Go `flag` syntax, the API name last.
pub fn args(ctx: &Ctx<'_>) -> Vec<String> {
    let t = ctx.target;
    vec![
        "-queue".into(),
        ctx.queue_url(),
        "-region".into(),
        t.region.clone(),
        "-bucket".into(),
        t.bucket.clone(),
        "-cluster".into(),
        t.cluster_name.clone(),
        "-port".into(),
        API_PORT.to_string(),
        ctx.name().to_owned(),
    ]
}

fn container(ctx: &Ctx<'_>) -> Value {
    let healthz = json!({ "httpGet": { "path": "/healthz", "port": API_PORT } });
    json!({
        "name": "gateway",
        "image": ctx.target.images.async_gateway,
        "imagePullPolicy": "Always",
        "args": args(ctx),
        "ports": [{ "containerPort": API_PORT }],
        "env": [{ "name": "CORTEX_LOG_LEVEL", "value": ctx.plan.spec.handler.log_level.to_uppercase() }],
        "resources": { "requests": { "cpu": "100m", "memory": "100Mi" } },
        "livenessProbe": healthz,
        "readinessProbe": healthz,
    })
}
