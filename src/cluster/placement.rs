//! Placement and cost: for each API, the node groups a replica fits on
//! (on-demand or spot), how many replicas one instance holds, and the
//! on-demand price per hour of the instances needed at `min_replicas` and
//! at `max_replicas`, from Cortex 0.34's instance table for the region.
//!
//! The arithmetic is exact: prices are integers of millionths of a dollar,
//! replicas per instance is the smallest whole number of requests (cpu,
//! mem, gpu, inf) that fit in what the instance offers after Cortex's
//! reserves ([`fit::Allocatable`]), and instances are rounded up. Spot
//! groups are priced at the on-demand price, an upper bound (spot prices
//! need AWS). Shown in the human summary, as `placement` in `--format json`
//! and in `bundle.json`.

use serde::Serialize;

use super::ClusterConfig;
use super::fit::{self, Allocatable, Candidate, Request};
use crate::rules::ApiCtx;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiPlacement {
    pub api: String,
    /// The request of one replica, as written (`cpu: 500m, mem: 1Gi`).
    pub request: String,
    pub min_replicas: i64,
    pub max_replicas: i64,
    /// Groups a replica fits on, cheapest at max_replicas first; empty when
    /// the API fits nowhere (an error says why).
    pub node_groups: Vec<GroupPlacement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPlacement {
    pub name: String,
    /// The EKS node group (`cx-wd-…` on demand, `cx-ws-…` spot).
    pub eks_name: String,
    pub instance_type: String,
    /// `on-demand` or `spot`.
    pub lifecycle: &'static str,
    pub on_demand_usd_per_hour: f64,
    /// `None` when the replica requests nothing that bounds it (cpu: null, no mem).
    pub replicas_per_instance: Option<i64>,
    pub instances_at_min_replicas: Option<i64>,
    pub instances_at_max_replicas: Option<i64>,
    pub usd_per_hour_at_min_replicas: Option<f64>,
    pub usd_per_hour_at_max_replicas: Option<f64>,
    #[serde(skip)]
    price_micro_at_max: Option<i64>,
}

/// Places one API on the cluster.
pub fn of_api(api: &ApiCtx<'_>, cluster: &ClusterConfig) -> ApiPlacement {
    let request = Request::of(api);
    let scaling = api.config.autoscaling.as_ref();
    let min_replicas = scaling.and_then(|a| a.min_replicas).unwrap_or(1);
    let max_replicas = scaling.and_then(|a| a.max_replicas).unwrap_or(100);
    let known = fit::unknown_node_groups(api, cluster).is_empty();
    let mut node_groups: Vec<GroupPlacement> = fit::candidates(cluster, &request)
        .iter()
        .filter(|c| known && c.allocatable.first_shortfall(&request).is_none())
        .map(|c| group(c, &request, min_replicas, max_replicas))
        .collect();
    node_groups.sort_by(|a, b| {
        a.price_micro_at_max
            .unwrap_or(i64::MAX)
            .cmp(&b.price_micro_at_max.unwrap_or(i64::MAX))
            .then_with(|| a.name.cmp(&b.name))
    });
    ApiPlacement {
        api: api.name.to_owned(),
        request: request.describe(),
        min_replicas,
        max_replicas,
        node_groups,
    }
}

fn group(c: &Candidate<'_>, request: &Request, min: i64, max: i64) -> GroupPlacement {
    let per_instance = replicas_per_instance(&c.allocatable, request);
    let price = c.instance.price_micro_usd;
    let instances = |replicas: i64| per_instance.map(|p| instances_for(replicas, p));
    let cost = |n: Option<i64>| n.map(|n| n.saturating_mul(price));
    let (at_min, at_max) = (instances(min), instances(max));
    GroupPlacement {
        name: c.group.name.clone(),
        eks_name: c.group.eks_name.clone(),
        instance_type: c.instance.instance_type.clone(),
        lifecycle: if c.group.spot { "spot" } else { "on-demand" },
        on_demand_usd_per_hour: usd(price),
        replicas_per_instance: per_instance,
        instances_at_min_replicas: at_min,
        instances_at_max_replicas: at_max,
        usd_per_hour_at_min_replicas: cost(at_min).map(usd),
        usd_per_hour_at_max_replicas: cost(at_max).map(usd),
        price_micro_at_max: cost(at_max),
    }
}

/// The fewest replicas any requested resource allows on one instance.
pub fn replicas_per_instance(a: &Allocatable, request: &Request) -> Option<i64> {
    let counts = [
        request.cpu.as_ref().and_then(|(q, _)| a.cpu.count_of(*q)),
        request.mem.as_ref().and_then(|(q, _)| a.mem.count_of(*q)),
        (request.gpu > 0).then(|| i128::from(a.gpu / request.gpu)),
        (request.inf > 0).then(|| i128::from(a.inf / request.inf)),
    ];
    counts
        .into_iter()
        .flatten()
        .min()
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// Instances needed for `replicas` at `per_instance` each, rounded up.
pub fn instances_for(replicas: i64, per_instance: i64) -> i64 {
    if per_instance <= 0 {
        return 0;
    }
    let replicas = replicas.max(0);
    replicas / per_instance + i64::from(replicas % per_instance != 0)
}

fn usd(micro: i64) -> f64 {
    micro as f64 / 1_000_000.0
}

/// `$0.096` (at least two decimals, no trailing zeros beyond them).
pub fn show_usd(micro: f64) -> String {
    let micro = (micro * 1_000_000.0).round() as i64;
    let frac = format!("{:06}", micro % 1_000_000);
    let trimmed = frac.trim_end_matches('0');
    let decimals = if trimmed.len() < 2 {
        &frac[..2]
    } else {
        trimmed
    };
    format!("${}.{decimals}", micro / 1_000_000)
}

/// The human summary: one block per API.
pub fn human(apis: &[ApiPlacement]) -> String {
    let mut out = String::from(
        "placement (Cortex 0.34 instance table; on-demand price per hour, spot groups at the on-demand price):\n",
    );
    for api in apis {
        let replicas = if api.min_replicas == api.max_replicas {
            format!("{} replicas", api.min_replicas)
        } else {
            format!("{} to {} replicas", api.min_replicas, api.max_replicas)
        };
        out.push_str(&format!("  {} ({}; {replicas})\n", api.api, api.request));
        if api.node_groups.is_empty() {
            out.push_str("    fits no node group\n");
        }
        for g in &api.node_groups {
            out.push_str(&format!(
                "    {} ({}, {}, {}): {}\n",
                g.name,
                g.eks_name,
                g.instance_type,
                g.lifecycle,
                cost_line(api, g)
            ));
        }
    }
    out
}

fn cost_line(api: &ApiPlacement, g: &GroupPlacement) -> String {
    let plural = |n: i64, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    match (
        g.replicas_per_instance,
        g.instances_at_min_replicas,
        g.instances_at_max_replicas,
        g.usd_per_hour_at_min_replicas,
        g.usd_per_hour_at_max_replicas,
    ) {
        (Some(per), Some(n_min), Some(n_max), Some(c_min), Some(c_max)) => format!(
            "{} per instance; min {}: {}, {}/h; max {}: {}, {}/h",
            plural(per, "replica"),
            api.min_replicas,
            plural(n_min, "instance"),
            show_usd(c_min),
            api.max_replicas,
            plural(n_max, "instance"),
            show_usd(c_max)
        ),
        _ => format!(
            "{}/h per instance; the request does not bound replicas per instance",
            show_usd(g.on_demand_usd_per_hour)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::check_text;
    use crate::rules::testing::{api_yaml, run_with};

    fn place(compute: &str, cluster: &str) -> ApiPlacement {
        let cluster = check_text(cluster).config.expect("decodes");
        let text = api_yaml("", compute);
        let out = std::cell::RefCell::new(None);
        run_with(&text, |api| {
            out.replace(Some(of_api(api, &cluster)));
            Vec::new()
        });
        out.into_inner().expect("placed")
    }

    #[test]
    fn costs_follow_the_table_by_hand() {
        // us-west-2 in data/aws-instances-cortex-0.34.csv:
        //   m5.large  8192Mi 2 vCPU $0.096/h  → 1280m, 6942Mi allocatable
        //   m5.xlarge 16384Mi 4 vCPU $0.192/h → 3280m, 15134Mi allocatable
        // request cpu 500m, mem 1Gi:
        //   m5.large:  min(1280/500, 6942/1024) = min(2, 6) = 2 per instance;
        //              1 replica → 1 instance $0.096; 5 → 3 instances 3 × 0.096 = $0.288
        //   m5.xlarge: min(3280/500, 15134/1024) = min(6, 14) = 6 per instance;
        //              1 → 1 instance $0.192; 5 → 1 instance $0.192  (cheaper at max)
        let cluster = "region: us-west-2\nnode_groups:\n  - name: small\n    instance_type: m5.large\n  - name: big\n    instance_type: m5.xlarge\n    spot: true\n";
        let p = place(
            "  compute:\n    cpu: 500m\n    mem: 1Gi\n  autoscaling:\n    min_replicas: 1\n    max_replicas: 5\n",
            cluster,
        );
        let rows: Vec<_> = p
            .node_groups
            .iter()
            .map(|g| {
                (
                    g.name.as_str(),
                    g.lifecycle,
                    g.replicas_per_instance,
                    g.instances_at_min_replicas,
                    g.instances_at_max_replicas,
                    g.usd_per_hour_at_min_replicas,
                    g.usd_per_hour_at_max_replicas,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "big",
                    "spot",
                    Some(6),
                    Some(1),
                    Some(1),
                    Some(0.192),
                    Some(0.192)
                ),
                (
                    "small",
                    "on-demand",
                    Some(2),
                    Some(1),
                    Some(3),
                    Some(0.096),
                    Some(0.288)
                ),
            ]
        );
        assert_eq!(p.node_groups[0].eks_name, "cx-ws-big");
    }

    #[test]
    fn gpu_replicas_are_bounded_by_gpus() {
        // g4dn.xlarge us-west-2: 4 vCPU, 16384Mi, 1 GPU, $0.526/h
        // gpu: 1 → 1 replica per instance; 100 replicas (default max) → 100 × 0.526 = $52.6
        let cluster =
            "region: us-west-2\nnode_groups:\n  - name: gpu\n    instance_type: g4dn.xlarge\n";
        let p = place("  compute:\n    gpu: 1\n", cluster);
        let g = &p.node_groups[0];
        assert_eq!(
            (g.replicas_per_instance, g.instances_at_max_replicas),
            (Some(1), Some(100))
        );
        assert_eq!(g.usd_per_hour_at_max_replicas, Some(52.6));
    }

    #[test]
    fn dollars_are_shown_exactly() {
        assert_eq!(show_usd(0.096), "$0.096");
        assert_eq!(show_usd(0.48), "$0.48");
        assert_eq!(show_usd(52.6), "$52.60");
        assert_eq!(show_usd(0.0416), "$0.0416");
        assert_eq!(instances_for(5, 2), 3);
        assert_eq!(instances_for(0, 2), 0);
    }
}
