//! The deploy-time cluster checks of Cortex 0.34's operator
//! (`pkg/operator/resources/validations.go`, `validateK8sCompute`,
//! :191-266), one function per rule, codes `TFC61xx`:
//!
//! - [`unknown_node_groups`]: `compute.node_groups` names a group the
//!   cluster lacks (:197-201);
//! - [`request_fits`]: no candidate group's primary instance type holds the
//!   request after Cortex's reserves (:218-262), or a GPU/Inferentia request
//!   on a cluster with no such instances;
//! - [`tight_fit`]: a warning when the request fits only with little memory
//!   to spare (memory_capacity.go:103-154 lowers the figure later).
//!
//! Unlike Cortex, whose message reports whichever type its Go map yields
//! first, the message names the candidate that comes closest.

use super::instances::Instance;
use super::{ClusterConfig, NodeGroup};
use crate::diag::{Diagnostic, codes, suggest};
use crate::rules::ApiCtx;
use crate::values::quantity::{self, Quantity};

type ClusterRule = fn(&ApiCtx<'_>, &ClusterConfig) -> Vec<Diagnostic>;

/// The deploy checks, in Cortex's order.
const RULES: &[ClusterRule] = &[unknown_node_groups, request_fits, tight_fit];

/// Runs every deploy check on every API.
pub fn run(apis: &[ApiCtx<'_>], cluster: &ClusterConfig) -> Vec<Diagnostic> {
    apis.iter()
        .flat_map(|api| RULES.iter().flat_map(move |rule| rule(api, cluster)))
        .collect()
}

/// Every node: fluent-bit, statsd and node exporters, kube-proxy, CNI and
/// the kubelet's reservations (validations.go:170, :180).
const CORTEX_CPU_RESERVE_MILLIS: i128 = 720;
const CORTEX_MEM_RESERVE_MI: i128 = 1250;
/// GPU nodes: NVIDIA device plugin 100m/100Mi + DCGM exporter 50m/50Mi (:182-186).
const GPU_CPU_RESERVE_MILLIS: i128 = 150;
const GPU_MEM_RESERVE_MI: i128 = 150;
/// Inferentia nodes: the Neuron device plugin (:188-189).
const INF_CPU_RESERVE_MILLIS: i128 = 100;
const INF_MEM_RESERVE_MI: i128 = 100;
/// Below this share of the node's nominal memory left over, a request that
/// fits the table is flagged: EC2 nodes report a few percent less memory
/// than nominal (kernel and hypervisor), and Cortex then uses the reported
/// figure. A heuristic: generous enough to cover the usual shortfall.
const TIGHT_MEMORY_PERCENT: i128 = 7;

fn mi(n: i128) -> Quantity {
    Quantity::from_units(n * 1024 * 1024)
}

/// What one replica requests, as Cortex compares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `None`: `cpu: null` requests no CPU (the default is 200m).
    pub cpu: Option<(Quantity, String)>,
    pub mem: Option<(Quantity, String)>,
    pub gpu: i64,
    pub inf: i64,
    pub node_groups: Option<Vec<String>>,
}

impl Request {
    /// The request of an API; unparsable quantities are left out (the
    /// compute rules report them).
    pub fn of(api: &ApiCtx<'_>) -> Self {
        let compute = api.config.compute.as_ref();
        let written = |q: &crate::config::Quantity| {
            let text = q.text().into_owned();
            quantity::parse(&text).ok().map(|v| (v, text))
        };
        let cpu = match compute.and_then(|c| c.cpu.as_ref()) {
            None => Some((Quantity::from_millis(200), "200m".to_owned())),
            Some(None) => None,
            Some(Some(q)) => written(q),
        };
        Self {
            cpu,
            mem: compute.and_then(|c| c.mem.as_ref()).and_then(written),
            gpu: compute.and_then(|c| c.gpu).unwrap_or(0),
            inf: compute.and_then(|c| c.inf).unwrap_or(0),
            node_groups: compute.and_then(|c| c.node_groups.clone()),
        }
    }

    /// `cpu: 4, mem: 16G` as written.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((_, t)) = &self.cpu {
            parts.push(format!("cpu: {t}"));
        }
        if let Some((_, t)) = &self.mem {
            parts.push(format!("mem: {t}"));
        }
        if self.gpu > 0 {
            parts.push(format!("gpu: {}", self.gpu));
        }
        if self.inf > 0 {
            parts.push(format!("inf: {}", self.inf));
        }
        if parts.is_empty() {
            "no resources".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// What one instance type offers a replica after Cortex's reserves
/// (validations.go:218-240).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocatable {
    pub cpu: Quantity,
    pub mem: Quantity,
    pub gpu: i64,
    pub inf: i64,
}

impl Allocatable {
    pub fn of(instance: &Instance) -> Self {
        let mut cpu_reserve = CORTEX_CPU_RESERVE_MILLIS;
        let mut mem_reserve = CORTEX_MEM_RESERVE_MI;
        if instance.gpu > 0 {
            cpu_reserve += GPU_CPU_RESERVE_MILLIS;
            mem_reserve += GPU_MEM_RESERVE_MI;
        }
        if instance.inf > 0 {
            cpu_reserve += INF_CPU_RESERVE_MILLIS;
            mem_reserve += INF_MEM_RESERVE_MI;
        }
        Self {
            cpu: Quantity::from_units(i128::from(instance.cpu))
                .minus(Quantity::from_millis(cpu_reserve)),
            mem: instance.memory.minus(mi(mem_reserve)),
            gpu: instance.gpu,
            inf: instance.inf,
        }
    }

    /// The first resource that does not fit, in Cortex's order
    /// (validations.go:243-253).
    pub fn first_shortfall(&self, request: &Request) -> Option<Resource> {
        if request.cpu.as_ref().is_some_and(|(q, _)| *q > self.cpu) {
            Some(Resource::Cpu)
        } else if request.mem.as_ref().is_some_and(|(q, _)| *q > self.mem) {
            Some(Resource::Mem)
        } else if request.gpu > self.gpu {
            Some(Resource::Gpu)
        } else if request.inf > self.inf {
            Some(Resource::Inf)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Mem,
    Gpu,
    Inf,
}

impl Resource {
    fn key(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Mem => "mem",
            Resource::Gpu => "gpu",
            Resource::Inf => "inf",
        }
    }
}

/// A candidate node group with its table row.
pub struct Candidate<'a> {
    pub group: &'a NodeGroup,
    pub instance: &'a Instance,
    pub allocatable: Allocatable,
}

/// The node groups an API may run on (validations.go:205-216): those named
/// in `compute.node_groups`, else all; only groups whose instance type is
/// in the region's table (the others are cluster-file errors already).
pub fn candidates<'a>(cluster: &'a ClusterConfig, request: &Request) -> Vec<Candidate<'a>> {
    cluster
        .node_groups
        .iter()
        .filter(|ng| {
            request
                .node_groups
                .as_ref()
                .is_none_or(|names| names.contains(&ng.name))
        })
        .filter_map(|group| {
            let instance = group.instance.as_ref()?;
            Some(Candidate {
                group,
                instance,
                allocatable: Allocatable::of(instance),
            })
        })
        .collect()
}

