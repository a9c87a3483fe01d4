//! `inspect` prints the signatures TensorFlow reports: every fixture under
//! tests/fixtures/savedmodels/ is a real TensorFlow export with
//! `tensorflow_signatures.json` beside its saved_model.pb, written by
//! TensorFlow's own protobuf classes (tools/make_savedmodels.py).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/savedmodels")
}

fn inspect_json(model: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("inspect")
        .arg(model)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        model.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Our signatures in the layout of tensorflow_signatures.json.
fn as_tensorflow(signatures: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for sig in signatures.as_array().into_iter().flatten() {
        let key = sig["key"].as_str().unwrap_or_default().to_owned();
        out.insert(key, json!({"method_name": sig["method_name"], "inputs": sig["inputs"], "outputs": sig["outputs"]}));
    }
    Value::Object(out)
}

fn tensorflow(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("tensorflow_signatures.json"))
        .expect("recorded by TensorFlow");
    serde_json::from_str::<Value>(&text).expect("JSON")["signatures"].clone()
}

#[test]
fn non_versioned_fixtures_show_what_tensorflow_reports() {
    for name in [
        "one-signature",
        "two-signatures",
        "predict-and-default",
        "no-signatures",
        "no-inputs",
    ] {
        let dir = fixtures().join(name);
        let report = inspect_json(&dir);
        assert_eq!(report["versioned"], false, "{name}");
        assert_eq!(
            as_tensorflow(&report["versions"][0]["signatures"]),
            tensorflow(&dir),
            "{name}"
        );
    }
}

#[test]
fn versioned_fixtures_show_each_version() {
    for name in ["versioned", "disagreeing"] {
        let dir = fixtures().join(name);
        let report = inspect_json(&dir);
        assert_eq!(report["versioned"], true);
        for (i, version) in ["1", "2"].iter().enumerate() {
            assert_eq!(
                report["versions"][i]["version"],
                json!(version.parse::<i64>().expect("number"))
            );
            assert_eq!(
                as_tensorflow(&report["versions"][i]["signatures"]),
                tensorflow(&dir.join(version)),
                "{name}/{version}"
            );
        }
    }
}

#[test]
fn inspect_says_what_cortex_would_serve() {
    let default = |name: &str| inspect_json(&fixtures().join(name))["versions"][0].clone();
    assert_eq!(
        default("one-signature")["cortex_default"],
        "serving_default"
    );
    assert_eq!(default("predict-and-default")["cortex_default"], "predict");
    assert!(
        default("two-signatures")["cortex_default_problem"]
            .as_str()
            .is_some_and(|p| p.contains("set signature_key"))
    );
    assert!(
        default("no-signatures")["cortex_default_problem"]
            .as_str()
            .is_some_and(|p| p.contains("no signatures"))
    );
}

#[test]
fn human_output_follows_saved_model_cli() {
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("inspect")
        .arg(fixtures().join("two-signatures"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("signature_def['serving_default']:"), "{text}");
    assert!(
        text.contains(
            "dtype: DT_FLOAT\n          shape: (-1, 4)\n          name: serving_default_x:0"
        ),
        "{text}"
    );
}

#[test]
fn a_directory_without_a_savedmodel_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("inspect")
        .arg(fixtures().join("two-signatures/variables"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let missing = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .args(["inspect", "/no/such/dir"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(2));
}
