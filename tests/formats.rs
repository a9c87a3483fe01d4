//! Output formats against their specs: SARIF against the OASIS SARIF 2.1.0
//! JSON schema, GitHub workflow commands against their escaping rules; and
//! the gate options (`--deny-warnings`, shell completions).

use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check(case: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .current_dir(root().join("golden").join(case))
        .args(["check", "cortex.yaml"])
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    // The published schema has one malformed regex (the `language` pattern,
    // a stray `]`), used twice, that jsonschema's meta-validation refuses:
    // fix that known erratum in memory. Our output never sets `language`.
    const ERRATUM: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    const FIXED: &str = r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#;
    let published = include_str!("fixtures/sarif-schema-2.1.0.json");
    assert_eq!(
        published.matches(ERRATUM).count(),
        2,
        "the erratum is where it was"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&published.replace(ERRATUM, FIXED)).expect("the SARIF schema");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    // errors with related locations, warnings, a file-level error, a clean file
    for (case, args) in [
        ("rules-ten-mistakes", vec!["--offline"]),
        ("rules-many-apis", vec!["--offline"]),
        ("rules-pip-file-missing-warning", vec!["--offline"]),
        ("parse-empty-file", vec!["--offline"]),
        ("store-valid-dir", vec!["--store", "store"]),
    ] {
        let mut all = args.clone();
        all.extend(["--format", "sarif"]);
        let out = check(case, &all);
        let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{case}: {errors:#?}");
        let json = check(case, &[args.as_slice(), &["--format", "json"]].concat());
        let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
        let results = log["runs"][0]["results"].as_array().map(Vec::len);
        assert_eq!(
            results,
            report["diagnostics"].as_array().map(Vec::len),
            "{case}: one result per diagnostic"
        );
        assert_eq!(
            out.status.code(),
            json.status.code(),
            "{case}: the exit code does not depend on the format"
        );
    }
}

#[test]
fn sarif_results_point_at_the_rule_and_the_line() {
    let out = check("rules-min-above-max", &["--offline", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let run = &log["runs"][0];
    let result = run["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["ruleId"] == "TFC2031"))
        .expect("the TFC2031 result");
    let index = result["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "TFC2031");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    let json = check("rules-min-above-max", &["--offline", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let d = report["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["code"] == "TFC2031"))
        .expect("diag");
    assert_eq!(
        (&region["startLine"], &region["startColumn"]),
        (&d["line"], &d["column"])
    );
    assert_eq!(
        result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        d["related"][0]["line"]
    );
}

#[test]
fn github_commands_are_escaped_and_positioned() {
    let out = check("rules-ten-mistakes", &["--offline", "--format", "github"]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 12);
    // the note about the cluster checks (no --cluster) speaks of the run:
    // a `::notice` with no position
    let (notes, lines): (Vec<&str>, Vec<&str>) =
        lines.into_iter().partition(|l| l.starts_with("::notice "));
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("TFC6000") && !notes[0].contains("line="));
    for line in &lines {
        let (command, rest) = line.split_once(' ').expect("::error or ::warning");
        assert!(command == "::error" || command == "::warning", "{line}");
        let (properties, message) = rest.split_once("::").expect("properties::message");
        // properties never hold a raw ':' or a newline; the message no raw newline
        assert!(
            !properties.contains(':') && !message.contains('\n'),
            "{line}"
        );
        for key in [
            "file=cortex.yaml",
            "line=",
            "col=",
            "endLine=",
            "endColumn=",
            "title=TFC",
        ] {
            assert!(properties.contains(key), "{key} missing in {line}");
        }
        assert!(message.contains("%0Ahelp: "), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::warning ") && l.contains("TFC3000"))
    );
}

#[test]
fn deny_warnings_turns_warnings_into_a_failure() {
    let case = "rules-pip-file-missing-warning";
    assert_eq!(check(case, &["--offline"]).status.code(), Some(0));
    assert_eq!(
        check(case, &["--offline", "--deny-warnings"]).status.code(),
        Some(1)
    );
    // and build writes nothing
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deny-warnings-bundle");
    let _ = std::fs::remove_dir_all(&out);
    let build = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .current_dir(root().join("golden/signature-versions-disagree"))
        .args([
            "build",
            "cortex.yaml",
            "--store",
            "store",
            "--deny-warnings",
            "--account-id",
            "123456789012",
            "--cluster",
        ])
        .arg(root().join("tests/fixtures/golden-cluster.yaml"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(build.status.code(), Some(1));
    assert!(!out.exists());
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("cortex-tfc") || script.contains("cortex__tfc"),
            "{shell}"
        );
        assert!(
            script.contains("deny-warnings"),
            "{shell}: options are completed"
        );
    }
}
