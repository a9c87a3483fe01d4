//! The cluster configuration file "as written": every key of Cortex 0.34's
//! `pkg/types/clusterconfig/cluster_config.go` (`CoreConfig` +
//! `ManagedConfig`, with the `provider` key its reader still accepts).
//!
//! As for cortex.yaml, these types do two jobs: schemars derives the JSON
//! Schema that `schema::SchemaChecker` checks the file against (types,
//! nulls, enums, bounds, unknown keys with "did you mean"), and serde
//! decodes the checked document. The schema mirrors Cortex's field table:
//! a field whose `StructFieldValidation` refuses null is `Option<T>` with
//! `#[schemars(with = "T")]` (absent is fine, null is a type error); a field
//! with `AllowExplicitNull`/`TreatNullAsEmpty` is a plain `Option<T>`.
//! Defaults are filled in `mod.rs` (`ClusterConfig::from_file`), the rules
//! that need more than one field or the instance table live in `rules.rs`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// A Cortex 0.34 cluster configuration (`cortex cluster up cluster.yaml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cluster.yaml (Cortex 0.34)")]
pub struct ClusterFile {
    /// Legacy key: only `aws` (or empty) is accepted.
    #[serde(default)]
    #[schemars(with = "String")]
    pub provider: Option<String>,
    /// Cluster name (default `cortex`): 3 to 54 lower-case letters, digits and
    /// single dashes.
    #[serde(default)]
    #[schemars(with = "String", length(min = 3, max = 54))]
    pub cluster_name: Option<String>,
    /// AWS region, one Cortex 0.34 supports (e.g. us-east-1).
    #[schemars(length(min = 1))]
    pub region: String,
    /// Kubernetes namespace of the APIs (default `default`).
    #[serde(default)]
    #[schemars(with = "String")]
    pub namespace: Option<String>,
    /// Istio namespace (default `istio-system`).
    #[serde(default)]
    #[schemars(with = "String")]
    pub istio_namespace: Option<String>,
    /// S3 bucket of the cluster; empty or null lets Cortex derive one from the
    /// AWS account id (`<cluster_name>-<hash>`).
    pub bucket: Option<String>,
    /// Send anonymous usage data (default true).
    #[serde(default)]
    #[schemars(with = "bool")]
    pub telemetry: Option<bool>,
    /// Node groups that run the APIs (1 to 100).
    pub node_groups: Vec<NodeGroupFile>,
    /// AWS tags of every resource Cortex creates; keys starting with `cortex.dev/`
    /// are reserved.
    pub tags: Option<BTreeMap<String, String>>,
    /// Availability zones (none, or at least two).
    pub availability_zones: Option<Vec<String>>,
    /// ARN of an ACM certificate for the API load balancer.
    pub ssl_certificate_arn: Option<String>,
    /// IAM policies of the operator and the APIs (default AmazonS3FullAccess).
    pub iam_policy_arns: Option<Vec<String>>,
    /// `public` (default) or `private` subnets for the instances.
    #[serde(default)]
    #[schemars(with = "SubnetVisibility")]
    pub subnet_visibility: Option<SubnetVisibility>,
    /// Existing subnets to use (at least two).
    #[schemars(length(min = 2))]
    pub subnets: Option<Vec<SubnetFile>>,
    /// NAT gateway: `none`, `single` or `highly_available` (default from
    /// subnet_visibility).
    #[serde(default)]
    #[schemars(with = "NatGateway")]
    pub nat_gateway: Option<NatGateway>,
    /// `internet-facing` (default) or `internal`.
    #[serde(default)]
    #[schemars(with = "LoadBalancerScheme")]
    pub api_load_balancer_scheme: Option<LoadBalancerScheme>,
    /// `internet-facing` (default) or `internal`.
    #[serde(default)]
    #[schemars(with = "LoadBalancerScheme")]
    pub operator_load_balancer_scheme: Option<LoadBalancerScheme>,
    /// CIDR ranges allowed to reach the API load balancer.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub api_load_balancer_cidr_white_list: Option<Vec<String>>,
    /// CIDR ranges allowed to reach the operator load balancer.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub operator_load_balancer_cidr_white_list: Option<Vec<String>>,
    /// CIDR range of the VPC Cortex creates.
    #[serde(default)]
    #[schemars(with = "String")]
    pub vpc_cidr: Option<String>,
    /// Set by Cortex itself; accepted but not needed.
    pub cortex_policy_arn: Option<String>,
    // overrides of the images of Cortex's own components; a `cortexlabs`
    // image must carry a 0.34 tag (`validateImageVersion`)
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_operator: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_manager: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_downloader: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_request_monitor: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_async_gateway: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_cluster_autoscaler: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_metrics_server: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_inferentia: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_neuron_rtd: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_nvidia: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_fluent_bit: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_istio_proxy: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_istio_pilot: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_prometheus: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_prometheus_config_reloader: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_prometheus_operator: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_prometheus_statsd_exporter: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_prometheus_dcgm_exporter: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_prometheus_kube_state_metrics: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_prometheus_node_exporter: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_kube_rbac_proxy: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_grafana: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub image_event_exporter: Option<String>,
}

