//! Data-driven golden tests: every directory under `golden/` is a case.
//!
//! A case holds `cortex.yaml` (and any project files it names), optionally
//! `store/` (a local mirror of the buckets: `store/<bucket>/<key>`, passed
//! as `--store store`; without it the case runs `--offline`), optionally
//! `args` (extra command-line arguments, one per line), optionally
//! `cluster.yaml` (a Cortex cluster configuration, passed as `--cluster
//! cluster.yaml` to both check and build), and `expected/`:
//! `report.json` (stdout of `--format json`), `stderr.txt` (human output,
//! no colour) and `exit_code`. The expected tree is compared both ways:
//! a missing or an extra file fails. `SNAPSHOTS=overwrite cargo test --test
//! golden` rewrites the expected files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("golden/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn run(case: &Path, extra: &[&str]) -> (Vec<u8>, Vec<u8>, i32) {
    let args_file = case.join("args");
    let case_args: Vec<String> = std::fs::read_to_string(&args_file)
        .map(|t| {
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let chooses_store = case_args
        .iter()
        .any(|a| matches!(a.as_str(), "--store" | "--offline" | "--s3-endpoint"));
    let store_args: &[&str] = if chooses_store {
        &[]
    } else if case.join("store").is_dir() {
        &["--store", "store"]
    } else {
        &["--offline"]
    };
    let output = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .current_dir(case)
        .args(["check", "cortex.yaml"])
        .args(cluster_args(case))
        .args(store_args)
        .args(&case_args)
        .args(extra)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs");
    (
        output.stdout,
        output.stderr,
        output.status.code().unwrap_or(-1),
    )
}

/// `--cluster cluster.yaml` when the case has a cluster file.
fn cluster_args(case: &Path) -> &'static [&'static str] {
    if case.join("cluster.yaml").is_file() {
        &["--cluster", "cluster.yaml"]
    } else {
        &[]
    }
}

/// What the binary produces for a case, as the expected/ tree would hold it.
/// A case with a `store/` whose check passes is also built: its bundle is
/// compared file by file under `expected/bundle/`.
fn actual_tree(case: &Path) -> BTreeMap<String, Vec<u8>> {
    let (json, _, exit_json) = run(case, &["--format", "json"]);
    let (_, stderr, exit_human) = run(case, &["--color", "never"]);
    assert_eq!(
        exit_json,
        exit_human,
        "{}: exit code depends on the format",
        case.display()
    );
    let mut tree = BTreeMap::from([
        ("report.json".to_owned(), json),
        ("stderr.txt".to_owned(), stderr),
        (
            "exit_code".to_owned(),
            format!("{exit_json}\n").into_bytes(),
        ),
    ]);
    if exit_json == 0 && case.join("store").is_dir() {
        tree.extend(
            build(case)
                .into_iter()
                .map(|(rel, bytes)| (format!("bundle/{rel}"), bytes)),
        );
    }
    tree
}

/// moto's default account: `publish` against moto yields the bundles' queue URLs.
const GOLDEN_ACCOUNT: &str = "123456789012";

/// The cluster a case's bundle is built for: its own `cluster.yaml`, or the
/// shared golden cluster (`tests/fixtures/golden-cluster.yaml`).
fn build_cluster(case: &Path) -> PathBuf {
    let own = case.join("cluster.yaml");
    if own.is_file() {
        own
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden-cluster.yaml")
    }
}

/// Builds a case into a fresh directory and reads the bundle back.
fn build(case: &Path) -> BTreeMap<String, Vec<u8>> {
    let name = case
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("golden-bundles")
        .join(name);
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .current_dir(case)
        .args(["build", "cortex.yaml", "--cluster"])
        .arg(build_cluster(case))
        .args(["--account-id", GOLDEN_ACCOUNT])
        .args(["--store", "store", "--color", "never", "-o"])
        .arg(&out)
        .output()
        .expect("the binary runs");
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}: build failed: {}",
        case.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    read_tree(&out)
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut tree = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(here) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&here) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                tree.insert(rel, bytes);
            }
        }
    }
    tree
}

