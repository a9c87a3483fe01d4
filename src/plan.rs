//! The plan stage: one resolved API per checked API. Pure (no I/O): every
//! default filled in one place, paths normalised, the accelerator and the
//! images chosen, resources split between containers as Cortex does, and
//! the curated models with their versions. `emit` reads only this.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::{ApiConfig, IntOrPercent, LogLevel, Quantity as Written};
use crate::models::signatures::Signature;
use crate::models::{Accelerator, Model};
use crate::rules::handler::CORTEX_VERSION;
use crate::values::quantity;

pub const REGISTRY: &str = "quay.io/cortexlabs";
pub const SERVING_PORT: u16 = 9000;
pub const API_PORT: u16 = 8888;
/// NeuronCores per Inferentia chip.
const CORES_PER_INF: i64 = 4;
/// Hugepages each Inferentia chip needs, in MiB.
const HUGEPAGES_MI_PER_INF: i64 = 256;

/// The runtime spec of one API, as `spec.json` holds it: cortex.yaml's
/// fields, snake_case, every default filled in, plus the curated models.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiSpec {
    pub name: String,
    pub kind: &'static str,
    pub handler: HandlerSpec,
    pub compute: ComputeSpec,
    pub autoscaling: AutoscalingSpec,
    pub update_strategy: UpdateStrategySpec,
    pub networking: NetworkingSpec,
    pub curated_model_resources: Vec<CuratedModel>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HandlerSpec {
    #[serde(rename = "type")]
    pub handler_type: &'static str,
    pub path: String,
    pub models: ModelsSpec,
    pub dependencies: DependenciesSpec,
    pub config: BTreeMap<String, Value>,
    pub python_path: Option<String>,
    pub image: String,
    pub tensorflow_serving_image: String,
    pub env: BTreeMap<String, String>,
    pub log_level: &'static str,
    pub shm_size: Option<String>,
    pub processes_per_replica: i64,
    pub threads_per_process: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelsSpec {
    pub path: Option<String>,
    pub paths: Option<Vec<ModelPathSpec>>,
    pub dir: Option<String>,
    pub signature_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelPathSpec {
    pub name: String,
    pub path: String,
    pub signature_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DependenciesSpec {
    pub pip: String,
    pub conda: String,
    pub shell: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComputeSpec {
    /// As written (Cortex keeps the user's text); `None`: no request.
    pub cpu: Option<String>,
    /// As written.
    pub mem: Option<String>,
    pub gpu: i64,
    pub inf: i64,
    pub node_groups: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AutoscalingSpec {
    pub min_replicas: i64,
    pub max_replicas: i64,
    pub init_replicas: i64,
    pub max_replica_concurrency: i64,
    pub target_replica_concurrency: f64,
    pub window: String,
    pub downscale_stabilization_period: String,
    pub upscale_stabilization_period: String,
    pub max_downscale_factor: f64,
    pub max_upscale_factor: f64,
    pub downscale_tolerance: f64,
    pub upscale_tolerance: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UpdateStrategySpec {
    pub max_surge: IntOrString,
    pub max_unavailable: IntOrString,
}

/// A Kubernetes int-or-string (`1`, `"25%"`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetworkingSpec {
    pub endpoint: String,
}

/// A model as the worker serves it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CuratedModel {
    pub name: String,
    pub path: String,
    /// The signature served: the one configured, or the one Cortex chooses.
    pub signature_key: Option<String>,
    /// Versions as found; empty for a non-versioned model (served as 1).
    pub versions: Vec<i64>,
    /// The chosen signature's inputs and outputs, read from saved_model.pb.
    pub signature: Option<Signature>,
}

impl CuratedModel {
    /// Versions on the worker's disk: a non-versioned model is version 1.
    pub fn disk_versions(&self) -> Vec<i64> {
        if self.versions.is_empty() {
            vec![1]
        } else {
            self.versions.clone()
        }
    }
}

/// Requests (= limits for the extended resources) of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_millis: Option<i128>,
    /// Thousandths of a byte: the operator splits `MilliValue()`.
    pub mem_millis: Option<i128>,
    pub gpu: i64,
    pub inf: i64,
    pub hugepages_mi: i64,
}

/// One API, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiPlan {
    pub accelerator: Accelerator,
    pub spec: ApiSpec,
    pub api: Resources,
    pub serve: Resources,
    /// The Neuron runtime sidecar, on Inferentia only.
    pub neuron_rtd: Option<Resources>,
}

impl ApiPlan {
    pub fn name(&self) -> &str {
        &self.spec.name
    }
}

/// Plans one API from its config and the models the store check found.
pub fn plan_api(config: &ApiConfig, accelerator: Accelerator, models: &[&Model]) -> ApiPlan {
    let spec = api_spec(config, accelerator, models);
    let cpu = config
        .compute
        .as_ref()
        .and_then(|c| c.cpu.clone())
        .unwrap_or(Some(Written::Text("200m".into())));
    let cpu_millis = cpu
        .and_then(|q| quantity::parse(&q.text()).ok())
        .map(quantity::Quantity::millis);
    let mem_millis = config
        .compute
        .as_ref()
        .and_then(|c| c.mem.as_ref())
        .and_then(|q| quantity::parse(&q.text()).ok())
        .map(quantity::Quantity::millis);
    let parts = if accelerator == Accelerator::Inf {
        3
    } else {
        2
    };
    let cpu_parts = split(cpu_millis, parts);
    let mem_parts = split(mem_millis, parts);
    let part = |i: usize| Resources {
        cpu_millis: cpu_parts[i],
        mem_millis: mem_parts[i],
        ..Resources::default()
    };
    let serve = Resources {
        gpu: spec.compute.gpu,
        ..part(1)
    };
    let neuron_rtd = (accelerator == Accelerator::Inf).then(|| Resources {
        inf: spec.compute.inf,
        hugepages_mi: spec.compute.inf * HUGEPAGES_MI_PER_INF,
        ..part(2)
    });
    ApiPlan {
        accelerator,
        api: part(0),
        serve,
        neuron_rtd,
        spec,
    }
}

/// Splits a total into `parts`; the first part (the api container) gets
/// the remainder, so it holds the larger share.
pub fn split(total: Option<i128>, parts: usize) -> Vec<Option<i128>> {
    let n = parts.max(1) as i128;
    (0..parts)
        .map(|i| total.map(|t| t / n + if i == 0 { t % n } else { 0 }))
        .collect()
}

/// NeuronCores per TF Serving process (`NEURONCORE_GROUP_SIZES`).
pub fn neuron_core_group_size(spec: &ApiSpec) -> i64 {
    spec.compute.inf * CORES_PER_INF / spec.handler.processes_per_replica.max(1)
}

fn api_spec(config: &ApiConfig, accelerator: Accelerator, found: &[&Model]) -> ApiSpec {
    let h = &config.handler;
    let processes = h.processes_per_replica.unwrap_or(1);
    let threads = h.threads_per_process.unwrap_or(1);
    let a = config.autoscaling.as_ref();
    let min_replicas = a.and_then(|a| a.min_replicas).unwrap_or(1);
    let u = config.update_strategy.as_ref();
    let compute = config.compute.as_ref();
    ApiSpec {
        name: config.name.clone(),
        kind: "AsyncAPI",
        handler: HandlerSpec {
            handler_type: "tensorflow",
            path: normalise_file(&h.path),
            models: models_spec(config),
            dependencies: DependenciesSpec {
                pip: dependency(
                    h.dependencies.as_ref().and_then(|d| d.pip.as_deref()),
                    "requirements.txt",
                ),
                conda: dependency(
                    h.dependencies.as_ref().and_then(|d| d.conda.as_deref()),
                    "conda-packages.txt",
                ),
                shell: dependency(
                    h.dependencies.as_ref().and_then(|d| d.shell.as_deref()),
                    "dependencies.sh",
                ),
            },
            config: h
                .config
                .clone()
                .map(|m| m.into_iter().map(|(k, v)| (k, sorted(v))).collect())
                .unwrap_or_default(),
            python_path: h.python_path.as_deref().map(normalise_dir),
            // userconfig/api.go:170 ApplyDefaultDockerPaths: "" is the default
            image: h
                .image
                .clone()
                .filter(|i| !i.is_empty())
                .unwrap_or_else(|| format!("{REGISTRY}/tensorflow-handler:{CORTEX_VERSION}")),
            tensorflow_serving_image: h
                .tensorflow_serving_image
                .clone()
                .filter(|i| !i.is_empty())
                .unwrap_or_else(|| default_serving_image(accelerator)),
            env: h.env.clone().unwrap_or_default(),
            log_level: log_level(h.log_level),
            shm_size: h.shm_size.as_ref().map(|q| q.text().into_owned()),
            processes_per_replica: processes,
            threads_per_process: threads,
        },
        compute: ComputeSpec {
            cpu: compute
                .and_then(|c| c.cpu.clone())
                .unwrap_or(Some(Written::Text("200m".into())))
                .map(|q| q.text().into_owned()),
            mem: compute
                .and_then(|c| c.mem.as_ref())
                .map(|q| q.text().into_owned()),
            gpu: compute.and_then(|c| c.gpu).unwrap_or(0),
            inf: compute.and_then(|c| c.inf).unwrap_or(0),
            node_groups: compute.and_then(|c| c.node_groups.clone()),
        },
        autoscaling: AutoscalingSpec {
            min_replicas,
            max_replicas: a.and_then(|a| a.max_replicas).unwrap_or(100),
            init_replicas: a.and_then(|a| a.init_replicas).unwrap_or(min_replicas),
            max_replica_concurrency: a.and_then(|a| a.max_replica_concurrency).unwrap_or(1024),
            target_replica_concurrency: a
                .and_then(|a| a.target_replica_concurrency)
                .unwrap_or((processes * threads) as f64),
            window: a
                .and_then(|a| a.window.clone())
                .unwrap_or_else(|| "60s".into()),
            downscale_stabilization_period: a
                .and_then(|a| a.downscale_stabilization_period.clone())
                .unwrap_or_else(|| "5m".into()),
            upscale_stabilization_period: a
                .and_then(|a| a.upscale_stabilization_period.clone())
                .unwrap_or_else(|| "1m".into()),
            max_downscale_factor: a.and_then(|a| a.max_downscale_factor).unwrap_or(0.75),
            max_upscale_factor: a.and_then(|a| a.max_upscale_factor).unwrap_or(1.5),
            downscale_tolerance: a.and_then(|a| a.downscale_tolerance).unwrap_or(0.05),
            upscale_tolerance: a.and_then(|a| a.upscale_tolerance).unwrap_or(0.05),
        },
        update_strategy: UpdateStrategySpec {
            max_surge: surge(u.and_then(|u| u.max_surge.as_ref())),
            max_unavailable: surge(u.and_then(|u| u.max_unavailable.as_ref())),
        },
        networking: NetworkingSpec {
            endpoint: crate::rules::networking::canonical(
                config
                    .networking
                    .as_ref()
                    .and_then(|n| n.endpoint.as_deref())
                    .unwrap_or(&config.name),
            ),
        },
        curated_model_resources: curated(config, found),
    }
}

fn models_spec(config: &ApiConfig) -> ModelsSpec {
    let m = config.handler.models.as_ref();
    ModelsSpec {
        path: m.and_then(|m| m.path.clone()),
        paths: m.and_then(|m| m.paths.as_ref()).map(|paths| {
            paths
                .iter()
                .map(|p| ModelPathSpec {
                    name: p.name.clone(),
                    path: p.path.clone(),
                    signature_key: p.signature_key.clone(),
                })
                .collect()
        }),
        dir: m.and_then(|m| m.dir.clone()),
        signature_key: m.and_then(|m| m.signature_key.clone()),
    }
}

/// The models found for this API, sorted by name, each with the signature
/// key that applies to it (a `paths[]` entry's own key wins).
fn curated(config: &ApiConfig, found: &[&Model]) -> Vec<CuratedModel> {
    let models = config.handler.models.as_ref();
    let default_key = models.and_then(|m| m.signature_key.clone());
    let own_key = |name: &str| {
        models
            .and_then(|m| m.paths.as_ref())
            .and_then(|paths| paths.iter().find(|p| p.name == name))
            .and_then(|p| p.signature_key.clone())
    };
    let mut curated: Vec<CuratedModel> = found
        .iter()
        .map(|m| CuratedModel {
            name: m.name.clone(),
            path: m.path.to_string(),
            signature_key: m
                .signature
                .as_ref()
                .map(|s| s.key.clone())
                .or_else(|| own_key(&m.name))
                .or_else(|| default_key.clone()),
            versions: m.versions.clone(),
            signature: m.signature.clone(),
        })
        .collect();
    curated.sort_by(|a, b| a.name.cmp(&b.name));
    curated
}

pub fn default_serving_image(accelerator: Accelerator) -> String {
    let flavour = match accelerator {
        Accelerator::Cpu => "cpu",
        Accelerator::Gpu => "gpu",
        Accelerator::Inf => "inf",
    };
    format!("{REGISTRY}/tensorflow-serving-{flavour}:{CORTEX_VERSION}")
}

fn log_level(level: Option<LogLevel>) -> &'static str {
    match level.unwrap_or(LogLevel::Info) {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warning => "warning",
        LogLevel::Error => "error",
    }
}

/// `TF_CPP_MIN_LOG_LEVEL` for a log level.
pub fn tf_cpp_min_log_level(level: &str) -> &'static str {
    match level {
        "warning" => "1",
        "error" => "2",
        _ => "0",
    }
}