impl ClusterFile {
    /// (key, value) of every image override written, in key order.
    pub fn images(&self) -> Vec<(&'static str, &str)> {
        let all = [
            ("image_async_gateway", &self.image_async_gateway),
            ("image_cluster_autoscaler", &self.image_cluster_autoscaler),
            ("image_downloader", &self.image_downloader),
            ("image_event_exporter", &self.image_event_exporter),
            ("image_fluent_bit", &self.image_fluent_bit),
            ("image_grafana", &self.image_grafana),
            ("image_inferentia", &self.image_inferentia),
            ("image_istio_pilot", &self.image_istio_pilot),
            ("image_istio_proxy", &self.image_istio_proxy),
            ("image_kube_rbac_proxy", &self.image_kube_rbac_proxy),
            ("image_manager", &self.image_manager),
            ("image_metrics_server", &self.image_metrics_server),
            ("image_neuron_rtd", &self.image_neuron_rtd),
            ("image_nvidia", &self.image_nvidia),
            ("image_operator", &self.image_operator),
            ("image_prometheus", &self.image_prometheus),
            (
                "image_prometheus_config_reloader",
                &self.image_prometheus_config_reloader,
            ),
            (
                "image_prometheus_dcgm_exporter",
                &self.image_prometheus_dcgm_exporter,
            ),
            (
                "image_prometheus_kube_state_metrics",
                &self.image_prometheus_kube_state_metrics,
            ),
            (
                "image_prometheus_node_exporter",
                &self.image_prometheus_node_exporter,
            ),
            ("image_prometheus_operator", &self.image_prometheus_operator),
            (
                "image_prometheus_statsd_exporter",
                &self.image_prometheus_statsd_exporter,
            ),
            ("image_request_monitor", &self.image_request_monitor),
        ];
        all.into_iter()
            .filter_map(|(k, v)| Some((k, v.as_deref()?)))
            .collect()
    }
}

/// One node group (an EKS managed node group of one primary instance type).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeGroupFile {
    /// Node group name: letters, digits, '-' and '_', at most 26 characters (Cortex
    /// prefixes it with `cx-wd-` or `cx-ws-`).
    #[schemars(length(min = 1, max = 26), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub name: String,
    /// EC2 instance type, e.g. m5.large (not nano, micro or ARM).
    #[schemars(length(min = 1))]
    pub instance_type: String,
    /// Minimum number of instances (default 1).
    #[serde(default)]
    #[schemars(with = "i64", range(min = 0))]
    pub min_instances: Option<i64>,
    /// Maximum number of instances (default 5); more than 0 at cluster creation.
    #[serde(default)]
    #[schemars(with = "i64", range(min = 0))]
    pub max_instances: Option<i64>,
    /// Disk size in GB (default 50), 20 to 16384.
    #[serde(default)]
    #[schemars(with = "i64", range(min = 20, max = 16384))]
    pub instance_volume_size: Option<i64>,
    /// Disk type: gp2 (default), io1, sc1 or st1.
    #[serde(default)]
    #[schemars(with = "VolumeType")]
    pub instance_volume_type: Option<VolumeType>,
    /// Disk IOPS, io1 only: 100 to 64000, at most 50 per GB.
    #[schemars(range(min = 100, max = 64000))]
    pub instance_volume_iops: Option<i64>,
    /// Use spot instances (default false).
    #[serde(default)]
    #[schemars(with = "bool")]
    pub spot: Option<bool>,
    /// Spot settings; only with `spot: true`.
    pub spot_config: Option<SpotConfigFile>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotConfigFile {
    /// Other instance types for spot capacity, each at least as large as the
    /// primary instance_type.
    pub instance_distribution: Option<Vec<String>>,
    /// On-demand instances before any spot instance (default 0).
    #[schemars(range(min = 0))]
    pub on_demand_base_capacity: Option<i64>,
    /// Percentage of on-demand instances above the base (default 0), 0 to 100.
    #[schemars(range(min = 0, max = 100))]
    pub on_demand_percentage_above_base_capacity: Option<i64>,
    /// Highest spot price per hour in USD (default: the on-demand price), more than 0.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub max_price: Option<f64>,
    /// Spot pools to spread over, 1 to 20.
    #[schemars(range(min = 1, max = 20))]
    pub instance_pools: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetFile {
    #[serde(default)]
    #[schemars(with = "String")]
    pub availability_zone: Option<String>,
    #[serde(default)]
    #[schemars(with = "String")]
    pub subnet_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VolumeType {
    Gp2,
    Io1,
    Sc1,
    St1,
}

impl VolumeType {
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeType::Gp2 => "gp2",
            VolumeType::Io1 => "io1",
            VolumeType::Sc1 => "sc1",
            VolumeType::St1 => "st1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubnetVisibility {
    Public,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NatGateway {
    None,
    Single,
    HighlyAvailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LoadBalancerScheme {
    InternetFacing,
    Internal,
}