fn diff(expected: &[u8], actual: &[u8]) -> String {
    let (e, a) = (
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(actual),
    );
    similar::TextDiff::from_lines(e.as_ref(), a.as_ref())
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

#[test]
fn golden_cases() {
    let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite");
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let actual = actual_tree(case);
        let expected_dir = case.join("expected");
        if overwrite {
            let _ = std::fs::remove_dir_all(&expected_dir);
            for (rel, bytes) in &actual {
                let path = expected_dir.join(rel);
                std::fs::create_dir_all(path.parent().expect("has a parent"))
                    .expect("create expected/");
                std::fs::write(&path, bytes).expect("write expected file");
            }
            continue;
        }
        let expected = read_tree(&expected_dir);
        for (rel, bytes) in &expected {
            match actual.get(rel) {
                None => failures.push(format!("{name}: expected/{rel} is not produced any more")),
                Some(got) if got != bytes => failures.push(format!(
                    "{name}: expected/{rel} differs\n{}",
                    diff(bytes, got)
                )),
                Some(_) => {}
            }
        }
        for rel in actual.keys().filter(|rel| !expected.contains_key(*rel)) {
            failures.push(format!(
                "{name}: expected/{rel} is missing (run SNAPSHOTS=overwrite)"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatch(es):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn there_are_at_least_sixty_cases() {
    let count = cases().len();
    assert!(
        count >= 60,
        "expected at least 60 golden cases, found {count}"
    );
}

/// Every diagnostic code is shown by at least one golden case, except the
/// few that need a process-level setup (covered in tests/cli.rs).
#[test]
fn every_code_has_a_golden_case() {
    // TFC0001/0002/0010 need process-level set-up (tests/cli.rs); TFC1009 is
    // the fallback for schema keywords the generated schema does not use
    // (unit-tested in src/schema.rs); TFC3901/3903/3904 need a failing S3
    // server (tests/s3.rs), and TFC3906 a stalling one; TFC3013 (an object beside a folder of the same
    // name) cannot exist in a local mirror (tests/s3.rs); TFC3902 is
    // retired (a missing bucket is TFC3014); TFC5001/5002/5003 need a failing or refused output
    // directory or an unreadable project (tests/build.rs); TFC5004 a build
    // without the cluster's bucket or account (tests/cli.rs); TFC7xxx belong to
    // `publish` (tests/publish.rs); TFC4008 needs a 256 MiB saved_model.pb
    // (unit-tested with a small limit in src/models/mod.rs); TFC9001 is an
    // internal error.
    let not_golden = [
        "TFC0001", "TFC0002", "TFC0010", "TFC1009", "TFC3013", "TFC3901", "TFC3902", "TFC3903",
        "TFC3904", "TFC3906", "TFC4008", "TFC5001", "TFC5002", "TFC5003", "TFC5004", "TFC7001",
        "TFC7002", "TFC7003", "TFC7004", "TFC9001",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for case in cases() {
        let report = std::fs::read_to_string(case.join("expected/report.json")).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
        for d in json["diagnostics"].as_array().into_iter().flatten() {
            if let Some(code) = d["code"].as_str() {
                seen.insert(code.to_owned());
            }
        }
    }
    let missing: Vec<&str> = cortex_tfc::diag::codes::REGISTRY
        .iter()
        .map(|i| i.code.as_str())
        .filter(|c| !seen.contains(*c) && !not_golden.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a golden case: {missing:?}"
    );
}

/// The diagnostics contract: every diagnostic of every case has a stable
/// code, a message, a 1-based position (notes about the run excepted) and
/// a help line.
#[test]
fn every_diagnostic_has_code_position_and_help() {
    for case in cases() {
        let report = std::fs::read_to_string(case.join("expected/report.json")).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
        for d in json["diagnostics"].as_array().into_iter().flatten() {
            // a note speaks of the run (checks left out), not of a place
            let positioned = d["severity"] == "note"
                || d["line"].as_u64().is_some_and(|l| l >= 1)
                    && d["column"].as_u64().is_some_and(|c| c >= 1);
            let ok = d["code"].as_str().is_some_and(|c| c.starts_with("TFC"))
                && d["message"].as_str().is_some_and(|m| !m.is_empty())
                && positioned
                && d["help"].as_str().is_some_and(|h| !h.is_empty());
            assert!(ok, "{}: incomplete diagnostic {d}", case.display());
        }
    }
}

/// Golden output is deterministic: a second run gives the same bytes.
#[test]
fn golden_output_is_deterministic() {
    for case in cases().iter().take(10) {
        assert_eq!(actual_tree(case), actual_tree(case), "{}", case.display());
    }
}

/// A case that builds a bundle zips its own directory as the project: its
/// `.cortexignore` must leave the harness's files out, or the zip would hold
/// its own expected output and never settle.
#[test]
fn bundle_cases_leave_their_expectations_out_of_the_zip() {
    for case in cases() {
        if !case.join("expected/bundle").is_dir() {
            continue;
        }
        let ignore = std::fs::read_to_string(case.join(".cortexignore")).unwrap_or_default();
        assert!(
            ignore.lines().any(|l| l.trim() == "expected/"),
            "{}: .cortexignore must list expected/",
            case.display()
        );
    }
}
