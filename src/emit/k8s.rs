//! `k8s.yaml`: the objects Cortex 0.34's operator creates for an AsyncAPI
//! (`pkg/operator/resources/asyncapi/k8s_specs.go`), one builder per object
//! family, serialised to multi-document YAML from structured values (never
//! templated text):
//!
//! * [`super::worker`]: the API Deployment (downloader, api, serve, neuron-rtd);
//! * [`super::gateway`]: the gateway Deployment;
//! * [`super::service`]: the Service in front of the gateway;
//! * [`super::hpa`]: the gateway's HorizontalPodAutoscaler;
//! * [`super::virtual_service`]: the Istio route to it.
//!
//! Everything the cluster decides comes from the [`DeployTarget`]; names,
//! labels and IDs from [`super::ids`]. Nothing refers to objects the user
//! must create besides what a Cortex 0.34 cluster already has (the
//! `env-vars` and `client-config` ConfigMaps, `apis-gateway`).

use serde_json::{Map, Value, json};

use super::ids::{self, Ids, Labels};
use super::target::DeployTarget;
use super::{gateway, hpa, service, virtual_service, worker};
use crate::plan::{ApiPlan, IntOrString};

/// Kubernetes version of a Cortex 0.34 cluster (`manager/generate_eks.py:20`);
/// the manifests are validated against its schemas.
pub const KUBERNETES_VERSION: &str = "1.18";

/// What every object builder reads.
pub struct Ctx<'a> {
    pub plan: &'a ApiPlan,
    pub target: &'a DeployTarget,
    pub ids: &'a Ids,
}

impl Ctx<'_> {
    pub fn name(&self) -> &str {
        self.plan.name()
    }

    pub fn queue_url(&self) -> String {
        ids::queue_url(self.target, self.name(), self.ids)
    }
}

/// Renders every object of one API, in the order the operator applies them
/// (`asyncapi/api.go` `applyK8sResources`).
pub fn manifests(ctx: &Ctx<'_>) -> Result<String, String> {
    let documents = [
        worker::deployment(ctx)?,
        gateway::deployment(ctx),
        service::service(ctx)?,
        hpa::hpa(ctx),
        virtual_service::virtual_service(ctx)?,
    ];
    let mut out = String::new();
    for document in documents {
        let yaml = serde_saphyr::to_string(&document)
            .map_err(|e| format!("k8s.yaml for `{}`: {e}", ctx.name()))?;
        out.push_str("---\n");
        out.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// `metadata`, in the target's namespace.
pub fn metadata(ctx: &Ctx<'_>, name: &str, labels: Labels, annotations: Option<Labels>) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    meta.insert("namespace".into(), json!(ctx.target.namespace));
    meta.insert("labels".into(), json!(labels));
    if let Some(annotations) = annotations {
        meta.insert("annotations".into(), json!(annotations));
    }
    Value::Object(meta)
}

/// `intstr.Parse` of a Cortex `update_strategy` string
/// (`lib/k8s/deployment.go:56-67`): digits become an int.
pub fn int_or_string(value: &IntOrString) -> Value {
    match value {
        IntOrString::Int(n) => json!(n),
        IntOrString::String(s) => s.parse::<i32>().map_or_else(|_| json!(s), |n| json!(n)),
    }
}

/// A Deployment as `k8s.Deployment` builds it (`lib/k8s/deployment.go:45-92`).
pub struct DeploymentParts {
    pub name: String,
    pub labels: Labels,
    pub annotations: Option<Labels>,
    pub selector: Labels,
    pub replicas: i64,
    pub pod_labels: Labels,
    pub pod_spec: Value,
}

pub fn deployment(ctx: &Ctx<'_>, parts: DeploymentParts) -> Value {
    let strategy = &ctx.plan.spec.update_strategy;
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(ctx, &parts.name, parts.labels, parts.annotations),
        "spec": {
            "replicas": parts.replicas,
            "selector": { "matchLabels": parts.selector },
            "template": {
                "metadata": { "name": parts.name, "labels": parts.pod_labels },
                "spec": parts.pod_spec,
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": int_or_string(&strategy.max_surge),
                    "maxUnavailable": int_or_string(&strategy.max_unavailable),
                },
            },
        },
    })
}

/// The pod-level settings both Deployments share
/// (`k8s_specs.go:69-77,202-214`, `operator/k8s.go:1021-1117`).
pub fn pod_spec(ctx: &Ctx<'_>, containers: Map<String, Value>) -> Value {
    let mut spec = containers;
    spec.insert("restartPolicy".into(), json!("Always"));
    spec.insert("terminationGracePeriodSeconds".into(), json!(60));
    spec.insert("nodeSelector".into(), json!({ "workload": "true" }));
    spec.insert("tolerations".into(), tolerations());
    spec.insert("affinity".into(), affinity(ctx));
    spec.insert("serviceAccountName".into(), json!("default"));
    Value::Object(spec)
}

/// `GenerateResourceTolerations` (`operator/k8s.go:1027-1049`).
fn tolerations() -> Value {
    json!([
        { "key": "workload", "operator": "Equal", "value": "true", "effect": "NoSchedule" },
        { "key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule" },
        { "key": "aws.amazon.com/neuron", "operator": "Equal", "value": "true", "effect": "NoSchedule" },
    ])
}

/// `GenerateNodeAffinities` (`operator/k8s.go:1051-1117`): a preferred
/// term per node group, weighted by its position in the cluster
/// configuration; a required term too when the API names its node groups.
/// Node groups are `cx-ws-<name>` (spot) or `cx-wd-<name>`
/// (`manager/generate_eks.py:66,97`).
pub fn affinity(ctx: &Ctx<'_>) -> Value {
    let wanted = ctx.plan.spec.compute.node_groups.as_ref();
    let groups: Vec<_> = ctx
        .target
        .node_groups
        .iter()
        .filter(|g| wanted.is_none_or(|w| w.contains(&g.name)))
        .collect();
    // Cortex divides by the API's count, or the cluster's when unset
    let count = wanted.map_or(ctx.target.node_groups.len(), Vec::len) as f64;
    let names: Vec<String> = groups
        .iter()
        .map(|g| {
            let prefix = if g.spot { "cx-ws-" } else { "cx-wd-" };
            format!("{prefix}{}", g.name)
        })
        .collect();
    let preferred: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // int32(100 * (1 - idx/n)), truncated as Go converts
            let weight = (100.0 * (1.0 - i as f64 / count)) as i32;
            json!({ "weight": weight, "preference": { "matchExpressions": [
                { "key": "alpha.eksctl.io/nodegroup-name", "operator": "In", "values": [name] }
            ]}})
        })
        .collect();
    let mut node_affinity = Map::new();
    if wanted.is_some() {
        node_affinity.insert(
            "requiredDuringSchedulingIgnoredDuringExecution".into(),
            json!({ "nodeSelectorTerms": [{ "matchExpressions": [
                { "key": "alpha.eksctl.io/nodegroup-name", "operator": "In", "values": names }
            ]}]}),
        );
    }
    if !preferred.is_empty() {
        node_affinity.insert(
            "preferredDuringSchedulingIgnoredDuringExecution".into(),
            json!(preferred),
        );
    }
    json!({ "nodeAffinity": node_affinity })
}
