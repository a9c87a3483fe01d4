//! Structured YAML: APIs assembled from fields and values cortex.yaml
//! really has, so the fuzzer spends its time in the schema mapping and the
//! rules rather than in the YAML scanner.
#![no_main]

use arbitrary::Arbitrary;
use cortex_tfc::check::{CheckOptions, check_source};
use cortex_tfc::source::SourceFile;
use libfuzzer_sys::fuzz_target;

const KEYS: &[&str] = &[
    "name",
    "kind",
    "handler",
    "type",
    "path",
    "models",
    "paths",
    "dir",
    "signature_key",
    "compute",
    "cpu",
    "mem",
    "gpu",
    "inf",
    "autoscaling",
    "min_replicas",
    "max_replicas",
    "init_replicas",
    "window",
    "update_strategy",
    "max_surge",
    "max_unavailable",
    "networking",
    "endpoint",
    "env",
    "image",
    "shm_size",
    "processes_per_replica",
    "python_path",
    "config",
    "node_groups",
    "log_level",
    "<<",
    "CORTEX_X",
];
const SCALARS: &[&str] = &[
    "iris",
    "AsyncAPI",
    "RealtimeAPI",
    "tensorflow",
    "python",
    "handler.py",
    "s3://b/m",
    "gs://b",
    "1",
    "0",
    "-1",
    "500m",
    "2Gi",
    "1 Gi",
    "60s",
    "45s",
    "25%",
    "150%",
    "/a//b",
    "null",
    "~",
    "true",
    "\"\"",
    "*a",
    "&a x",
    "quay.io/cortexlabs/tensorflow-handler:0.33.0",
    "[]",
    "{}",
    "[1, 2]",
    "1e999",
    "0x1f",
    ".inf",
    "é",
    "\"\\t\"",
];

#[derive(Arbitrary, Debug)]
enum Node {
    Scalar(u8),
    Map(Vec<(u8, Node)>),
    List(Vec<Node>),
}

fn render(node: &Node, indent: usize, out: &mut String, depth: usize) {
    let pad = " ".repeat(indent);
    match node {
        Node::Scalar(i) => {
            out.push(' ');
            out.push_str(SCALARS[*i as usize % SCALARS.len()]);
            out.push('\n');
        }
        _ if depth > 12 => out.push_str(" x\n"),
        Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Node::Map(entries) => {
            out.push('\n');
            for (k, v) in entries {
                out.push_str(&format!("{pad}{}:", KEYS[*k as usize % KEYS.len()]));
                render(v, indent + 2, out, depth + 1);
            }
        }
        Node::List(items) if items.is_empty() => out.push_str(" []\n"),
        Node::List(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&format!("{pad}-"));
                render(item, indent + 2, out, depth + 1);
            }
        }
    }
}

fuzz_target!(|apis: Vec<Node>| {
    let mut text = String::new();
    for api in &apis {
        text.push('-');
        render(api, 2, &mut text, 0);
    }
    let checked = check_source(
        SourceFile::new("cortex.yaml", text),
        std::path::Path::new("/nonexistent"),
        &CheckOptions::default(),
    );
    let _ = checked.has_errors();
});
