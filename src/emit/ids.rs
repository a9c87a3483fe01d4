//! The one place for the operator's names, S3 keys, IDs, labels and
//! annotations.
//!
//! Where the operator uses something random or time-based, the format is
//! kept and the value derived from the content, so the same input gives
//! the same bytes:
//! * `deploymentID`: 10 characters, a letter then letters/digits, like
//!   `k8s.RandomName()[:10]` (`asyncapi/api.go:63-65`); derived from the
//!   cluster and API names, so it is stable across rebuilds as the operator
//!   keeps it across updates (`asyncapi/api.go:73-76`), and so is the queue.
//! * the API ID's time part (`spec/id_gen.go:29-35`) is the one for Unix
//!   time 0, and `last_updated` is 0.
//! * `handlerID` / `specID` are SHA-256 hex (63 / 32 characters, as
//!   `hash.Bytes`) of the same sections `spec/api.go:69-87` hashes, written
//!   as our spec JSON rather than Cortex's `s.Obj` text.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::go;
use super::target::DeployTarget;
use crate::plan::ApiPlan;
use crate::rules::handler::CORTEX_VERSION;

/// The IDs of one API, as `spec.GetAPISpec` lays them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub project_id: String,
    pub handler_id: String,
    pub spec_id: String,
    pub deployment_id: String,
    pub api_id: String,
}

/// `hash.Bytes`: SHA-256 hex cut to 63 characters (a label value's limit).
pub fn hash_bytes(bytes: &[u8]) -> String {
    let mut hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex.truncate(63);
    hex
}

impl Ids {
    /// `handler_part` / `spec_part`: the serialised sections each ID covers.
    pub fn derive(
        target: &DeployTarget,
        api_name: &str,
        project_id: &str,
        handler_part: &[u8],
        spec_part: &[u8],
    ) -> Ids {
        let handler_id = hash_bytes(&[handler_part, project_id.as_bytes()].concat());
        let mut spec_id = hash_bytes(&[handler_id.as_bytes(), spec_part].concat());
        spec_id.truncate(32);
        let deployment_id = deployment_id(&target.cluster_name, api_name);
        // math.MaxInt64 - UnixNano() at time 0, in hex
        let api_id = format!("{:x}-{deployment_id}-{spec_id}", i64::MAX);
        Ids {
            project_id: project_id.to_owned(),
            handler_id,
            spec_id,
            deployment_id,
            api_id,
        }
    }
}

fn deployment_id(cluster: &str, api: &str) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digest = Sha256::digest(format!("{cluster}\n{api}").as_bytes());
    digest
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, b)| {
            let set = if i == 0 { LETTERS } else { ALNUM };
            char::from(set[usize::from(*b) % set.len()])
        })
        .collect()
}

/// `operator.K8sName`: the worker Deployment, Service and VirtualService.
pub fn api_k8s_name(api: &str) -> String {
    format!("api-{api}")
}

/// `getGatewayK8sName`: the gateway Deployment and its HPA.
pub fn gateway_k8s_name(api: &str) -> String {
    format!("gateway-{api}")
}

/// `spec.Key` (`spec/api.go:117-126`).
pub fn spec_key(target: &DeployTarget, api: &str, ids: &Ids) -> String {
    format!(
        "{}/apis/{api}/api/{}/{CORTEX_VERSION}-spec.json",
        target.cluster_name, ids.api_id
    )
}

/// `spec.HandlerKey` (`spec/api.go:106-115`): the spec the pods download.
pub fn handler_key(target: &DeployTarget, api: &str, ids: &Ids) -> String {
    format!(
        "{}/apis/{api}/handler/{}/{CORTEX_VERSION}-spec.json",
        target.cluster_name, ids.handler_id
    )
}

/// `spec.MetadataRoot` (`spec/api.go:138-145`).
pub fn metadata_root(target: &DeployTarget, api: &str) -> String {
    format!("{}/apis/{api}/metadata", target.cluster_name)
}

/// `spec.ProjectKey` (`spec/api.go:147-153`).
pub fn project_key(target: &DeployTarget, project_id: &str) -> String {
    format!("{}/projects/{project_id}.zip", target.cluster_name)
}

/// `aws.S3Path`.
pub fn s3_path(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// Where the gateway writes workloads and the worker reads them
/// (`operator/k8s.go:613-616`, `async-gateway/service.go:153-155`).
pub fn workload_path(target: &DeployTarget, api: &str) -> String {
    s3_path(
        &target.bucket,
        &format!("{}/apis/{api}/workloads", target.cluster_name),
    )
}

/// `apiQueueName` (`asyncapi/queue.go:55-57`, `SQSNamePrefix` in
/// `clusterconfig/cluster_config.go:773-776`).
pub fn queue_name(target: &DeployTarget, api: &str, ids: &Ids) -> String {
    let cluster_hash = hash_bytes(target.cluster_name.as_bytes());
    format!("cx_{}_{api}_{}.fifo", &cluster_hash[..8], ids.deployment_id)
}

/// The queue URL as the operator computes it (`asyncapi/queue.go:70-80`).
pub fn queue_url(target: &DeployTarget, api: &str, ids: &Ids) -> String {
    format!(
        "https://sqs.{}.amazonaws.com/{}/{}",
        target.region,
        target.account_id,
        queue_name(target, api, ids)
    )
}

pub type Labels = BTreeMap<String, String>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Which object family a label set is for: the value of `cortex.dev/async`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Api,
    Gateway,
    Hpa,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Api => "api",
            Role::Gateway => "gateway",
            Role::Hpa => "hpa",
        }
    }
}

