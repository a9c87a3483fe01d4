//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it. The
//! tool's rules are the code registry (every code, in order, with its title
//! and long explanation); each diagnostic is a result with a physical
//! location and, for secondary labels, related locations.

use serde_json::{Value, json};

use super::codes::REGISTRY;
use super::render::Report;
use super::{Diagnostic, Label, Severity};
use crate::source::SourceFile;

pub fn render(report: &Report<'_>) -> Vec<u8> {
    let rules: Vec<Value> = REGISTRY
        .iter()
        .map(|info| {
            json!({
                "id": info.code.as_str(),
                "shortDescription": {"text": info.title},
                "fullDescription": {"text": info.explanation},
                "help": {"text": info.explanation},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| result(d, report.source_of(d)))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": env!("CARGO_PKG_NAME"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_vec_pretty(&log).unwrap_or_default();
    out.push(b'\n');
    out
}

fn result(d: &Diagnostic, source: Option<&SourceFile>) -> Value {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    let rule_index = REGISTRY.iter().position(|i| i.code == d.code).unwrap_or(0);
    let mut result = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": rule_index,
        "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Note => "note" },
        "message": {"text": text},
    });
    if let Some(source) = source {
        result["locations"] = json!([location(source, d.primary.as_ref(), None)]);
        if !d.secondary.is_empty() {
            let related: Vec<Value> = d
                .secondary
                .iter()
                .enumerate()
                .map(|(i, l)| location(source, Some(l), Some(i)))
                .collect();
            result["relatedLocations"] = Value::Array(related);
        }
    }
    result
}

fn location(source: &SourceFile, label: Option<&Label>, id: Option<usize>) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": source.name()}});
    if let Some(label) = label {
        let (start, end) = (
            source.position(label.span.start),
            source.position(label.span.end),
        );
        physical["region"] = json!({
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column,
        });
    }
    let mut location = json!({"physicalLocation": physical});
    if let Some(id) = id {
        location["id"] = json!(id);
        if let Some(label) = label {
            location["message"] = json!({"text": label.message});
        }
    }
    location
}
