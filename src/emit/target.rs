//! What the bundle needs to know about the cluster it deploys to: the one
//! input of `emit` that does not come from `cortex.yaml`.
//!
//! Cortex's operator reads these values from its cluster configuration
//! (`pkg/types/clusterconfig/cluster_config.go` `CoreConfig` and
//! `ManagedConfig`); `build` takes them from `--cluster <cluster.yaml>`
//! (with `--bucket` and `--account-id`) through [`DeployTarget::from_cluster`].

use std::collections::BTreeMap;

use crate::cluster::ClusterConfig;
use crate::emit::ids::hash_bytes;
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
    /// From Cortex's cluster configuration (`--cluster`, with `--bucket` and
    /// `--account-id`), as the operator reads it: the bucket and account
    /// come from the file or the flags, never guessed (Cortex derives the
    /// default bucket from the account, `cluster_config.go:846-849`); the
    /// operator's ID is the hashed account id (`pkg/lib/aws/sts.go:47`,
    /// `pkg/operator/config/config.go:87-94`); the cluster name is added to
    /// the tags (`cluster_config.go:900`).
    pub fn from_cluster(cluster: &ClusterConfig) -> Result<Self, String> {
        let missing: Vec<&str> = [
            (
                "the bucket (`bucket:` in cluster.yaml, or --bucket)",
                cluster.bucket.is_none(),
            ),
            (
                "the AWS account id (--account-id)",
                cluster.account_id.is_none(),
            ),
        ]
        .into_iter()
        .filter_map(|(what, absent)| absent.then_some(what))
        .collect();
        let (Some(bucket), Some(account_id)) = (&cluster.bucket, &cluster.account_id) else {
            return Err(format!(
                "the bundle needs {}, which Cortex reads from the AWS account",
                missing.join(" and ")
            ));
        };
        let mut tags = cluster.tags.clone();
        tags.insert(
            "cortex.dev/cluster-name".to_owned(),
            cluster.cluster_name.clone(),
        );
        let defaults = Images::default();
        let image = |key: &str, default: String| {
            cluster.image_overrides.get(key).cloned().unwrap_or(default)
        };
        Ok(DeployTarget {
            cluster_name: cluster.cluster_name.clone(),
            region: cluster.region.clone(),
            bucket: bucket.clone(),
            account_id: account_id.clone(),
            namespace: cluster.namespace.clone(),
            operator_id: hash_bytes(account_id.as_bytes()),
            node_groups: cluster
                .node_groups
                .iter()
                .map(|ng| NodeGroup {
                    name: ng.name.clone(),
                    spot: ng.spot,
                })
                .collect(),
            tags,
            images: Images {
                downloader: image("image_downloader", defaults.downloader),
                async_gateway: image("image_async_gateway", defaults.async_gateway),
                neuron_rtd: image("image_neuron_rtd", defaults.neuron_rtd),
            },
        })
    }

    /// The cluster of `tests/fixtures/golden-cluster.yaml` with moto's
    /// default account, which the golden bundles are built for: for unit
    /// tests that need a target without reading a cluster file.
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
            operator_id: hash_bytes(b"123456789012"),
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
