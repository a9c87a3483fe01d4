//! Field rules of the cluster file that JSON Schema cannot express: the
//! instance table, node group names, cross-field bounds, spot settings,
//! CIDRs, tags and network settings, each checked where Cortex 0.34 checks
//! it (`pkg/types/clusterconfig/cluster_config.go`; line numbers at v0.34.0
//! are in `docs/fidelity.md`). What needs AWS (account id, quotas, ARNs,
//! subnets, zones, spot prices) is not checked.
//!
//! One small function per rule, each with its own code; every diagnostic is
//! labelled on the value as written. To add a rule, write it here, list it
//! in [`RULES`] and give it a unit test asserting its code and span.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::file::{ClusterFile, NatGateway, NodeGroupFile, SubnetVisibility, VolumeType};
use super::instances::{Instance, table};
use crate::diag::{Code, Diagnostic, codes, suggest};
use crate::rules::parse_path;
use crate::schema::locate;
use crate::source::Span;
use crate::yaml::Node;

/// A decoded cluster file with its tree, for spans.
pub struct ClusterCtx<'a> {
    pub file: &'a ClusterFile,
    pub root: &'a Node,
}

impl ClusterCtx<'_> {
    /// The span of the value at `path`, else of the nearest written ancestor.
    fn span(&self, path: &str) -> Span {
        let mut segs = parse_path(path);
        loop {
            if let Some(found) = locate(self.root, &segs) {
                return found.value_span();
            }
            if segs.pop().is_none() {
                return self.root.span.start..self.root.span.start;
            }
        }
    }

    fn error(&self, code: Code, path: &str, message: String, label: &str) -> Diagnostic {
        Diagnostic::error(code, message)
            .at(self.span(path), label)
            .with_path(path)
    }

    fn region(&self) -> &str {
        &self.file.region
    }

    fn groups(&self) -> impl Iterator<Item = (usize, &NodeGroupFile)> {
        self.file.node_groups.iter().enumerate()
    }
}

type Rule = fn(&ClusterCtx<'_>) -> Vec<Diagnostic>;

/// Every rule, in the order Cortex reads the file.
const RULES: &[Rule] = &[
    provider,
    names,
    region,
    images,
    node_group_count,
    duplicate_node_groups,
    max_instances_zero,
    min_above_max,
    instance_types,
    iops,
    spot_config_without_spot,
    spot_distribution,
    on_demand_base_capacity,
    cidrs,
    tags,
    availability_zones,
    network,
];

pub fn run(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    RULES.iter().flat_map(|rule| rule(ctx)).collect()
}

/// `provider`: only `aws` or empty (cluster_config.go:211-225).
fn provider(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let Some(p) = ctx.file.provider.as_deref() else {
        return Vec::new();
    };
    if p.is_empty() || p == "aws" {
        return Vec::new();
    }
    let why = if p == "gcp" || p == "local" {
        "is no longer supported"
    } else {
        "is not a supported provider"
    };
    vec![
        ctx.error(
            codes::CLUSTER_PROVIDER,
            "provider",
            format!("provider `{p}` {why}; Cortex 0.34 supports only aws"),
            "not aws",
        )
        .help("remove the provider key (or write `provider: aws`)"),
    ]
}

static STRICT_S3: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^([a-z0-9])+(-[a-z0-9]+)*$").ok());

/// Cortex's pattern for cluster and bucket names.
pub fn strict_s3(text: &str) -> bool {
    STRICT_S3.as_ref().is_some_and(|r| r.is_match(text))
}

/// `cluster_name` and a non-empty `bucket` match Cortex's strict S3
/// pattern (cluster_config.go:1450-1455, :1115-1127).
fn names(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let fields = [
        ("cluster_name", ctx.file.cluster_name.as_deref()),
        (
            "bucket",
            ctx.file.bucket.as_deref().filter(|b| !b.is_empty()),
        ),
    ];
    fields
        .into_iter()
        .filter_map(|(field, value)| Some((field, value?)))
        .filter(|(_, value)| !strict_s3(value))
        .map(|(field, value)| {
            ctx.error(
                codes::CLUSTER_BAD_NAME,
                field,
                format!("{field} `{value}` may only hold lower-case letters, digits and single dashes between them"),
                "not a valid name",
            )
            .help("e.g. `my-cluster`: no capitals, underscores, dots, or leading, trailing or double dashes")
        })
        .collect()
}

/// `region` is one of the table's regions (cluster_config.go:170-182).
fn region(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let region = ctx.region();
    if region.is_empty() || table().has_region(region) {
        return Vec::new();
    }
    let d = ctx.error(
        codes::CLUSTER_UNKNOWN_REGION,
        "region",
        format!("region `{region}` is not an AWS region Cortex 0.34 supports"),
        "unknown region",
    );
    vec![match suggest(region, table().regions()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!(
            "supported regions: {}",
            table().regions().collect::<Vec<_>>().join(", ")
        )),
    }]
}

