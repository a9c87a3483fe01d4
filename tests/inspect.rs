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

/// Our signatures in the layout of tensorflow_signatures.json, which (like
/// saved_model_cli) leaves out the init op that TF Serving 2.3 returns.
fn as_tensorflow(signatures: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for sig in signatures.as_array().into_iter().flatten() {
        let key = sig["key"].as_str().unwrap_or_default().to_owned();
        if key == "__saved_model_init_op" {
            continue;
        }
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
        "tf23-one-signature",
        "tf23-two-signatures",
        "tf23-predict",
        "tf23-no-signatures",
        "tf23-init-op",
        "tf23-two-shards",
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
    for name in ["versioned", "disagreeing", "tf23-versioned"] {
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

/// Every key TF Serving 2.3 returns is listed, the init op included
/// (get_model_metadata_impl.cc:54), and Cortex's rule runs on all of them.
#[test]
fn inspect_says_what_cortex_would_serve() {
    let default = |name: &str| inspect_json(&fixtures().join(name))["versions"][0].clone();
    let one = default("one-signature");
    let keys: Vec<&str> = one["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert_eq!(keys, ["__saved_model_init_op", "serving_default"]);
    assert_eq!(one["cortex_default"], Value::Null);
    assert!(
        one["cortex_default_problem"].as_str().is_some_and(|p| p
            .contains("Cortex 0.34 would refuse this model at run time")
            && p.contains("'__saved_model_init_op, serving_default'")),
        "{one}"
    );
    assert_eq!(default("predict-and-default")["cortex_default"], "predict");
    assert_eq!(default("tf23-predict")["cortex_default"], "predict");
    assert_eq!(
        default("tf23-one-signature")["cortex_default"],
        "serving_default"
    );
    assert!(
        default("tf23-init-op")["cortex_default_problem"]
            .as_str()
            .is_some_and(|p| p.contains("'__saved_model_init_op, serving_default'"))
    );
    assert!(
        default("tf23-no-signatures")["cortex_default_problem"]
            .as_str()
            .is_some_and(|p| p.contains("has no signatures"))
    );
    assert!(
        default("no-signatures")["cortex_default_problem"]
            .as_str()
            .is_some_and(|p| p.contains("TensorFlow's init op, which takes no inputs"))
    );
}

/// Every fixture under tests/fixtures/savedmodels is a TF 2.21 export:
/// DisableCopyOnRead is not a TensorFlow 2.3 op.
#[test]
fn inspect_shows_the_ops_tf_2_3_lacks() {
    let report = inspect_json(&fixtures().join("two-signatures"));
    assert_eq!(
        report["versions"][0]["ops_missing_in_tf_2_3"],
        json!(["DisableCopyOnRead"])
    );
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("inspect")
        .arg(fixtures().join("two-signatures"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ops TensorFlow 2.3 does not have") && text.contains("DisableCopyOnRead"),
        "{text}"
    );
}

/// tools/make_savedmodels.py records, with TensorFlow's own classes, the
/// keys TF Serving 2.3 returns (the whole signature_def map) and the ops
/// TF 2.3 lacks: inspect must agree on every fixture and version.
#[test]
fn inspect_agrees_with_the_keys_and_ops_tensorflow_recorded() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).expect("fixtures").flatten() {
        let dir = entry.path();
        // no MetaGraph tagged serve: inspect refuses it (TFC4002)
        if dir.ends_with("train-only") {
            continue;
        }
        let report = inspect_json(&dir);
        for version in report["versions"].as_array().into_iter().flatten() {
            let folder = match version["version"].as_i64() {
                Some(v) => dir.join(v.to_string()),
                None => dir.clone(),
            };
            let text = std::fs::read_to_string(folder.join("tensorflow_signatures.json"))
                .expect("recorded by TensorFlow");
            let recorded: Value = serde_json::from_str(&text).expect("JSON");
            let Some(keys) = recorded.get("serving_signature_keys") else {
                continue;
            };
            let ours: Vec<Value> = version["signatures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["key"].clone())
                .collect();
            assert_eq!(&Value::Array(ours), keys, "{}", folder.display());
            assert_eq!(
                version["ops_missing_in_tf_2_3"],
                recorded["ops_not_in_tf_2_3"],
                "{}",
                folder.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 7, "{checked} versions checked");
}

#[test]
fn inspect_prints_no_debug_text() {
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("inspect")
        .arg(fixtures().join("two-signatures/variables"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("is not a SavedModel directory"), "{text}");
    for debug in ["MissingFiles", "Some(", "[\"", "{ "] {
        assert!(!text.contains(debug), "{text}");
    }
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
