//! The committed schema is what the types generate, and `cortex-tfc schema`
//! prints exactly that file.

use std::process::Command;

const COMMITTED: &str = include_str!("../schemas/cortex.schema.json");

#[test]
fn committed_schema_matches_the_types() {
    let generated = cortex_tfc::schema::to_pretty_string();
    if std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite") {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/cortex.schema.json");
        std::fs::write(path, &generated).expect("write schema");
        return;
    }
    assert!(
        generated == COMMITTED,
        "schemas/cortex.schema.json is stale: run `SNAPSHOTS=overwrite cargo test --test schema`"
    );
}

#[test]
fn schema_command_prints_the_committed_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("schema")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), COMMITTED);
}

#[test]
fn schema_is_draft_2020_12_with_descriptions() {
    let schema: serde_json::Value = serde_json::from_str(COMMITTED).expect("valid JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["type"], "array");
    let api = &schema["$defs"]["ApiConfig"];
    assert_eq!(api["additionalProperties"], false);
    assert!(
        api["properties"]["name"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("DNS-1035"))
    );
    // the schema validates a real config and rejects a wrong one
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    let good = serde_json::json!([{"name": "iris", "kind": "AsyncAPI", "handler": {"type": "tensorflow", "path": "h.py", "models": {"path": "s3://b/m"}}}]);
    let bad = serde_json::json!([{"name": "Iris", "kind": "AsyncAPI", "handler": {"type": "tensorflow", "path": "h.py"}, "extra": 1}]);
    assert!(validator.is_valid(&good));
    assert_eq!(validator.iter_errors(&bad).count(), 2);
}