/// Image overrides from Cortex's registries carry a 0.34.0 tag
/// (configreader/validators.go:124-140).
fn images(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    ctx.file
        .images()
        .into_iter()
        .filter_map(|(key, image)| {
            // the same prefixes and tag rule as cortex.yaml's images
            let tag = crate::values::image::cortex_tag(image)?;
            (!tag.starts_with(crate::rules::handler::CORTEX_VERSION)).then(|| {
                ctx.error(
                    codes::CLUSTER_IMAGE_VERSION,
                    key,
                    format!("{key} `{image}` has the tag `{tag}`, but Cortex 0.34 needs its own images tagged {}", crate::rules::handler::CORTEX_VERSION),
                    "wrong version",
                )
                .help(format!("use a tag starting with {}", crate::rules::handler::CORTEX_VERSION))
            })
        })
        .collect()
}

const MAX_NODE_GROUPS: usize = 100;

/// At least one node group, at most 100 (cluster_config.go:787-793).
fn node_group_count(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let n = ctx.file.node_groups.len();
    let message = match n {
        0 => "no node group is configured; a cluster needs at least one".to_owned(),
        n if n > MAX_NODE_GROUPS => {
            format!("{n} node groups are configured; Cortex allows at most {MAX_NODE_GROUPS}")
        }
        _ => return Vec::new(),
    };
    vec![
        ctx.error(
            codes::CLUSTER_NODE_GROUP_COUNT,
            "node_groups",
            message,
            "node groups",
        )
        .help("list 1 to 100 node groups, each with a name and an instance_type"),
    ]
}

/// Node group names are unique (cluster_config.go:802-806).
fn duplicate_node_groups(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut found = Vec::new();
    for (i, ng) in ctx.groups() {
        match seen.iter().find(|(name, _)| *name == ng.name) {
            Some((_, first)) => found.push(
                ctx.error(
                    codes::CLUSTER_DUPLICATE_NODE_GROUP,
                    &format!("node_groups[{i}].name"),
                    format!("two node groups are named `{}`", ng.name),
                    "duplicate name",
                )
                .also(
                    ctx.span(&format!("node_groups[{first}].name")),
                    "first used here",
                )
                .help("give every node group its own name"),
            ),
            None => seen.push((&ng.name, i)),
        }
    }
    found
}

const DEFAULT_MIN_INSTANCES: i64 = 1;
const DEFAULT_MAX_INSTANCES: i64 = 5;

/// `max_instances: 0` is refused at cluster creation (cluster_config.go:798-801).
fn max_instances_zero(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    ctx.groups()
        .filter(|(_, ng)| ng.max_instances == Some(0))
        .map(|(i, ng)| {
            ctx.error(
                codes::CLUSTER_MAX_INSTANCES_ZERO,
                &format!("node_groups[{i}].max_instances"),
                format!("node group `{}` has max_instances: 0; node groups cannot be created with 0 (only scaled to 0 later)", ng.name),
                "must be at least 1",
            )
            .help("set max_instances to 1 or more")
        })
        .collect()
}

