//! The typed `cortex.yaml` model, "as written".
//!
//! These types do two jobs: serde decodes the checked document into them,
//! and schemars derives `schemas/cortex.schema.json` from them (doc comments
//! become descriptions, which also serve as the help text of schema
//! diagnostics). They carry no spans and fill no defaults: spans stay in the
//! YAML tree, defaults are filled by the plan stage.
//!
//! Single-field constraints that JSON Schema can express (types, enums,
//! ranges, name patterns) live here as schema attributes; everything else
//! (quantities, durations, images, cross-field rules) lives in `rules/`.

pub mod fields;
mod values;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

pub use values::{IntOrPercent, Quantity};

/// A cortex.yaml file: a list of APIs. cortex-tfc compiles Cortex 0.34 AsyncAPIs
/// that use the TensorFlow handler.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(title = "cortex.yaml (Cortex 0.34, AsyncAPI with the TensorFlow handler)")]
#[schemars(extend("minItems" = 1))]
pub struct CortexFile(pub Vec<ApiConfig>);

/// One API.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// API name: a DNS-1035 label (lower-case letters, digits and '-', starting with a
    /// letter and ending with a letter or digit), at most 42 characters, not starting
    /// with 'b-'; unique in the file.
    #[schemars(
        length(min = 1, max = 42),
        regex(pattern = r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// API kind. cortex-tfc compiles AsyncAPI; the other kinds are valid Cortex but
    /// are reported as not supported by this compiler.
    pub kind: Kind,
    /// The handler: the Python class that serves requests, and its models.
    pub handler: Handler,
    /// Resources requested by each replica.
    pub compute: Option<Compute>,
    /// Replica autoscaling.
    pub autoscaling: Option<Autoscaling>,
    /// Rolling update settings.
    pub update_strategy: Option<UpdateStrategy>,
    /// Routing.
    pub networking: Option<Networking>,
}

/// Cortex API kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Kind {
    RealtimeAPI,
    AsyncAPI,
    BatchAPI,
    TaskAPI,
    TrafficSplitter,
}

/// Handler type. cortex-tfc compiles `tensorflow`; `python` is valid Cortex but out of
/// scope for this compiler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HandlerType {
    Tensorflow,
    Python,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warning,
    Error,
}

/// The handler of an API.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Handler {
    /// Handler type: `tensorflow` (`python` is out of scope for cortex-tfc).
    #[serde(rename = "type")]
    pub handler_type: HandlerType,
    /// Path to the Python file holding the Handler class, relative to the directory of
    /// cortex.yaml; must end in `.py`.
    #[schemars(length(min = 1))]
    pub path: String,
    /// The TensorFlow SavedModels to serve: exactly one of `path`, `paths`, `dir`.
    pub models: Option<Models>,
    /// Dependency files, relative to the project directory.
    pub dependencies: Option<Dependencies>,
    /// Free-form configuration passed to the Handler constructor.
    pub config: Option<Map<String, Value>>,
    /// Directory added to PYTHONPATH, relative to the project directory.
    pub python_path: Option<String>,
    /// Handler container image (default `quay.io/cortexlabs/tensorflow-handler:0.34.0`).
    pub image: Option<String>,
    /// TensorFlow Serving container image (default per accelerator:
    /// `quay.io/cortexlabs/tensorflow-serving-{cpu,gpu,inf}:0.34.0`).
    pub tensorflow_serving_image: Option<String>,
    /// Environment variables of the handler container: names are letters, digits, '_',
    /// '-' and '.', not starting with a digit or `..`, not `.`, and must not start with
    /// `CORTEX_` (Kubernetes' env var names); values are strings (quote numbers and
    /// booleans).
    #[schemars(extend("propertyNames" = {"pattern": "^(?!\\.\\.)(?!\\.$)[-._a-zA-Z][-._a-zA-Z0-9]*$"}))]
    pub env: Option<BTreeMap<String, String>>,
    /// Log level of the handler and TensorFlow Serving (default `info`).
    pub log_level: Option<LogLevel>,
    /// Size of the shared-memory volume mounted at /dev/shm (a Kubernetes quantity such
    /// as `64Mi`); at most compute.mem.
    pub shm_size: Option<Quantity>,
    /// Processes per replica: 1 to 100 in Cortex; must be 1 for an AsyncAPI.
    pub processes_per_replica: Option<i64>,
    /// Threads per process: at least 1 in Cortex; must be 1 for an AsyncAPI.
    pub threads_per_process: Option<i64>,
    /// Server-side batching (RealtimeAPI only: not supported for AsyncAPI).
    pub server_side_batching: Option<Map<String, Value>>,
    /// Live model reloading (python handler only: not supported here).
    pub multi_model_reloading: Option<Map<String, Value>>,
    /// Protobuf file for gRPC (RealtimeAPI only: not supported for AsyncAPI).
    pub protobuf_path: Option<String>,
}

