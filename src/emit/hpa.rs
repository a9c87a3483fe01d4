//! The gateway's HorizontalPodAutoscaler (`asyncapi/k8s_specs.go:82-109`,
//! `lib/k8s/hpa.go`): `autoscaling/v2beta2`, the version Cortex's client
//! uses (`lib/k8s/k8s.go:110`) and Kubernetes 1.18 serves.

use serde_json::{Value, json};

use super::ids::{self, Role};
use super::k8s::{Ctx, metadata};

/// Target utilisation of the gateway's CPU and memory, in percent.
const TARGET_UTILIZATION: i64 = 80;

pub fn hpa(ctx: &Ctx<'_>) -> Value {
    let name = ctx.name();
    let gateway = ids::gateway_k8s_name(name);
    let metric = |resource: &str| {
        json!({ "type": "Resource", "resource": { "name": resource,
            "target": { "type": "Utilization", "averageUtilization": TARGET_UTILIZATION } } })
    };
    json!({
        "apiVersion": "autoscaling/v2beta2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(ctx, &gateway, ids::object_labels(name, ctx.ids, Role::Hpa), None),
        "spec": {
            "scaleTargetRef": { "kind": "Deployment", "name": gateway, "apiVersion": "apps/v1" },
            "minReplicas": 1,
            "maxReplicas": ctx.plan.spec.autoscaling.max_replicas,
            "metrics": [metric("cpu"), metric("memory")],
        },
    })
}