/// Object labels with every ID (`asyncapi/k8s_specs.go:50-59,93-102,144-153,177-186`).
pub fn object_labels(api: &str, ids: &Ids, role: Role) -> Labels {
    labels(&[
        ("apiName", api),
        ("apiKind", "AsyncAPI"),
        ("apiID", &ids.api_id),
        ("specID", &ids.spec_id),
        ("deploymentID", &ids.deployment_id),
        ("handlerID", &ids.handler_id),
        ("cortex.dev/api", "true"),
        ("cortex.dev/async", role.as_str()),
    ])
}

/// Pod template labels (`k8s_specs.go:61-68,194-201`).
pub fn pod_labels(api: &str, ids: &Ids, role: Role) -> Labels {
    labels(&[
        ("apiName", api),
        ("apiKind", "AsyncAPI"),
        ("deploymentID", &ids.deployment_id),
        ("handlerID", &ids.handler_id),
        ("cortex.dev/api", "true"),
        ("cortex.dev/async", role.as_str()),
    ])
}

/// The Service's labels: no IDs (`k8s_specs.go:118-123`).
pub fn service_labels(api: &str) -> Labels {
    labels(&[
        ("apiName", api),
        ("apiKind", "AsyncAPI"),
        ("cortex.dev/api", "true"),
        ("cortex.dev/async", "gateway"),
    ])
}

/// Deployment and Service selectors (`k8s_specs.go:45-49,124-128,188-192`).
pub fn selector(api: &str, role: Role) -> Labels {
    labels(&[
        ("apiName", api),
        ("apiKind", "AsyncAPI"),
        ("cortex.dev/async", role.as_str()),
    ])
}

/// `API.ToK8sAnnotations` (`userconfig/api.go:231-257`): what the
/// operator's autoscaler reads back (`AutoscalingFromAnnotations`).
pub fn annotations(plan: &ApiPlan) -> Result<Labels, String> {
    let h = &plan.spec.handler;
    let a = &plan.spec.autoscaling;
    let duration = |written: &str| {
        crate::values::duration::parse(written)
            .map(go::duration_string)
            .map_err(|e| format!("duration `{written}`: {e}"))
    };
    let pairs = [
        (
            "handler.cortex.dev/processes-per-replica",
            h.processes_per_replica.to_string(),
        ),
        (
            "handler.cortex.dev/threads-per-process",
            h.threads_per_process.to_string(),
        ),
        (
            "networking.cortex.dev/endpoint",
            plan.spec.networking.endpoint.clone(),
        ),
        (
            "autoscaling.cortex.dev/min-replicas",
            a.min_replicas.to_string(),
        ),
        (
            "autoscaling.cortex.dev/max-replicas",
            a.max_replicas.to_string(),
        ),
        (
            "autoscaling.cortex.dev/target-replica-concurrency",
            go::format_float(a.target_replica_concurrency),
        ),
        (
            "autoscaling.cortex.dev/max-replica-concurrency",
            a.max_replica_concurrency.to_string(),
        ),
        ("autoscaling.cortex.dev/window", duration(&a.window)?),
        (
            "autoscaling.cortex.dev/downscale-stabilization-period",
            duration(&a.downscale_stabilization_period)?,
        ),
        (
            "autoscaling.cortex.dev/upscale-stabilization-period",
            duration(&a.upscale_stabilization_period)?,
        ),
        (
            "autoscaling.cortex.dev/max-downscale-factor",
            go::format_float(a.max_downscale_factor),
        ),
        (
            "autoscaling.cortex.dev/max-upscale-factor",
            go::format_float(a.max_upscale_factor),
        ),
        (
            "autoscaling.cortex.dev/downscale-tolerance",
            go::format_float(a.downscale_tolerance),
        ),
        (
            "autoscaling.cortex.dev/upscale-tolerance",
            go::format_float(a.upscale_tolerance),
        ),
    ];
    Ok(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Ids {
        Ids::derive(&DeployTarget::test_target(), "iris", "p", b"h", b"s")
    }

    #[test]
    fn ids_keep_the_operators_formats() {
        let ids = ids();
        assert_eq!(ids.handler_id.len(), 63);
        assert_eq!(ids.spec_id.len(), 32);
        assert_eq!(ids.deployment_id.len(), 10);
        assert!(ids.deployment_id.as_bytes()[0].is_ascii_lowercase());
        assert!(
            ids.deployment_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        // time part, deployment ID, spec ID (spec/api.go:89)
        let parts: Vec<&str> = ids.api_id.split('-').collect();
        assert_eq!(
            parts,
            ["7fffffffffffffff", &ids.deployment_id, &ids.spec_id]
        );
        assert_eq!(ids, self::ids(), "deterministic");
    }

    #[test]
    fn queue_name_is_the_operators() {
        let target = DeployTarget::test_target();
        let ids = ids();
        let name = queue_name(&target, "iris", &ids);
        // "cx_" + hash(cluster)[:8] + "_" + api + "_" + deploymentID + ".fifo"
        let expected = format!(
            "cx_{}_iris_{}.fifo",
            &hash_bytes(b"cortex")[..8],
            ids.deployment_id
        );
        assert_eq!(name, expected);
        assert_eq!(
            queue_url(&target, "iris", &ids),
            format!("https://sqs.us-east-1.amazonaws.com/123456789012/{expected}")
        );
    }
}
