//! What the bundle needs to know about the cluster it deploys to: the one
//! input of `emit` that does not come from `cortex.yaml`.
//!
//! Cortex's operator reads these values from its cluster configuration
//! (`pkg/types/clusterconfig/cluster_config.go` `CoreConfig` and
//! `ManagedConfig`). Until `--cluster <cluster.yaml>` is wired to this struct,
//! `build` uses [`DeployTarget::test_target`].

use std::collections::BTreeMap;

use crate::plan::REGISTRY;
use crate::rules::handler::CORTEX_VERSION;

/// One node group of the cluster, in the cluster configuration's order
/// (the order weights the preferred affinities, `operator/k8s.go:1051-1117`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup {
    pub name: String,
    pub spot: bool,
}

/// The images the operator itself chooses (`CoreConfig.Image*`); the
/// handler and TF Serving images come from the API spec instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    pub downloader: String,
    pub async_gateway: String,
    pub neuron_rtd: String,
}

impl Default for Images {
    /// Cortex 0.34's defaults (`cluster_config.go` `Image*` fields).
    fn default() -> Self {
        let image = |component: &str| format!("{REGISTRY}/{component}:{CORTEX_VERSION}");
        Images {
            downloader: image("downloader"),
            async_gateway: image("async-gateway"),
            neuron_rtd: image("neuron-rtd"),
        }
    }
}

/// Everything the bundle needs from the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployTarget {
    pub cluster_name: String,
    pub region: String,
    /// The cluster's S3 bucket (specs, project zips, async workloads).
    pub bucket: String,
    /// The AWS account: SQS queue URLs contain it (`asyncapi/queue.go:70-80`).
    pub account_id: String,
    /// Always `default` in Cortex 0.34: the `apis-gateway` lives there.
    pub namespace: String,
    /// `CORTEX_TELEMETRY_SENTRY_USER_ID` of the worker (the operator's ID).
    pub operator_id: String,
    pub node_groups: Vec<NodeGroup>,
    /// The cluster's tags; Cortex adds `cortex.dev/cluster-name`
    /// (`cluster_config.go:900`) and tags each queue with them.
    pub tags: BTreeMap<String, String>,
    pub images: Images,
}

impl DeployTarget {
    /// TEMPORARY: the fixed cluster `build` deploys to until `--cluster` is
    /// merged (the lead wires the cluster configuration to this struct).
    /// The golden bundles use it too. The account is moto's default one, so
    /// `publish` against moto yields exactly these queue URLs.
    pub fn test_target() -> Self {
        let cluster_name = "cortex".to_owned();
        let tags = [("cortex.dev/cluster-name".to_owned(), cluster_name.clone())]
            .into_iter()
            .collect();
        DeployTarget {
            region: "us-east-1".into(),
            bucket: "cortex-tfc-test-bucket".into(),
            account_id: "123456789012".into(),
            namespace: "default".into(),
            operator_id: "cortex-tfc-test-operator".into(),
            node_groups: [
                ("cpu-od", false),
                ("cpu-spot", true),
                ("gpu", false),
                ("inf", false),
            ]
            .into_iter()
            .map(|(name, spot)| NodeGroup {
                name: name.into(),
                spot,
            })
            .collect(),
            tags,
            images: Images::default(),
            cluster_name,
        }
    }
}
