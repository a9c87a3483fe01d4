//! compute: quantities, shared memory, accelerators.

use super::ApiCtx;
use crate::config::Quantity as Written;
use crate::diag::{Diagnostic, codes};
use crate::values::quantity::{self, Quantity};

const MIN_CPU_MILLIS: i128 = 20;
const MIN_MEM_BYTES: i128 = 20 * 1024 * 1024;

/// A written quantity, parsed; `None` when absent or invalid (reported by
/// [`quantities`]).
pub fn parsed(value: Option<&Written>) -> Option<Quantity> {
    quantity::parse(&value?.text()).ok()
}

pub fn quantities(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let compute = api.config.compute.as_ref();
    let cpu = compute
        .and_then(|c| c.cpu.as_ref())
        .and_then(Option::as_ref);
    let mem = compute.and_then(|c| c.mem.as_ref());
    let shm = api.config.handler.shm_size.as_ref();
    let checks = [
        (
            "compute.cpu",
            cpu,
            Some((Quantity::from_millis(MIN_CPU_MILLIS), "20m")),
        ),
        (
            "compute.mem",
            mem,
            Some((Quantity::from_units(MIN_MEM_BYTES), "20Mi")),
        ),
        ("handler.shm_size", shm, None),
    ];
    checks
        .into_iter()
        .filter_map(|(field, value, min)| Some((field, value?, min)))
        .filter_map(|(field, value, min)| {
            let text = value.text();
            match quantity::parse(&text) {
                Err(why) => Some(
                    api.error(codes::BAD_QUANTITY, field, format!("{field} `{text}` is not a valid quantity: {why}"), "invalid quantity")
                        .help("CPU: cores such as 1, 0.5 or \"500m\"; memory: bytes such as \"512Mi\" or \"2G\""),
                ),
                Ok(q) => {
                    let (min, shown) = min?;
                    (q < min).then(|| {
                        api.error(codes::QUANTITY_TOO_SMALL, field, format!("{field} is {text}, below the minimum of {shown}"), format!("at least {shown}"))
                            .help(format!("request at least {shown}"))
                    })
                }
            }
        })
        .collect()
}

pub fn shm_fits_memory(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let shm_written = api.config.handler.shm_size.as_ref();
    let mem_written = api.config.compute.as_ref().and_then(|c| c.mem.as_ref());
    let (Some(shm), Some(mem)) = (parsed(shm_written), parsed(mem_written)) else {
        return Vec::new();
    };
    if shm <= mem {
        return Vec::new();
    }
    let shown = |w: Option<&Written>| w.map(|w| w.text().into_owned()).unwrap_or_default();
    vec![
        api.error(
            codes::SHM_EXCEEDS_MEM,
            "handler.shm_size",
            format!(
                "handler.shm_size ({}) is larger than compute.mem ({})",
                shown(shm_written),
                shown(mem_written)
            ),
            "larger than compute.mem",
        )
        .also(api.value_span("compute.mem"), "memory of the replica")
        .help("lower shm_size or raise compute.mem: shared memory is part of the replica's memory"),
    ]
}

pub fn one_accelerator(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(c) = &api.config.compute else {
        return Vec::new();
    };
    match (c.gpu, c.inf) {
        (Some(gpu), Some(inf)) if gpu > 0 && inf > 0 => vec![
            api.error(
                codes::GPU_AND_INF,
                "compute.inf",
                "compute.gpu and compute.inf are both set: an API uses one kind of accelerator",
                "Inferentia requested here",
            )
            .also(api.value_span("compute.gpu"), "GPU requested here")
            .help("keep either compute.gpu or compute.inf"),
        ],
        _ => Vec::new(),
    }
}

/// `validateCompute` (`pkg/types/spec/validations.go:1318-1320`): one
/// Inferentia chip per replica at most.
pub fn one_inferentia_chip(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    match api.config.compute.as_ref().and_then(|c| c.inf) {
        Some(inf) if inf > 1 => vec![
            api.error(
                codes::TOO_MANY_INFS,
                "compute.inf",
                format!("cannot request {inf} Inferentia chips: Cortex 0.34 uses at most 1 per API replica"),
                "more than 1 chip",
            )
            .help("set compute.inf: 1 and scale with autoscaling.max_replicas; Cortex 0.34 refuses more chips per replica (an AWS Neuron bug, aws-neuron-sdk#110)"),
        ],
        _ => Vec::new(),
    }
}

