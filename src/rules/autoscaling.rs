//! autoscaling: durations, replica bounds, concurrency.

use super::ApiCtx;
use crate::diag::{Diagnostic, codes};
use crate::values::duration;

const TEN_SECONDS: i128 = 10_000_000_000;
pub const DEFAULT_MIN_REPLICAS: i64 = 1;
pub const DEFAULT_MAX_REPLICAS: i64 = 100;
pub const DEFAULT_MAX_REPLICA_CONCURRENCY: i64 = 1024;

pub fn durations(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(a) = &api.config.autoscaling else {
        return Vec::new();
    };
    let fields = [
        ("window", &a.window),
        (
            "downscale_stabilization_period",
            &a.downscale_stabilization_period,
        ),
        (
            "upscale_stabilization_period",
            &a.upscale_stabilization_period,
        ),
    ];
    let mut out = Vec::new();
    for (key, value) in fields {
        let Some(text) = value else { continue };
        let field = format!("autoscaling.{key}");
        match duration::parse(text) {
            Err(why) => out.push(
                api.error(codes::BAD_DURATION, &field, format!("{field} `{text}` is not a valid duration: {why}"), "invalid duration")
                    .help("write a Go duration such as \"60s\", \"1m30s\" or \"5m\""),
            ),
            Ok(nanos) if nanos < 0 => out.push(
                api.error(codes::BAD_DURATION, &field, format!("{field} `{text}` is negative"), "must be 0 or more")
                    .help("durations here cannot be negative"),
            ),
            Ok(nanos) if key == "window" && (nanos < TEN_SECONDS || nanos % TEN_SECONDS != 0) => out.push(
                api.error(
                    codes::BAD_WINDOW,
                    &field,
                    format!("autoscaling.window is {} but must be at least 10s and a multiple of 10s", duration::display_secs(nanos)),
                    "not a multiple of 10s (at least 10s)",
                )
                .help("use a window such as \"10s\", \"60s\" or \"2m\""),
            ),
            Ok(_) => {}
        }
    }
    out
}

pub fn replica_bounds(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(a) = &api.config.autoscaling else {
        return Vec::new();
    };
    let min = a.min_replicas.unwrap_or(DEFAULT_MIN_REPLICAS);
    let max = a.max_replicas.unwrap_or(DEFAULT_MAX_REPLICAS);
    let mut out = Vec::new();
    let max_label = if a.max_replicas.is_some() {
        "max_replicas"
    } else {
        "max_replicas (default 100)"
    };
    if min > max {
        let mut d = api.error(
            codes::MIN_ABOVE_MAX,
            "autoscaling.min_replicas",
            format!("min_replicas ({min}) is greater than max_replicas ({max})"),
            "greater than max_replicas",
        );
        if a.max_replicas.is_some() {
            d = d.also(api.value_span("autoscaling.max_replicas"), max_label);
        }
        out.push(d.help("lower min_replicas or raise max_replicas"));
    } else if let Some(init) = a.init_replicas.filter(|i| *i < min || *i > max) {
        out.push(
            api.error(
                codes::INIT_OUTSIDE_RANGE,
                "autoscaling.init_replicas",
                format!(
                    "init_replicas ({init}) is outside min_replicas..max_replicas ({min}..{max})"
                ),
                format!("must be between {min} and {max}"),
            )
            .help("choose init_replicas between min_replicas and max_replicas"),
        );
    }
    out
}

pub fn concurrency(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(a) = &api.config.autoscaling else {
        return Vec::new();
    };
    let max = a
        .max_replica_concurrency
        .unwrap_or(DEFAULT_MAX_REPLICA_CONCURRENCY);
    match a.target_replica_concurrency {
        Some(target) if target > max as f64 => {
            let mut d = api.error(
                codes::TARGET_ABOVE_MAX_CONCURRENCY,
                "autoscaling.target_replica_concurrency",
                format!("target_replica_concurrency ({target}) is greater than max_replica_concurrency ({max})"),
                "greater than max_replica_concurrency",
            );
            if a.max_replica_concurrency.is_some() {
                d = d.also(
                    api.value_span("autoscaling.max_replica_concurrency"),
                    "max_replica_concurrency",
                );
            }
            vec![d.help("lower target_replica_concurrency or raise max_replica_concurrency")]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn durations_parse_and_window_is_a_multiple_of_ten_seconds() {
        let text = api_yaml(
            "",
            "  autoscaling:\n    window: 45s\n    downscale_stabilization_period: 5 min\n    upscale_stabilization_period: -1m\n",
        );
        assert_eq!(
            found(&text, &run_rule(&text, durations)),
            [("TFC2030", "45s"), ("TFC2029", "5 min"), ("TFC2029", "-1m")]
        );
        let text = api_yaml(
            "",
            "  autoscaling:\n    window: 1m30s\n    downscale_stabilization_period: 0s\n",
        );
        assert!(run_rule(&text, durations).is_empty());
    }

    #[test]
    fn replica_bounds_hold() {
        let text = api_yaml(
            "",
            "  autoscaling:\n    min_replicas: 5\n    max_replicas: 2\n",
        );
        let diags = run_rule(&text, replica_bounds);
        assert_eq!(found(&text, &diags), [("TFC2031", "5")]);
        assert_eq!(&text[diags[0].secondary[0].span.clone()], "2");
        let text = api_yaml("", "  autoscaling:\n    min_replicas: 200\n");
        assert_eq!(
            found(&text, &run_rule(&text, replica_bounds)),
            [("TFC2031", "200")]
        );
        let text = api_yaml(
            "",
            "  autoscaling:\n    min_replicas: 2\n    init_replicas: 1\n",
        );
        assert_eq!(
            found(&text, &run_rule(&text, replica_bounds)),
            [("TFC2032", "1")]
        );
    }

    #[test]
    fn target_concurrency_is_bounded_by_max() {
        let text = api_yaml(
            "",
            "  autoscaling:\n    max_replica_concurrency: 10\n    target_replica_concurrency: 11\n",
        );
        assert_eq!(
            found(&text, &run_rule(&text, concurrency)),
            [("TFC2033", "11")]
        );
        let text = api_yaml("", "  autoscaling:\n    target_replica_concurrency: 1024\n");
        assert!(run_rule(&text, concurrency).is_empty());
    }
}