fn surge(value: Option<&IntOrPercent>) -> IntOrString {
    match value {
        None => IntOrString::String("25%".into()),
        Some(IntOrPercent::Int(n)) => IntOrString::Int(*n),
        Some(IntOrPercent::Text(t)) => IntOrString::String(t.clone()),
    }
}

fn dependency(written: Option<&str>, default: &str) -> String {
    normalise_file(written.unwrap_or(default))
}

/// `./a/b.py` → `a/b.py`.
fn normalise_file(path: &str) -> String {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_owned()
}

/// python_path: no leading `./`, one trailing `/`.
fn normalise_dir(path: &str) -> String {
    format!("{}/", normalise_file(path).trim_end_matches('/'))
}

/// Free-form config with every mapping's keys sorted (deterministic bytes).
/// Iterative: a legal config may nest thousands of levels.
fn sorted(mut value: Value) -> Value {
    let mut work = vec![&mut value];
    while let Some(here) = work.pop() {
        match here {
            Value::Object(map) => {
                map.sort_keys();
                work.extend(map.values_mut());
            }
            Value::Array(items) => work.extend(items.iter_mut()),
            _ => {}
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_gives_the_api_container_the_larger_share() {
        assert_eq!(split(Some(501), 2), vec![Some(251), Some(250)]);
        assert_eq!(split(Some(1000), 3), vec![Some(334), Some(333), Some(333)]);
        assert_eq!(split(None, 2), vec![None, None]);
    }

    // pkg/types/userconfig/api.go:170,183 ApplyDefaultDockerPaths
    #[test]
    fn empty_images_mean_the_defaults() {
        let mut config = minimal("");
        config.handler.image = Some(String::new());
        config.handler.tensorflow_serving_image = Some(String::new());
        let plan = plan_api(&config, Accelerator::Cpu, &[]);
        assert_eq!(
            plan.spec.handler.image,
            "quay.io/cortexlabs/tensorflow-handler:0.34.0"
        );
        assert_eq!(
            plan.spec.handler.tensorflow_serving_image,
            "quay.io/cortexlabs/tensorflow-serving-cpu:0.34.0"
        );
    }

    fn minimal(extra: &str) -> ApiConfig {
        let text = format!(
            "name: iris\nkind: AsyncAPI\nhandler:\n  type: tensorflow\n  path: ./handler.py\n  models:\n    path: s3://b/m\n{extra}"
        );
        let node = crate::yaml::parse(&text, crate::yaml::Limits::default())
            .root
            .expect("yaml");
        serde_json::from_value(node.to_json()).expect("decodes")
    }

    #[test]
    fn every_default_is_filled() {
        let model = Model {
            api: "iris".into(),
            name: "_cortex_default".into(),
            path: crate::store::S3Path::parse("s3://b/m").expect("url"),
            versions: vec![],
            signature: None,
            source: 0,
        };
        let plan = plan_api(&minimal(""), Accelerator::Cpu, &[&model]);
        let s = &plan.spec;
        assert_eq!(s.handler.path, "handler.py");
        assert_eq!(
            s.handler.image,
            "quay.io/cortexlabs/tensorflow-handler:0.34.0"
        );
        assert_eq!(
            s.handler.tensorflow_serving_image,
            "quay.io/cortexlabs/tensorflow-serving-cpu:0.34.0"
        );
        assert_eq!(
            (
                s.handler.log_level,
                s.handler.processes_per_replica,
                s.handler.threads_per_process
            ),
            ("info", 1, 1)
        );
        assert_eq!(s.handler.dependencies.pip, "requirements.txt");
        assert_eq!(s.compute.cpu.as_deref(), Some("200m"));
        assert_eq!(
            (
                s.autoscaling.min_replicas,
                s.autoscaling.max_replicas,
                s.autoscaling.init_replicas
            ),
            (1, 100, 1)
        );
        assert_eq!(
            (
                s.autoscaling.max_replica_concurrency,
                s.autoscaling.target_replica_concurrency
            ),
            (1024, 1.0)
        );
        assert_eq!(s.autoscaling.window, "60s");
        assert_eq!(
            s.update_strategy.max_surge,
            IntOrString::String("25%".into())
        );
        assert_eq!(s.networking.endpoint, "/iris");
        // as written, as Cortex keeps it
        assert_eq!(s.handler.models.path.as_deref(), Some("s3://b/m"));
        assert_eq!(
            (plan.api.cpu_millis, plan.serve.cpu_millis),
            (Some(100), Some(100))
        );
        assert_eq!(s.curated_model_resources[0].disk_versions(), vec![1]);
    }

    #[test]
    fn gpu_goes_on_serve_and_null_cpu_requests_nothing() {
        let plan = plan_api(
            &minimal("compute:\n  cpu: null\n  gpu: 2\n  mem: 1Gi\n"),
            Accelerator::Gpu,
            &[],
        );
        assert_eq!(
            (plan.api.cpu_millis, plan.serve.gpu, plan.api.gpu),
            (None, 2, 0)
        );
        assert_eq!(
            plan.spec.handler.tensorflow_serving_image,
            "quay.io/cortexlabs/tensorflow-serving-gpu:0.34.0"
        );
        assert_eq!(
            (plan.api.mem_millis, plan.serve.mem_millis),
            (Some(536_870_912_000), Some(536_870_912_000))
        );
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalise_dir("./src"), "src/");
        assert_eq!(normalise_dir("lib/"), "lib/");
        assert_eq!(normalise_file("./././handler.py"), "handler.py");
    }
}