/// `min_instances <= max_instances`, defaults included (cluster_config.go:929-931).
fn min_above_max(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    ctx.groups()
        .filter_map(|(i, ng)| {
            let min = ng.min_instances.unwrap_or(DEFAULT_MIN_INSTANCES);
            let max = ng.max_instances.unwrap_or(DEFAULT_MAX_INSTANCES);
            // max_instances: 0 is refused first (cluster_config.go:799)
            (min > max && max > 0).then(|| {
                let shown = |v: Option<i64>, d: i64| match v {
                    Some(v) => v.to_string(),
                    None => format!("{d}, the default"),
                };
                let field = if ng.min_instances.is_some() {
                    "min_instances"
                } else {
                    "max_instances"
                };
                ctx.error(
                    codes::CLUSTER_MIN_ABOVE_MAX,
                    &format!("node_groups[{i}].{field}"),
                    format!(
                        "node group `{}`: min_instances ({}) is greater than max_instances ({})",
                        ng.name,
                        shown(ng.min_instances, DEFAULT_MIN_INSTANCES),
                        shown(ng.max_instances, DEFAULT_MAX_INSTANCES)
                    ),
                    "greater than max_instances",
                )
                .help("lower min_instances or raise max_instances")
            })
        })
        .collect()
}

/// What Cortex says about one instance type, before the region check
/// (cluster_config.go:1138-1156 validateInstanceType, :992-1010 checkCortexSupport).
fn instance_type_problem(instance_type: &str) -> Option<(Code, String, String)> {
    if table().anywhere(instance_type).is_none() {
        let help = match suggest(instance_type, table().type_names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "use an EC2 instance type such as m5.large, g4dn.xlarge or inf1.xlarge".to_owned()
            }
        };
        return Some((
            codes::CLUSTER_UNKNOWN_INSTANCE_TYPE,
            format!("`{instance_type}` is not an instance type Cortex 0.34 knows"),
            help,
        ));
    }
    let family = instance_type.split('.').next().unwrap_or_default();
    let why = if instance_type.ends_with("nano") || instance_type.ends_with("micro") {
        "nano and micro instances are too small for Cortex"
    } else if NLB_UNSUPPORTED.contains(&family) {
        "its network load balancer cannot target this instance family"
    } else if is_arm(instance_type) {
        "ARM instances are not supported"
    } else {
        return None;
    };
    Some((
        codes::CLUSTER_UNSUPPORTED_INSTANCE_TYPE,
        format!("Cortex 0.34 does not support `{instance_type}`: {why}"),
        "choose an x86 instance type of size large or more, e.g. m5.large".to_owned(),
    ))
}

/// pkg/lib/aws/elb.go:31
const NLB_UNSUPPORTED: &[&str] = &[
    "c1", "cc1", "cc2", "cg1", "cg2", "cr1", "g1", "g2", "hi1", "hs1", "m1", "m2", "m3", "t1",
];

static ARM_FLAG: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\w+[0-9]+\w*g\w*\.\w+$").ok());

/// pkg/lib/aws/ec2.go:41-47: `a1`, or a `g` among the family's flags.
fn is_arm(instance_type: &str) -> bool {
    instance_type.starts_with('a') || ARM_FLAG.as_ref().is_some_and(|r| r.is_match(instance_type))
}

/// Each primary instance type and each spot alternative is known, supported
/// and (primary always, alternatives with spot) sold in the region.
fn instance_types(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (i, ng) in ctx.groups() {
        let path = format!("node_groups[{i}].instance_type");
        if let Some(d) = instance_diagnostic(ctx, &ng.instance_type, &path, true) {
            found.push(d);
        }
        let alternatives = ng
            .spot_config
            .as_ref()
            .and_then(|s| s.instance_distribution.as_deref())
            .unwrap_or_default();
        let spot = ng.spot == Some(true);
        for (j, t) in alternatives.iter().enumerate() {
            let path = format!("node_groups[{i}].spot_config.instance_distribution[{j}]");
            let in_region_matters = spot && *t != ng.instance_type;
            if let Some(d) = instance_diagnostic(ctx, t, &path, in_region_matters) {
                found.push(d);
            }
        }
    }
    found
}

fn instance_diagnostic(
    ctx: &ClusterCtx<'_>,
    instance_type: &str,
    path: &str,
    region_matters: bool,
) -> Option<Diagnostic> {
    if let Some((code, message, help)) = instance_type_problem(instance_type) {
        return Some(
            ctx.error(code, path, message, "not accepted by Cortex")
                .help(help),
        );
    }
    let region = ctx.region();
    if !region_matters
        || !table().has_region(region)
        || table().get(region, instance_type).is_some()
    {
        return None;
    }
    Some(
        ctx.error(
            codes::CLUSTER_INSTANCE_NOT_IN_REGION,
            path,
            format!("{instance_type} instances are not available in {region}"),
            "not in this region",
        )
        .help("choose an instance type Cortex's table lists for the region, or another region"),
    )
}