/// `compute.node_groups` entries the cluster does not have (validations.go:197-201).
pub fn unknown_node_groups(api: &ApiCtx<'_>, cluster: &ClusterConfig) -> Vec<Diagnostic> {
    let Some(names) = api
        .config
        .compute
        .as_ref()
        .and_then(|c| c.node_groups.as_ref())
    else {
        return Vec::new();
    };
    let known: Vec<&str> = cluster
        .node_groups
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    names
        .iter()
        .enumerate()
        .filter(|(_, name)| !known.contains(&name.as_str()))
        .map(|(i, name)| {
            let d = api.error(
                codes::UNKNOWN_NODE_GROUP,
                &format!("compute.node_groups[{i}]"),
                format!("node group `{name}` does not exist in cluster `{}`", cluster.cluster_name),
                "unknown node group",
            );
            match suggest(name, known.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!(
                    "the cluster's node groups: {}; or remove compute.node_groups to let Cortex choose",
                    known.join(", ")
                )),
            }
        })
        .collect()
}

/// The request fits at least one candidate (validations.go:218-262).
pub fn request_fits(api: &ApiCtx<'_>, cluster: &ClusterConfig) -> Vec<Diagnostic> {
    if !unknown_node_groups(api, cluster).is_empty() {
        // Cortex stops at the unknown group (validations.go:199)
        return Vec::new();
    }
    let request = Request::of(api);
    let candidates = candidates(cluster, &request);
    if candidates.is_empty()
        || candidates
            .iter()
            .any(|c| c.allocatable.first_shortfall(&request).is_none())
    {
        return Vec::new();
    }
    let scope = if request.node_groups.is_some() {
        "the node groups in compute.node_groups"
    } else {
        "any node group"
    };
    let notes = candidates
        .iter()
        .map(|c| format!("{}: {}", label(c), holds(&c.allocatable)))
        .collect::<Vec<_>>();
    let mut d = match resource_nowhere(&request, &candidates) {
        Some(r) if accelerator_missing(r, &candidates) => no_accelerator(api, r, &request, scope),
        Some(r) => does_not_fit(api, r, &request, &candidates, scope),
        None => Diagnostic::error(
                codes::REQUEST_FITS_NO_NODE_GROUP,
                format!("the request ({}) does not fit {scope}: each one lacks some resource", request.describe()),
            )
            .at(api.key_span("compute"), "fits no single node group")
            .in_api(Some(api.name))
            .with_path("compute")
            .help("lower the request so that one instance type holds all of it, or add a larger node group"),
    };
    for note in notes {
        d = d.note(format!("allocatable after Cortex's reserves on {note}"));
    }
    vec![d]
}