pub fn neuron_cores_split(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let inf = api.config.compute.as_ref().and_then(|c| c.inf).unwrap_or(0);
    let processes = api.config.handler.processes_per_replica.unwrap_or(1);
    // i128: compute.inf is any int64 here (more than 1 is its own error)
    let cores = i128::from(inf) * 4;
    if inf <= 0 || processes <= 0 || cores % i128::from(processes) == 0 {
        return Vec::new();
    }
    vec![
        api.error(
            codes::INF_PROCESSES,
            "handler.processes_per_replica",
            format!("{cores} NeuronCores (compute.inf {inf} × 4) cannot be split evenly across {processes} processes"),
            "does not divide the NeuronCores",
        )
        .also(api.value_span("compute.inf"), "4 NeuronCores per chip")
        .help("choose processes_per_replica that divides compute.inf × 4"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn quantities_are_parsed_and_bounded() {
        let text = api_yaml(
            "    shm_size: 1 Gi\n",
            "  compute:\n    cpu: 10m\n    mem: 2Gb\n",
        );
        assert_eq!(
            found(&text, &run_rule(&text, quantities)),
            [("TFC2025", "10m"), ("TFC2024", "2Gb"), ("TFC2024", "1 Gi")]
        );
        let text = api_yaml("", "  compute:\n    cpu: 0.5\n    mem: 19Mi\n");
        assert_eq!(
            found(&text, &run_rule(&text, quantities)),
            [("TFC2025", "19Mi")]
        );
        let text = api_yaml("", "  compute:\n    cpu: null\n    mem: 1G\n");
        assert!(run_rule(&text, quantities).is_empty());
    }

    #[test]
    fn shm_must_fit_in_memory() {
        let text = api_yaml("    shm_size: 2Gi\n", "  compute:\n    mem: 1Gi\n");
        let diags = run_rule(&text, shm_fits_memory);
        assert_eq!(found(&text, &diags), [("TFC2026", "2Gi")]);
        assert_eq!(&text[diags[0].secondary[0].span.clone()], "1Gi");
        let text = api_yaml("    shm_size: 1Gi\n", "  compute:\n    mem: 1Gi\n");
        assert!(run_rule(&text, shm_fits_memory).is_empty());
    }

    #[test]
    fn one_accelerator_kind() {
        let text = api_yaml("", "  compute:\n    gpu: 1\n    inf: 1\n");
        assert_eq!(
            found(&text, &run_rule(&text, one_accelerator)),
            [("TFC2027", "1")]
        );
        let text = api_yaml("", "  compute:\n    gpu: 0\n    inf: 1\n");
        assert!(run_rule(&text, one_accelerator).is_empty());
    }

    #[test]
    fn at_most_one_inferentia_chip() {
        let text = api_yaml("", "  compute:\n    inf: 2\n");
        assert_eq!(
            found(&text, &run_rule(&text, one_inferentia_chip)),
            [("TFC2045", "2")]
        );
        let text = api_yaml("", "  compute:\n    inf: 1\n");
        assert!(run_rule(&text, one_inferentia_chip).is_empty());
    }

    /// Found by comparing with Cortex's validation: inf near int64's
    /// maximum overflowed the NeuronCores count.
    #[test]
    fn a_huge_inf_does_not_overflow() {
        let text = api_yaml(
            "    processes_per_replica: 3\n",
            "  compute:\n    inf: 9223372036854775807\n",
        );
        assert_eq!(
            found(&text, &run_rule(&text, neuron_cores_split)),
            [("TFC2028", "3")]
        );
    }

    #[test]
    fn neuron_cores_divide_across_processes() {
        let text = api_yaml("    processes_per_replica: 3\n", "  compute:\n    inf: 1\n");
        assert_eq!(
            found(&text, &run_rule(&text, neuron_cores_split)),
            [("TFC2028", "3")]
        );
        let text = api_yaml("    processes_per_replica: 2\n", "  compute:\n    inf: 1\n");
        assert!(run_rule(&text, neuron_cores_split).is_empty());
    }
}