/// IOPS only on io1, at most 50 per GB (cluster_config.go:938-947).
fn iops(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    ctx.groups()
        .filter_map(|(i, ng)| {
            let iops = ng.instance_volume_iops?;
            let volume = ng.instance_volume_type.unwrap_or(VolumeType::Gp2);
            let size = ng.instance_volume_size.unwrap_or(50);
            let path = format!("node_groups[{i}].instance_volume_iops");
            if volume != VolumeType::Io1 {
                Some(ctx.error(
                    codes::CLUSTER_IOPS,
                    &path,
                    format!("node group `{}`: instance_volume_iops cannot be set for instance_volume_type {}", ng.name, volume.as_str()),
                    "only with io1",
                ).help("set `instance_volume_type: io1` or remove instance_volume_iops"))
            } else if iops > size.saturating_mul(50) {
                Some(ctx.error(
                    codes::CLUSTER_IOPS,
                    &path,
                    format!("node group `{}`: instance_volume_iops ({iops}) is more than 50 times instance_volume_size ({size})", ng.name),
                    "too many IOPS for the volume",
                ).help(format!("at most {} for a {size} GB volume", size.saturating_mul(50))))
            } else {
                None
            }
        })
        .collect()
}

/// `spot_config` only with `spot: true` (cluster_config.go:983-986).
fn spot_config_without_spot(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    ctx.groups()
        .filter(|(_, ng)| ng.spot != Some(true) && ng.spot_config.is_some())
        .map(|(i, ng)| {
            ctx.error(
                codes::CLUSTER_SPOT_CONFIG_WITHOUT_SPOT,
                &format!("node_groups[{i}].spot_config"),
                format!(
                    "node group `{}` has spot_config but not `spot: true`",
                    ng.name
                ),
                "spot is not enabled",
            )
            .help("add `spot: true` to the node group, or remove spot_config")
        })
        .collect()
}

/// Spot alternatives: no duplicates (configreader DisallowDups) and at
/// least as large as the primary (cluster_config.go:958-970, :1046-1064).
fn spot_distribution(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (i, ng) in ctx.groups() {
        let Some(list) = ng
            .spot_config
            .as_ref()
            .and_then(|s| s.instance_distribution.as_deref())
        else {
            continue;
        };
        let base = format!("node_groups[{i}].spot_config.instance_distribution");
        found.extend(duplicates(ctx, &base, list));
        let primary = table().get(ctx.region(), &ng.instance_type);
        let (Some(primary), true) = (primary, ng.spot == Some(true)) else {
            continue;
        };
        for (j, t) in list.iter().enumerate() {
            let Some(other) = table().get(ctx.region(), t) else {
                continue;
            };
            if let Some(why) = smaller_than(primary, other) {
                found.push(
                    ctx.error(
                        codes::CLUSTER_SPOT_INSTANCE_TOO_SMALL,
                        &format!("{base}[{j}]"),
                        format!("node group `{}`: {why}", ng.name),
                        "smaller than the primary instance type",
                    )
                    .help("list only instance types at least as large as instance_type"),
                );
            }
        }
    }
    found
}

fn smaller_than(primary: &Instance, other: &Instance) -> Option<String> {
    let (p, o) = (&primary.instance_type, &other.instance_type);
    if primary.inf > 0 && other.inf == 0 {
        Some(format!(
            "all instances must have at least 1 Inferentia chip, but {o} has none"
        ))
    } else if primary.gpu > other.gpu {
        Some(format!(
            "{o} has {} GPU, fewer than {p}'s {}",
            other.gpu, primary.gpu
        ))
    } else if primary.memory > other.memory {
        Some(format!(
            "{o} has {} memory, less than {p}'s {}",
            other.memory_text, primary.memory_text
        ))
    } else if primary.cpu > other.cpu {
        Some(format!(
            "{o} has {} CPU, fewer than {p}'s {}",
            other.cpu, primary.cpu
        ))
    } else {
        None
    }
}