/// The first requested resource no candidate can hold.
fn resource_nowhere(request: &Request, candidates: &[Candidate<'_>]) -> Option<Resource> {
    [Resource::Cpu, Resource::Mem, Resource::Gpu, Resource::Inf]
        .into_iter()
        .find(|r| {
            candidates
                .iter()
                .all(|c| shortfall_in(&c.allocatable, request, *r))
        })
}

fn shortfall_in(a: &Allocatable, request: &Request, r: Resource) -> bool {
    match r {
        Resource::Cpu => request.cpu.as_ref().is_some_and(|(q, _)| *q > a.cpu),
        Resource::Mem => request.mem.as_ref().is_some_and(|(q, _)| *q > a.mem),
        Resource::Gpu => request.gpu > a.gpu,
        Resource::Inf => request.inf > a.inf,
    }
}

fn accelerator_missing(r: Resource, candidates: &[Candidate<'_>]) -> bool {
    match r {
        Resource::Gpu => candidates.iter().all(|c| c.instance.gpu == 0),
        Resource::Inf => candidates.iter().all(|c| c.instance.inf == 0),
        _ => false,
    }
}

fn no_accelerator(api: &ApiCtx<'_>, r: Resource, request: &Request, scope: &str) -> Diagnostic {
    let (what, example) = match r {
        Resource::Gpu => ("GPU", "g4dn.xlarge"),
        _ => ("Inferentia", "inf1.xlarge"),
    };
    let amount = if r == Resource::Gpu {
        request.gpu
    } else {
        request.inf
    };
    api.error(
        codes::NO_ACCELERATOR_IN_CLUSTER,
        &format!("compute.{}", r.key()),
        format!("{}: {amount} requests {what}, but none of {} has {what} instances", r.key(), scope.trim_start_matches("any ")),
        format!("no {what} instances"),
    )
    .help(format!("add a node group of {what} instances (e.g. {example}) to the cluster, or remove compute.{}", r.key()))
}

fn does_not_fit(
    api: &ApiCtx<'_>,
    r: Resource,
    request: &Request,
    candidates: &[Candidate<'_>],
    scope: &str,
) -> Diagnostic {
    let best = candidates.iter().max_by(|a, b| {
        amount(&a.allocatable, r)
            .cmp(&amount(&b.allocatable, r))
            .then_with(|| b.group.name.cmp(&a.group.name))
    });
    let (requested, offered, largest) = match (r, best) {
        (Resource::Cpu, Some(c)) => (
            request
                .cpu
                .as_ref()
                .map(|(_, t)| t.clone())
                .unwrap_or_default(),
            format!("{}m", c.allocatable.cpu.millis()),
            format!(
                "`{}` ({}, {} vCPU)",
                c.group.name, c.instance.instance_type, c.instance.cpu
            ),
        ),
        (Resource::Mem, Some(c)) => (
            request
                .mem
                .as_ref()
                .map(|(_, t)| t.clone())
                .unwrap_or_default(),
            show_mi(c.allocatable.mem),
            format!(
                "`{}` ({}, {})",
                c.group.name, c.instance.instance_type, c.instance.memory_text
            ),
        ),
        (Resource::Gpu, Some(c)) => (
            request.gpu.to_string(),
            c.allocatable.gpu.to_string(),
            format!(
                "`{}` ({}, {} GPU)",
                c.group.name, c.instance.instance_type, c.instance.gpu
            ),
        ),
        (_, Some(c)) => (
            request.inf.to_string(),
            c.allocatable.inf.to_string(),
            format!(
                "`{}` ({}, {} Inferentia)",
                c.group.name, c.instance.instance_type, c.instance.inf
            ),
        ),
        (_, None) => (String::new(), String::new(), String::new()),
    };
    let after = if matches!(r, Resource::Cpu | Resource::Mem) {
        " allocatable after Cortex's reserves"
    } else {
        ""
    };
    api.error(
        codes::REQUEST_FITS_NO_NODE_GROUP,
        &format!("compute.{}", r.key()),
        format!(
            "{}: {requested} does not fit {scope}: the largest, {largest}, has {offered}{after}",
            r.key()
        ),
        "fits no node group",
    )
    .help(format!(
        "request at most {offered}, or add a node group with a larger instance type"
    ))
}

fn amount(a: &Allocatable, r: Resource) -> Quantity {
    match r {
        Resource::Cpu => a.cpu,
        Resource::Mem => a.mem,
        Resource::Gpu => Quantity::from_units(i128::from(a.gpu)),
        Resource::Inf => Quantity::from_units(i128::from(a.inf)),
    }
}

/// `6942Mi` (Cortex's memory figures are whole MiB).
fn show_mi(q: Quantity) -> String {
    let bytes = q.units();
    if bytes % (1024 * 1024) == 0 {
        format!("{}Mi", bytes / (1024 * 1024))
    } else {
        format!("{bytes}")
    }
}

fn label(c: &Candidate<'_>) -> String {
    format!("`{}` ({})", c.group.name, c.instance.instance_type)
}

fn holds(a: &Allocatable) -> String {
    format!(
        "cpu {}m, mem {}, gpu {}, inf {}",
        a.cpu.millis(),
        show_mi(a.mem),
        a.gpu,
        a.inf
    )
}

/// Warns when every group the request fits leaves less than 7% of the
/// node's memory: the figure Cortex uses drops to what nodes report.
pub fn tight_fit(api: &ApiCtx<'_>, cluster: &ClusterConfig) -> Vec<Diagnostic> {
    let request = Request::of(api);
    let Some((mem, text)) = &request.mem else {
        return Vec::new();
    };
    let candidates = candidates(cluster, &request);
    let fitting: Vec<&Candidate<'_>> = candidates
        .iter()
        .filter(|c| c.allocatable.first_shortfall(&request).is_none())
        .collect();
    let roomy = |c: &&Candidate<'_>| {
        let margin = c.allocatable.mem.minus(*mem);
        margin.units() * 100 >= c.instance.memory.units() * TIGHT_MEMORY_PERCENT
    };
    if fitting.is_empty() || fitting.iter().any(roomy) {
        return Vec::new();
    }
    let best = fitting
        .iter()
        .max_by_key(|c| (c.allocatable.mem, std::cmp::Reverse(c.group.name.clone())));
    let Some(best) = best else {
        return Vec::new();
    };
    let margin = best.allocatable.mem.minus(*mem);
    vec![
        api.warning(
            codes::REQUEST_FITS_TIGHTLY,
            "compute.mem",
            format!(
                "mem: {text} leaves only {} of `{}` ({}, {} allocatable after Cortex's reserves); nodes report less memory than the table, so a later deploy can be refused",
                show_bytes_mi(margin),
                best.group.name,
                best.instance.instance_type,
                show_mi(best.allocatable.mem)
            ),
            "little room left",
        )
        .help(format!(
            "keep at least {TIGHT_MEMORY_PERCENT}% of the node's memory ({}) free, e.g. request less memory",
            show_bytes_mi(Quantity::from_units(best.instance.memory.units() * TIGHT_MEMORY_PERCENT / 100))
        )),
    ]
}

/// A margin in MiB, rounded down (`183Mi`).
fn show_bytes_mi(q: Quantity) -> String {
    format!("{}Mi", q.units() / (1024 * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::check_text;
    use crate::rules::testing::{api_yaml, found, run_with};

    const CLUSTER: &str = "region: us-west-2\nnode_groups:\n  - name: cpu-pool\n    instance_type: m5.xlarge\n  - name: small\n    instance_type: t3.medium\n";

    fn cluster(text: &str) -> ClusterConfig {
        let loaded = check_text(text);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        loaded.config.expect("decodes")
    }

    fn run(compute: &str, cluster_text: &str) -> (String, Vec<Diagnostic>) {
        let text = api_yaml("", compute);
        let cluster = cluster(cluster_text);
        let diags = run_with(&text, |api| {
            let mut all = unknown_node_groups(api, &cluster);
            all.extend(request_fits(api, &cluster));
            all.extend(tight_fit(api, &cluster));
            all
        });
        (text, diags)
    }

    #[test]
    fn allocatable_matches_cortex_s_reserves() {
        // validations.go:170-189; e.g. m5.large 2 vCPU 8192Mi → 1280m 6942Mi
        let t = crate::cluster::instances::table();
        let at = |ty: &str| Allocatable::of(t.get("us-west-2", ty).expect("known"));
        let m5 = at("m5.large");
        assert_eq!(
            (m5.cpu.millis(), show_mi(m5.mem)),
            (1280, "6942Mi".to_owned())
        );
        let g4 = at("g4dn.xlarge");
        assert_eq!(
            (g4.cpu.millis(), show_mi(g4.mem)),
            (3130, "14984Mi".to_owned())
        );
        let inf = at("inf1.xlarge");
        assert_eq!(
            (inf.cpu.millis(), show_mi(inf.mem)),
            (3180, "6842Mi".to_owned())
        );
        let t3 = at("t3.medium");
        assert_eq!(
            (t3.cpu.millis(), show_mi(t3.mem)),
            (1280, "2846Mi".to_owned())
        );
    }

    #[test]
    fn cpu_that_fits_nowhere_names_the_largest_group() {
        let (text, diags) = run("  compute:\n    cpu: 4\n", CLUSTER);
        assert_eq!(found(&text, &diags), vec![("TFC6101", "4")]);
        assert_eq!(
            diags[0].message,
            "cpu: 4 does not fit any node group: the largest, `cpu-pool` (m5.xlarge, 4 vCPU), has 3280m allocatable after Cortex's reserves"
        );
        let (_, ok) = run("  compute:\n    cpu: 3280m\n", CLUSTER);
        assert_eq!(ok, vec![]);
    }

    #[test]
    fn memory_compares_exactly() {
        // 16G = 16,000,000,000 bytes > m5.xlarge's 15134Mi = 15,869,149,184 bytes
        let (text, diags) = run("  compute:\n    mem: 16G\n", CLUSTER);
        assert_eq!(found(&text, &diags), vec![("TFC6101", "16G")]);
        assert!(
            diags[0].message.contains("has 15134Mi allocatable"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn accelerators_need_such_instances() {
        let (text, diags) = run("  compute:\n    gpu: 1\n", CLUSTER);
        assert_eq!(found(&text, &diags), vec![("TFC6102", "1")]);
        let (text, diags) = run("  compute:\n    inf: 1\n", CLUSTER);
        assert_eq!(found(&text, &diags), vec![("TFC6102", "1")]);
        let gpu =
            "region: us-west-2\nnode_groups:\n  - name: gpu\n    instance_type: g4dn.xlarge\n";
        let (text, diags) = run("  compute:\n    gpu: 2\n", gpu);
        assert_eq!(found(&text, &diags), vec![("TFC6101", "2")]);
    }

    #[test]
    fn node_group_selection_narrows_the_candidates() {
        let (text, diags) = run(
            "  compute:\n    cpu: 2\n    node_groups: [small]\n",
            CLUSTER,
        );
        assert_eq!(found(&text, &diags), vec![("TFC6101", "2")]);
        assert!(
            diags[0]
                .message
                .contains("the node groups in compute.node_groups")
        );
        let (text, diags) = run("  compute:\n    node_groups: [cpu-pol]\n", CLUSTER);
        assert_eq!(found(&text, &diags), vec![("TFC6100", "cpu-pol")]);
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `cpu-pool`?"));
    }

    #[test]
    fn no_single_group_holding_everything_is_refused() {
        let gpu = "region: us-west-2\nnode_groups:\n  - name: big\n    instance_type: m5.4xlarge\n  - name: gpu\n    instance_type: g4dn.xlarge\n";
        let (text, diags) = run("  compute:\n    cpu: 8\n    gpu: 1\n", gpu);
        assert_eq!(found(&text, &diags), vec![("TFC6101", "compute")]);
    }

    #[test]
    fn little_room_is_a_warning() {
        // m5.xlarge: 15134Mi allocatable; 7% of 16384Mi is 1146Mi
        let (text, diags) = run("  compute:\n    mem: 14500Mi\n", CLUSTER);
        assert_eq!(found(&text, &diags), vec![("TFC6103", "14500Mi")]);
        assert!(
            diags[0].message.contains("leaves only 634Mi"),
            "{}",
            diags[0].message
        );
        let (_, roomy) = run("  compute:\n    mem: 13Gi\n", CLUSTER);
        assert_eq!(roomy, vec![]);
    }
}