/// Where the SavedModels are: exactly one of `path`, `paths`, `dir`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Models {
    /// One model: an S3 prefix `s3://bucket/prefix`.
    pub path: Option<String>,
    /// Several named models.
    pub paths: Option<Vec<ModelPath>>,
    /// An S3 prefix whose direct sub-folders are models named after the folder.
    pub dir: Option<String>,
    /// Default signature key for every model (a `paths` entry's own key wins).
    #[schemars(length(min = 1))]
    pub signature_key: Option<String>,
    /// RealtimeAPI only: not supported for AsyncAPI.
    pub cache_size: Option<i64>,
    /// RealtimeAPI only: not supported for AsyncAPI.
    pub disk_cache_size: Option<i64>,
}

/// A named model.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelPath {
    /// Model name: letters, digits, '_' and '-'; unique in the API; not `_cortex_default`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub name: String,
    /// S3 prefix of the SavedModel: `s3://bucket/prefix`.
    pub path: String,
    /// Signature key of this model (overrides handler.models.signature_key).
    #[schemars(length(min = 1))]
    pub signature_key: Option<String>,
}

/// Dependency files, relative to the project directory.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependencies {
    /// pip requirements file (default `requirements.txt`).
    pub pip: Option<String>,
    /// conda packages file (default `conda-packages.txt`).
    pub conda: Option<String>,
    /// Shell script run at start-up (default `dependencies.sh`).
    pub shell: Option<String>,
}

/// Resources requested by each replica.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compute {
    /// CPU cores (`1`, `0.5`, `500m`), at least 20m; default 200m; null requests none.
    #[serde(default, deserialize_with = "values::present")]
    #[schemars(with = "Option<Quantity>")]
    pub cpu: Option<Option<Quantity>>,
    /// Memory (`512Mi`, `2G`), at least 20Mi.
    pub mem: Option<Quantity>,
    /// Number of GPUs (default 0).
    pub gpu: Option<i64>,
    /// Number of Inferentia chips (default 0); not together with gpu.
    pub inf: Option<i64>,
    /// Node groups the replicas may run on.
    #[schemars(inner(regex(pattern = r"^[A-Za-z0-9_-]+$")))]
    pub node_groups: Option<Vec<String>>,
}

/// Replica autoscaling.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Minimum replicas (default 1).
    pub min_replicas: Option<i64>,
    /// Maximum replicas (default 100); at least min_replicas.
    pub max_replicas: Option<i64>,
    /// Replicas at first deploy (default min_replicas); between min and max.
    pub init_replicas: Option<i64>,
    /// Maximum in-flight requests per replica, 1 to 30000 (default 1024).
    pub max_replica_concurrency: Option<i64>,
    /// Target in-flight requests per replica (default processes × threads); greater
    /// than 0 and at most max_replica_concurrency.
    pub target_replica_concurrency: Option<f64>,
    /// Averaging window, a Go duration (default `60s`); at least 10s, a multiple of 10s.
    pub window: Option<String>,
    /// Go duration (default `5m`).
    pub downscale_stabilization_period: Option<String>,
    /// Go duration (default `1m`).
    pub upscale_stabilization_period: Option<String>,
    /// At least 0 and less than 1 (default 0.75).
    pub max_downscale_factor: Option<f64>,
    /// Greater than 1 (default 1.5).
    pub max_upscale_factor: Option<f64>,
    /// At least 0 and less than 1 (default 0.05).
    pub downscale_tolerance: Option<f64>,
    /// At least 0 (default 0.05).
    pub upscale_tolerance: Option<f64>,
}

/// Rolling update settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStrategy {
    /// Extra replicas during an update: an integer >= 0 or a percentage such as
    /// `"25%"` (default 25%).
    pub max_surge: Option<IntOrPercent>,
    /// Replicas that may be unavailable during an update: an integer >= 0 or a
    /// percentage such as `"25%"` (default 25%).
    pub max_unavailable: Option<IntOrPercent>,
}

/// Routing.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Networking {
    /// URL path of the API (default `/<name>`): letters, digits, '-', '_', '.', '/'.
    pub endpoint: Option<String>,
}