fn duplicates(ctx: &ClusterCtx<'_>, base: &str, list: &[String]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (j, item) in list.iter().enumerate() {
        if let Some(first) = list[..j].iter().position(|x| x == item) {
            found.push(
                ctx.error(
                    codes::CLUSTER_DUPLICATE_ITEM,
                    &format!("{base}[{j}]"),
                    format!("{base} lists `{item}` twice"),
                    "listed twice",
                )
                .also(ctx.span(&format!("{base}[{first}]")), "first listed here")
                .help("remove the repeated item"),
            );
        }
    }
    found
}

/// `on_demand_base_capacity <= max_instances` (cluster_config.go:980-982).
fn on_demand_base_capacity(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    ctx.groups()
        .filter(|(_, ng)| ng.spot == Some(true))
        .filter_map(|(i, ng)| {
            let base = ng.spot_config.as_ref()?.on_demand_base_capacity?;
            let max = ng.max_instances.unwrap_or(DEFAULT_MAX_INSTANCES);
            (base > max).then(|| {
                ctx.error(
                    codes::CLUSTER_ON_DEMAND_BASE_ABOVE_MAX,
                    &format!("node_groups[{i}].spot_config.on_demand_base_capacity"),
                    format!("node group `{}`: on_demand_base_capacity ({base}) is greater than max_instances ({max})", ng.name),
                    "above max_instances",
                )
                .help("lower on_demand_base_capacity or raise max_instances")
            })
        })
        .collect()
}

/// CIDRs as Go's `net.ParseCIDR` reads them (cluster_config.go:1129-1135).
fn cidrs(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let mut fields: Vec<(String, &str)> = Vec::new();
    if let Some(v) = ctx.file.vpc_cidr.as_deref() {
        fields.push(("vpc_cidr".to_owned(), v));
    }
    for (key, list) in [
        (
            "api_load_balancer_cidr_white_list",
            &ctx.file.api_load_balancer_cidr_white_list,
        ),
        (
            "operator_load_balancer_cidr_white_list",
            &ctx.file.operator_load_balancer_cidr_white_list,
        ),
    ] {
        for (i, v) in list.iter().flatten().enumerate() {
            fields.push((format!("{key}[{i}]"), v));
        }
    }
    fields
        .into_iter()
        .filter(|(_, v)| !is_cidr(v))
        .map(|(path, v)| {
            ctx.error(
                codes::CLUSTER_BAD_CIDR,
                &path,
                format!("{path} `{v}` is not a CIDR range"),
                "not a CIDR",
            )
            .help("write an address and a prefix length, e.g. 10.0.0.0/16 or 0.0.0.0/0")
        })
        .collect()
}

/// As `net.ParseCIDR` of Go 1.14 (Cortex 0.34's toolchain,
/// images/operator/Dockerfile:1): an IPv4 part may have leading zeros
/// (`010.0.0.0` is 10.0.0.0), so may the prefix length.
pub fn is_cidr(text: &str) -> bool {
    let Some((ip, bits)) = text.split_once('/') else {
        return false;
    };
    let max = if is_go_ipv4(ip) {
        32
    } else if ip.parse::<std::net::Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|b| b <= max)
}

/// Four decimal parts of at most 255, leading zeros allowed.
fn is_go_ipv4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 255)
        })
}

/// cluster_config.go:58
const INVALID_TAG_PREFIXES: &[&str] = &[
    "kubernetes.io/",
    "k8s.io/",
    "eksctl.",
    "alpha.eksctl.",
    "beta.eksctl.",
    "aws:",
    "Aws:",
    "aWs:",
    "awS:",
    "aWS:",
    "AwS:",
    "AWS:",
];
const CLUSTER_NAME_TAG: &str = "cortex.dev/cluster-name";

static AWS_TAG: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\sa-zA-Z0-9_\-\.:/+@]+$").ok());

/// What is wrong with a tag key or value, as configreader's
/// StringValidation for tags sees it (cluster_config.go:553-575).
fn tag_text_problem(text: &str, max: usize) -> Option<String> {
    let len = text.chars().count();
    if len == 0 || len > max {
        Some(format!("must be 1 to {max} characters"))
    } else if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        Some("cannot start or end with a space".to_owned())
    } else if let Some(p) = INVALID_TAG_PREFIXES.iter().find(|p| text.starts_with(*p)) {
        Some(format!("cannot start with `{p}`"))
    } else if !AWS_TAG.as_ref().is_some_and(|r| r.is_match(text)) {
        Some("may only hold letters, digits, spaces and _ . : / + - @".to_owned())
    } else {
        None
    }
}

