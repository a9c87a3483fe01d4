//! `k8s.yaml`: the objects Cortex 0.34 runs for an AsyncAPI, as typed
//! structs serialized to multi-document YAML (never templated): the worker
//! Deployment, the gateway Deployment, its Service and HorizontalPodAutoscaler,
//! and the Istio VirtualService routing the endpoint.
//!
//! Values only known to the cluster (the queue URL, where the bundle was
//! uploaded) come from the ConfigMap `<api>-cortex-tfc`; the TF Serving
//! config is mounted from the ConfigMap `<api>-tfs-config` (see README
//! "Deploying a bundle").

use std::collections::BTreeMap;

use serde::Serialize;

use crate::models::Accelerator;
use crate::plan::{
    API_PORT, ApiPlan, IntOrString, REGISTRY, Resources, SERVING_PORT, neuron_core_group_size,
    tf_cpp_min_log_level,
};
use crate::rules::handler::CORTEX_VERSION;

/// Kubernetes version the manifests are written for (and validated against).
pub const KUBERNETES_VERSION: &str = "1.30";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object<S> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: S,
}

#[derive(Serialize, Clone)]
struct Metadata {
    name: String,
    labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentSpec {
    replicas: i64,
    selector: Selector,
    strategy: Strategy,
    template: PodTemplate,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Selector {
    match_labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Strategy {
    #[serde(rename = "type")]
    kind: &'static str,
    rolling_update: RollingUpdate,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RollingUpdate {
    max_surge: IntOrString,
    max_unavailable: IntOrString,
}

#[derive(Serialize)]
struct PodTemplate {
    metadata: Metadata,
    spec: PodSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PodSpec {
    restart_policy: &'static str,
    termination_grace_period_seconds: i64,
    node_selector: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    affinity: Option<Affinity>,
    tolerations: Vec<Toleration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    init_containers: Vec<Container>,
    containers: Vec<Container>,
    volumes: Vec<Volume>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Affinity {
    node_affinity: NodeAffinity,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeAffinity {
    required_during_scheduling_ignored_during_execution: NodeSelector,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeSelector {
    node_selector_terms: Vec<NodeSelectorTerm>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeSelectorTerm {
    match_expressions: Vec<Requirement>,
}

#[derive(Serialize)]
struct Requirement {
    key: &'static str,
    operator: &'static str,
    values: Vec<String>,
}

#[derive(Serialize)]
struct Toleration {
    key: &'static str,
    operator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'static str>,
    effect: &'static str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Container {
    name: &'static str,
    image: String,
    image_pull_policy: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    env: Vec<EnvVar>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<Port>,
    resources: ResourceRequirements,
    #[serde(skip_serializing_if = "Option::is_none")]
    readiness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    volume_mounts: Vec<VolumeMount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    security_context: Option<SecurityContext>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvVar {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_from: Option<EnvSource>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvSource {
    config_map_key_ref: KeyRef,
}

#[derive(Serialize)]
struct KeyRef {
    name: String,
    key: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Port {
    name: &'static str,
    container_port: u16,
}

#[derive(Serialize, Default)]
struct ResourceRequirements {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    requests: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    limits: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(skip_serializing_if = "Option::is_none")]
    exec: Option<ExecAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tcp_socket: Option<TcpSocket>,
    initial_delay_seconds: i64,
    period_seconds: i64,
    timeout_seconds: i64,
    failure_threshold: i64,
}

#[derive(Serialize)]
struct ExecAction {
    command: Vec<&'static str>,
}

#[derive(Serialize)]
struct TcpSocket {
    port: u16,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VolumeMount {
    name: &'static str,
    mount_path: &'static str,
}

#[derive(Serialize)]
struct SecurityContext {
    capabilities: Capabilities,
}

#[derive(Serialize)]
struct Capabilities {
    add: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Volume {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    empty_dir: Option<EmptyDir>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config_map: Option<ConfigMapVolume>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmptyDir {
    #[serde(skip_serializing_if = "Option::is_none")]
    medium: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_limit: Option<String>,
}

#[derive(Serialize)]
struct ConfigMapVolume {
    name: String,
}

#[derive(Serialize)]
struct ServiceSpec {
    selector: BTreeMap<String, String>,
    ports: Vec<ServicePort>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServicePort {
    name: &'static str,
    port: u16,
    target_port: u16,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HpaSpec {
    scale_target_ref: ScaleTarget,
    min_replicas: i64,
    max_replicas: i64,
    metrics: Vec<Metric>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScaleTarget {
    api_version: &'static str,
    kind: &'static str,
    name: String,
}

#[derive(Serialize)]
struct Metric {
    #[serde(rename = "type")]
    kind: &'static str,
    resource: ResourceMetric,
}

#[derive(Serialize)]
struct ResourceMetric {
    name: &'static str,
    target: MetricTarget,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricTarget {
    #[serde(rename = "type")]
    kind: &'static str,
    average_utilization: i64,
}

#[derive(Serialize)]
struct VirtualServiceSpec {
    hosts: Vec<&'static str>,
    gateways: Vec<&'static str>,
    http: Vec<HttpRoute>,
}

#[derive(Serialize)]
struct HttpRoute {
    name: String,
    #[serde(rename = "match")]
    matches: Vec<UriMatch>,
    route: Vec<RouteDestination>,
}

#[derive(Serialize)]
struct UriMatch {
    uri: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct RouteDestination {
    destination: Destination,
}

#[derive(Serialize)]
struct Destination {
    host: String,
    port: PortSelector,
}

#[derive(Serialize)]
struct PortSelector {
    number: u16,
}

/// Renders every object of one API. `deployment_id` is a content hash.
pub fn manifests(plan: &ApiPlan, deployment_id: &str) -> Result<String, String> {
    let name = plan.name();
    let documents = [
        serde_json::to_value(worker_deployment(plan, deployment_id)),
        serde_json::to_value(gateway_deployment(plan)),
        serde_json::to_value(gateway_service(plan)),
        serde_json::to_value(gateway_hpa(plan)),
        serde_json::to_value(virtual_service(plan)),
    ];
    let mut out = String::new();
    for document in documents {
        let document = document.map_err(|e| format!("k8s.yaml for `{name}`: {e}"))?;
        let yaml = serde_saphyr::to_string(&document)
            .map_err(|e| format!("k8s.yaml for `{name}`: {e}"))?;
        out.push_str("---\n");
        out.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn image(component: &str) -> String {
    format!("{REGISTRY}/{component}:{CORTEX_VERSION}")
}

fn cluster_config(api: &str) -> String {
    format!("{api}-cortex-tfc")
}

fn from_cluster(api: &str, name: &str, key: &'static str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvSource {
            config_map_key_ref: KeyRef {
                name: cluster_config(api),
                key,
            },
        }),
    }
}

fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.into()),
        value_from: None,
    }
}

fn mount(name: &'static str, path: &'static str) -> VolumeMount {
    VolumeMount {
        name,
        mount_path: path,
    }
}

fn resources(r: &Resources) -> ResourceRequirements {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Some(cpu) = r.cpu_millis {
        requests.insert("cpu", format!("{cpu}m"));
    }
    if let Some(mem) = r.mem_bytes {
        requests.insert("memory", mem.to_string());
    }
    // extended resources and hugepages: requests must equal limits
    let extended = [("nvidia.com/gpu", r.gpu), ("aws.amazon.com/neuron", r.inf)];
    for (key, count) in extended.into_iter().filter(|(_, n)| *n > 0) {
        requests.insert(key, count.to_string());
        limits.insert(key, count.to_string());
    }
    if r.hugepages_mi > 0 {
        requests.insert("hugepages-2Mi", format!("{}Mi", r.hugepages_mi));
        limits.insert("hugepages-2Mi", format!("{}Mi", r.hugepages_mi));
        if let Some(mem) = r.mem_bytes {
            limits.insert("memory", mem.to_string());
        }
    }
    ResourceRequirements { requests, limits }
}

/// The downloader's instructions: the spec, the project, every model version.
fn download_args(plan: &ApiPlan) -> String {
    let name = plan.name();
    let mut downloads = vec![
        serde_json::json!({"from": format!("$(CORTEX_BUNDLE_URI)/apis/{name}/spec.json"), "to": "/mnt/spec/spec.json"}),
        serde_json::json!({"from": "$(CORTEX_PROJECT_URI)", "to": "/mnt/project", "unzip": true}),
    ];
    for model in &plan.spec.curated_model_resources {
        let versioned = !model.versions.is_empty();
        for version in model.disk_versions() {
            let from = if versioned {
                format!("{}{version}/", model.path)
            } else {
                model.path.clone()
            };
            downloads.push(serde_json::json!({"from": from, "to": format!("/mnt/model/{}/{version}", model.name)}));
        }
    }
    format!(
        "--download={}",
        serde_json::json!({"download_args": downloads})
    )
}

fn worker_deployment(plan: &ApiPlan, deployment_id: &str) -> Object<DeploymentSpec> {
    let spec = &plan.spec;
    let name = plan.name();
    let pod_labels = labels(&[
        ("apiName", name),
        ("apiKind", "AsyncAPI"),
        ("deploymentID", deployment_id),
        ("cortex.dev/api", "true"),
        ("cortex.dev/async", "api"),
    ]);
    let selector = labels(&[
        ("apiName", name),
        ("apiKind", "AsyncAPI"),
        ("cortex.dev/async", "api"),
    ]);
    let mnt = || mount("mnt", "/mnt");
    let mut api_mounts = vec![mnt()];
    let mut volumes = vec![
        Volume {
            name: "mnt",
            empty_dir: Some(EmptyDir {
                medium: None,
                size_limit: None,
            }),
            config_map: None,
        },
        Volume {
            name: "tfs-config",
            empty_dir: None,
            config_map: Some(ConfigMapVolume {
                name: format!("{name}-tfs-config"),
            }),
        },
    ];
    if let Some(shm) = plan.shm_bytes {
        volumes.push(Volume {
            name: "dshm",
            empty_dir: Some(EmptyDir {
                medium: Some("Memory"),
                size_limit: Some(shm.to_string()),
            }),
            config_map: None,
        });
        api_mounts.push(mount("dshm", "/dev/shm"));
    }
    let mut api_env = vec![
        env("CORTEX_API_SPEC", "/mnt/spec/spec.json"),
        env("CORTEX_TF_BASE_SERVING_PORT", SERVING_PORT.to_string()),
        env("CORTEX_TF_SERVING_HOST", "localhost"),
        env("CORTEX_PROJECT_DIR", "/mnt/project"),
        env("CORTEX_LOG_LEVEL", spec.handler.log_level.to_uppercase()),
        from_cluster(name, "CORTEX_QUEUE_URL", "queue_url"),
        from_cluster(name, "CORTEX_ASYNC_WORKLOAD_PATH", "async_workload_path"),
    ];
    api_env.extend(spec.handler.env.iter().map(|(k, v)| env(k, v.clone())));
    let api = Container {
        name: "api",
        image: spec.handler.image.clone(),
        image_pull_policy: "Always",
        env: api_env,
        ports: vec![Port {
            name: "http",
            container_port: API_PORT,
        }],
        resources: resources(&plan.api),
        readiness_probe: Some(Probe {
            exec: Some(ExecAction {
                command: vec![
                    "/bin/bash",
                    "-c",
                    "test -e /mnt/workspace/api_readiness.txt",
                ],
            }),
            tcp_socket: None,
            initial_delay_seconds: 1,
            period_seconds: 1,
            timeout_seconds: 1,
            failure_threshold: 1,
        }),
        volume_mounts: api_mounts,
        ..Container::default()
    };
    let mut serve_env = vec![
        env(
            "TF_CPP_MIN_LOG_LEVEL",
            tf_cpp_min_log_level(spec.handler.log_level),
        ),
        env(
            "TF_PROCESSES",
            spec.handler.processes_per_replica.to_string(),
        ),
        env("CORTEX_TF_BASE_SERVING_PORT", SERVING_PORT.to_string()),
        env("TF_EMPTY_MODEL_CONFIG", "/etc/tfs/model_config_server.conf"),
        env("TF_MAX_NUM_LOAD_RETRIES", "0"),
        env("TF_LOAD_RETRY_INTERVAL_MICROS", "30000000"),
    ];
    let mut serve_mounts = vec![mnt(), mount("tfs-config", "/etc/tfs")];
    let serve_args = if plan.accelerator == Accelerator::Inf {
        serve_env.push(env(
            "NEURONCORE_GROUP_SIZES",
            neuron_core_group_size(spec).to_string(),
        ));
        serve_env.push(env("NEURON_RTD_ADDRESS", "unix:/sock/neuron.sock"));
        serve_mounts.push(mount("neuron-sock", "/sock"));
        // the Inferentia image has its own entrypoint
        Vec::new()
    } else {
        let streams = spec.handler.processes_per_replica * spec.handler.threads_per_process + 10;
        vec![
            format!("--port={SERVING_PORT}"),
            "--model_config_file=/etc/tfs/model_config_server.conf".to_owned(),
            "--max_num_load_retries=0".to_owned(),
            "--load_retry_interval_micros=30000000".to_owned(),
            format!("--grpc_channel_arguments=grpc.max_concurrent_streams={streams}"),
        ]
    };
    let serve = Container {
        name: "serve",
        image: spec.handler.tensorflow_serving_image.clone(),
        image_pull_policy: "Always",
        args: serve_args,
        env: serve_env,
        ports: vec![Port {
            name: "grpc",
            container_port: SERVING_PORT,
        }],
        resources: resources(&plan.serve),
        readiness_probe: Some(Probe {
            exec: None,
            tcp_socket: Some(TcpSocket { port: SERVING_PORT }),
            initial_delay_seconds: 5,
            period_seconds: 5,
            timeout_seconds: 5,
            failure_threshold: 2,
        }),
        volume_mounts: serve_mounts,
        ..Container::default()
    };
    let mut containers = vec![api, serve];
    if let Some(rtd) = &plan.neuron_rtd {
        volumes.push(Volume {
            name: "neuron-sock",
            empty_dir: Some(EmptyDir {
                medium: None,
                size_limit: None,
            }),
            config_map: None,
        });
        containers.push(Container {
            name: "neuron-rtd",
            image: image("neuron-rtd"),
            image_pull_policy: "Always",
            resources: resources(rtd),
            volume_mounts: vec![mount("neuron-sock", "/sock")],
            security_context: Some(SecurityContext {
                capabilities: Capabilities {
                    add: vec!["SYS_ADMIN", "IPC_LOCK"],
                },
            }),
            ..Container::default()
        });
    }
    let downloader = Container {
        name: "downloader",
        image: image("downloader"),
        image_pull_policy: "Always",
        args: vec![download_args(plan)],
        env: vec![
            from_cluster(name, "CORTEX_BUNDLE_URI", "bundle_uri"),
            from_cluster(name, "CORTEX_PROJECT_URI", "project_uri"),
        ],
        volume_mounts: vec![mnt()],
        ..Container::default()
    };
    let affinity = spec.compute.node_groups.as_ref().map(|groups| Affinity {
        node_affinity: NodeAffinity {
            required_during_scheduling_ignored_during_execution: NodeSelector {
                node_selector_terms: vec![NodeSelectorTerm {
                    match_expressions: vec![Requirement {
                        key: "alpha.eksctl.io/nodegroup-name",
                        operator: "In",
                        values: groups.clone(),
                    }],
                }],
            },
        },
    });
    Object {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: Metadata {
            name: name.to_owned(),
            labels: pod_labels.clone(),
        },
        spec: DeploymentSpec {
            replicas: spec.autoscaling.init_replicas,
            selector: Selector {
                match_labels: selector,
            },
            strategy: Strategy {
                kind: "RollingUpdate",
                rolling_update: RollingUpdate {
                    max_surge: spec.update_strategy.max_surge.clone(),
                    max_unavailable: spec.update_strategy.max_unavailable.clone(),
                },
            },
            template: PodTemplate {
                metadata: Metadata {
                    name: name.to_owned(),
                    labels: pod_labels,
                },
                spec: PodSpec {
                    restart_policy: "Always",
                    termination_grace_period_seconds: 60,
                    node_selector: labels(&[("workload", "true")]),
                    affinity,
                    tolerations: tolerations(),
                    init_containers: vec![downloader],
                    containers,
                    volumes,
                },
            },
        },
    }
}

fn tolerations() -> Vec<Toleration> {
    vec![
        Toleration {
            key: "workload",
            operator: "Equal",
            value: Some("true"),
            effect: "NoSchedule",
        },
        Toleration {
            key: "nvidia.com/gpu",
            operator: "Exists",
            value: None,
            effect: "NoSchedule",
        },
        Toleration {
            key: "aws.amazon.com/neuron",
            operator: "Equal",
            value: Some("true"),
            effect: "NoSchedule",
        },
    ]
}

fn gateway_name(plan: &ApiPlan) -> String {
    format!("gateway-{}", plan.name())
}

fn gateway_labels(plan: &ApiPlan) -> BTreeMap<String, String> {
    labels(&[
        ("apiName", plan.name()),
        ("apiKind", "AsyncAPI"),
        ("cortex.dev/api", "true"),
        ("cortex.dev/async", "gateway"),
    ])
}

fn gateway_deployment(plan: &ApiPlan) -> Object<DeploymentSpec> {
    let name = plan.name();
    let gateway = Container {
        name: "gateway",
        image: image("async-gateway"),
        image_pull_policy: "Always",
        args: vec![
            format!("--port={API_PORT}"),
            "--queue=$(CORTEX_QUEUE_URL)".to_owned(),
            "--bucket=$(CORTEX_BUCKET)".to_owned(),
            format!("--api-name={name}"),
        ],
        env: vec![
            from_cluster(name, "CORTEX_QUEUE_URL", "queue_url"),
            from_cluster(name, "CORTEX_BUCKET", "bucket"),
            env(
                "CORTEX_LOG_LEVEL",
                plan.spec.handler.log_level.to_uppercase(),
            ),
        ],
        ports: vec![Port {
            name: "http",
            container_port: API_PORT,
        }],
        resources: ResourceRequirements {
            requests: [("cpu", "100m".to_owned()), ("memory", "100Mi".to_owned())]
                .into_iter()
                .collect(),
            limits: BTreeMap::new(),
        },
        readiness_probe: Some(Probe {
            exec: None,
            tcp_socket: Some(TcpSocket { port: API_PORT }),
            initial_delay_seconds: 1,
            period_seconds: 5,
            timeout_seconds: 1,
            failure_threshold: 2,
        }),
        ..Container::default()
    };
    let gateway_labels = gateway_labels(plan);
    Object {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: Metadata {
            name: gateway_name(plan),
            labels: gateway_labels.clone(),
        },
        spec: DeploymentSpec {
            replicas: 1,
            selector: Selector {
                match_labels: gateway_labels.clone(),
            },
            strategy: Strategy {
                kind: "RollingUpdate",
                rolling_update: RollingUpdate {
                    max_surge: IntOrString::String("25%".into()),
                    max_unavailable: IntOrString::String("25%".into()),
                },
            },
            template: PodTemplate {
                metadata: Metadata {
                    name: gateway_name(plan),
                    labels: gateway_labels,
                },
                spec: PodSpec {
                    restart_policy: "Always",
                    termination_grace_period_seconds: 60,
                    node_selector: labels(&[("workload", "true")]),
                    affinity: None,
                    tolerations: tolerations(),
                    init_containers: Vec::new(),
                    containers: vec![gateway],
                    volumes: Vec::new(),
                },
            },
        },
    }
}

fn gateway_service(plan: &ApiPlan) -> Object<ServiceSpec> {
    Object {
        api_version: "v1",
        kind: "Service",
        metadata: Metadata {
            name: gateway_name(plan),
            labels: gateway_labels(plan),
        },
        spec: ServiceSpec {
            selector: gateway_labels(plan),
            ports: vec![ServicePort {
                name: "http",
                port: API_PORT,
                target_port: API_PORT,
            }],
        },
    }
}

fn gateway_hpa(plan: &ApiPlan) -> Object<HpaSpec> {
    let target = |resource| Metric {
        kind: "Resource",
        resource: ResourceMetric {
            name: resource,
            target: MetricTarget {
                kind: "Utilization",
                average_utilization: 80,
            },
        },
    };
    Object {
        api_version: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: Metadata {
            name: gateway_name(plan),
            labels: gateway_labels(plan),
        },
        spec: HpaSpec {
            scale_target_ref: ScaleTarget {
                api_version: "apps/v1",
                kind: "Deployment",
                name: gateway_name(plan),
            },
            min_replicas: 1,
            max_replicas: 20,
            metrics: vec![target("cpu"), target("memory")],
        },
    }
}

fn virtual_service(plan: &ApiPlan) -> Object<VirtualServiceSpec> {
    let endpoint = &plan.spec.networking.endpoint;
    Object {
        api_version: "networking.istio.io/v1beta1",
        kind: "VirtualService",
        metadata: Metadata {
            name: plan.name().to_owned(),
            labels: gateway_labels(plan),
        },
        spec: VirtualServiceSpec {
            hosts: vec!["*"],
            gateways: vec!["apis-gateway"],
            http: vec![HttpRoute {
                name: plan.name().to_owned(),
                matches: vec![
                    UriMatch {
                        uri: [("exact", endpoint.clone())].into_iter().collect(),
                    },
                    UriMatch {
                        uri: [("prefix", format!("{endpoint}/"))].into_iter().collect(),
                    },
                ],
                route: vec![RouteDestination {
                    destination: Destination {
                        host: gateway_name(plan),
                        port: PortSelector { number: API_PORT },
                    },
                }],
            }],
        },
    }
}