/// Tag keys and values, and Cortex's reserved `cortex.dev/` keys
/// (cluster_config.go:553-575, :890-899).
fn tags(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let Some(tags) = &ctx.file.tags else {
        return Vec::new();
    };
    let cluster_name = ctx.file.cluster_name.as_deref().unwrap_or("cortex");
    let mut found = Vec::new();
    for (key, value) in tags {
        // keys hold dots and slashes: looked up directly, not by path
        let entry = ctx.root.get("tags").and_then(|t| t.entry(key));
        let key_span = entry.map_or_else(|| ctx.span("tags"), |e| e.key_span.clone());
        let value_span = entry.map_or_else(|| ctx.span("tags"), |e| e.value.span.clone());
        let bad = |span: Span, message: String, help: &str| {
            Diagnostic::error(codes::CLUSTER_BAD_TAG, message)
                .at(span, "invalid tag")
                .with_path(format!("tags.{key}"))
                .help(help)
        };
        if let Some(why) = tag_text_problem(key, 127) {
            found.push(bad(
                key_span,
                format!("tag key `{key}` {why}"),
                "rename the tag",
            ));
        } else if let Some(why) = tag_text_problem(value, 255) {
            found.push(bad(
                value_span,
                format!("the value of tag `{key}` {why}"),
                "change the tag's value",
            ));
        } else if key.starts_with("cortex.dev/") && key != CLUSTER_NAME_TAG {
            found.push(bad(
                key_span,
                format!("tag key `{key}` starts with `cortex.dev/`, which Cortex reserves"),
                "rename the tag",
            ));
        } else if key == CLUSTER_NAME_TAG && value != cluster_name {
            found.push(bad(
                value_span,
                format!("the `{CLUSTER_NAME_TAG}` tag is set by Cortex to the cluster name (`{cluster_name}`) and cannot be `{value}`"),
                "remove the tag: Cortex sets it",
            ));
        }
    }
    found
}

/// No duplicates, and not exactly one zone (cluster_config.go:599-606).
fn availability_zones(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let Some(zones) = &ctx.file.availability_zones else {
        return Vec::new();
    };
    let mut found = duplicates(ctx, "availability_zones", zones);
    if zones.len() == 1 {
        found.push(
            ctx.error(
                codes::CLUSTER_ONE_AVAILABILITY_ZONE,
                "availability_zones",
                "availability_zones lists one zone; Cortex needs none or at least two".to_owned(),
                "one zone",
            )
            .help("list at least two zones, or remove availability_zones"),
        );
    }
    found
}

/// Subnets, availability zones and NAT gateway fit together
/// (cluster_config.go:829-839).
fn network(ctx: &ClusterCtx<'_>) -> Vec<Diagnostic> {
    let f = ctx.file;
    let subnets = f.subnets.as_ref().is_some_and(|s| !s.is_empty());
    let zones = f.availability_zones.as_ref().is_some_and(|z| !z.is_empty());
    let mut found = Vec::new();
    let mut conflict = |path: &str, message: &str, help: &str| {
        found.push(
            ctx.error(
                codes::CLUSTER_NETWORK_CONFLICT,
                path,
                message.to_owned(),
                "conflicting setting",
            )
            .help(help.to_owned()),
        );
    };
    if zones && subnets {
        conflict(
            "subnets",
            "availability_zones and subnets cannot both be set",
            "keep one of them",
        );
    }
    // an unwritten nat_gateway defaults to none with subnets or public
    // visibility, else to single (cluster_config.go:637-655)
    let nat = f.nat_gateway;
    if subnets && nat.is_some_and(|n| n != NatGateway::None) {
        conflict(
            "nat_gateway",
            "a NAT gateway cannot be created when subnets are given",
            "remove nat_gateway or subnets",
        );
    }
    if f.subnet_visibility == Some(SubnetVisibility::Private)
        && nat == Some(NatGateway::None)
        && !subnets
    {
        conflict(
            "nat_gateway",
            "`subnet_visibility: private` needs a NAT gateway",
            "set nat_gateway to single or highly_available, or subnet_visibility to public",
        );
    }
    found
}

/// Node group names in use, for "did you mean" in the deploy checks.
pub fn names_of(file: &ClusterFile) -> BTreeSet<&str> {
    file.node_groups.iter().map(|n| n.name.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::check_text;

    const OK: &str =
        "region: us-west-2\nnode_groups:\n  - name: cpu\n    instance_type: m5.large\n";

    /// (code, spanned text) of each cluster diagnostic for `text`.
    fn found(text: &str) -> Vec<(&'static str, String)> {
        check_text(text)
            .diagnostics
            .iter()
            .map(|d| {
                let span = d.primary.as_ref().map(|l| l.span.clone()).unwrap_or(0..0);
                (d.code.as_str(), text[span].to_owned())
            })
            .collect()
    }

    fn with_group(extra: &str) -> String {
        format!("{OK}{extra}")
    }

    #[test]
    fn a_plain_cluster_has_no_findings() {
        assert_eq!(found(OK), vec![]);
    }

    #[test]
    fn provider_must_be_aws() {
        let text = format!("provider: gcp\n{OK}");
        assert_eq!(found(&text), vec![("TFC6002", "gcp".to_owned())]);
        assert_eq!(found(&format!("provider: aws\n{OK}")), vec![]);
    }

    #[test]
    fn cluster_name_and_bucket_follow_the_strict_s3_pattern() {
        let text = format!("cluster_name: My_Cluster\nbucket: a--b\n{OK}");
        assert_eq!(
            found(&text),
            vec![
                ("TFC6003", "My_Cluster".to_owned()),
                ("TFC6003", "a--b".to_owned())
            ]
        );
        assert_eq!(found(&format!("bucket: null\n{OK}")), vec![]);
    }

    #[test]
    fn unknown_region_is_refused_with_a_suggestion() {
        let text = OK.replace("us-west-2", "us-west-9");
        let diags = check_text(&text).diagnostics;
        assert_eq!(found(&text), vec![("TFC6004", "us-west-9".to_owned())]);
        assert!(diags[0].help.as_deref().unwrap_or("").contains("us-west-"));
    }

    #[test]
    fn cortex_images_need_the_0_34_tag() {
        let text = format!(
            "image_operator: quay.io/cortexlabs/operator:0.33.0\nimage_grafana: quay.io/cortexlabs/grafana\nimage_nvidia: example.com/nvidia:1\n{OK}"
        );
        assert_eq!(
            found(&text),
            vec![
                ("TFC6005", "quay.io/cortexlabs/operator:0.33.0".to_owned()),
                ("TFC6005", "quay.io/cortexlabs/grafana".to_owned())
            ]
        );
    }

    #[test]
    fn node_groups_are_counted_and_named_once() {
        let empty = "region: us-west-2\nnode_groups: []\n";
        assert_eq!(found(empty), vec![("TFC6006", "[]".to_owned())]);
        let dup = with_group("  - name: cpu\n    instance_type: m5.xlarge\n");
        let diags = check_text(&dup).diagnostics;
        assert_eq!(found(&dup), vec![("TFC6007", "cpu".to_owned())]);
        assert_eq!(diags[0].secondary.len(), 1);
    }

    #[test]
    fn instance_counts_are_bounded() {
        let text = with_group(
            "  - name: a\n    instance_type: m5.large\n    max_instances: 0\n  - name: b\n    instance_type: m5.large\n    min_instances: 6\n",
        );
        assert_eq!(
            found(&text),
            vec![("TFC6008", "0".to_owned()), ("TFC6009", "6".to_owned())]
        );
    }

    #[test]
    fn instance_types_are_checked_against_the_table() {
        let text = "region: af-south-1\nnode_groups:\n  - name: a\n    instance_type: m5.largee\n  - name: b\n    instance_type: t3.micro\n  - name: c\n    instance_type: m6g.large\n  - name: d\n    instance_type: m1.large\n  - name: e\n    instance_type: inf1.xlarge\n";
        assert_eq!(
            found(text),
            vec![
                ("TFC6010", "m5.largee".to_owned()),
                ("TFC6011", "t3.micro".to_owned()),
                ("TFC6011", "m6g.large".to_owned()),
                ("TFC6011", "m1.large".to_owned()),
                ("TFC6012", "inf1.xlarge".to_owned())
            ]
        );
    }

    #[test]
    fn iops_only_on_io1_and_bounded_by_size() {
        let text = with_group(
            "  - name: a\n    instance_type: m5.large\n    instance_volume_iops: 3000\n  - name: b\n    instance_type: m5.large\n    instance_volume_type: io1\n    instance_volume_size: 20\n    instance_volume_iops: 1001\n",
        );
        assert_eq!(
            found(&text),
            vec![
                ("TFC6013", "3000".to_owned()),
                ("TFC6013", "1001".to_owned())
            ]
        );
    }

    #[test]
    fn spot_settings() {
        let text = with_group(
            "  - name: a\n    instance_type: m5.large\n    spot_config:\n      on_demand_base_capacity: 1\n  - name: b\n    instance_type: m5.xlarge\n    spot: true\n    max_instances: 2\n    spot_config:\n      instance_distribution: [m5.large, m5.2xlarge, m5.2xlarge]\n      on_demand_base_capacity: 3\n",
        );
        assert_eq!(
            found(&text),
            vec![
                ("TFC6014", "on_demand_base_capacity: 1".to_owned()),
                ("TFC6015", "m5.large".to_owned()),
                ("TFC6020", "m5.2xlarge".to_owned()),
                ("TFC6016", "3".to_owned())
            ]
        );
    }

    #[test]
    fn cidrs_are_parsed_as_go_does() {
        assert!(is_cidr("10.0.0.0/16") && is_cidr("0.0.0.0/0") && is_cidr("2001:db8::/32"));
        assert!(!is_cidr("10.0.0.0") && !is_cidr("10.0.0.0/33") && !is_cidr("10.0.0/8"));
        // Go 1.14's parser, run offline: leading zeros are decimal
        assert!(
            is_cidr("010.0.0.0/8") && is_cidr("10.0.0.0/0008") && is_cidr("::ffff:10.0.0.0/104")
        );
        assert!(!is_cidr("10.0.0.0/+8") && !is_cidr("10.0.0.0/") && !is_cidr(" 10.0.0.0/8"));
        assert!(!is_cidr("2001:db8::/129") && !is_cidr("256.0.0.0/8"));
        let text = format!(
            "vpc_cidr: 10.0.0.0/40\napi_load_balancer_cidr_white_list: [0.0.0.0/0, nope]\n{OK}"
        );
        assert_eq!(
            found(&text),
            vec![
                ("TFC6017", "10.0.0.0/40".to_owned()),
                ("TFC6017", "nope".to_owned())
            ]
        );
    }

    #[test]
    fn tags_reserve_cortex_dev_and_aws_prefixes() {
        let text = format!(
            "tags:\n  cortex.dev/team: x\n  aws:owner: me\n  cortex.dev/cluster-name: other\n  ok: \"fine\"\n{OK}"
        );
        assert_eq!(
            found(&text),
            vec![
                ("TFC6018", "cortex.dev/team".to_owned()),
                ("TFC6018", "aws:owner".to_owned()),
                ("TFC6018", "other".to_owned())
            ]
        );
    }

    #[test]
    fn subnets_exclude_zones_and_nat_gateways() {
        let text = format!(
            "availability_zones: [us-west-2a, us-west-2b]\nsubnets:\n  - availability_zone: us-west-2a\n    subnet_id: subnet-1\n  - availability_zone: us-west-2b\n    subnet_id: subnet-2\nnat_gateway: single\n{OK}"
        );
        let diags = found(&text);
        assert_eq!(diags.len(), 2);
        assert_eq!(diags[0].0, "TFC6019");
        assert!(diags[0].1.starts_with("- availability_zone: us-west-2a"));
        assert_eq!(diags[1], ("TFC6019", "single".to_owned()));
    }

    #[test]
    fn network_settings_fit_together() {
        let text = format!(
            "availability_zones: [us-west-2a]\nsubnet_visibility: private\nnat_gateway: none\n{OK}"
        );
        assert_eq!(
            found(&text),
            vec![
                ("TFC6021", "[us-west-2a]".to_owned()),
                ("TFC6019", "none".to_owned())
            ]
        );
    }
}
