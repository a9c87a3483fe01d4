//! Hostile input: bombs and limits under a real memory limit, and the
//! security promises (no credentials in output or bundle; model names and
//! store paths never leave their directory).
//!
//! Speed is measured in `bench/`, not here: these tests assert the clean
//! diagnostic and the memory ceiling only.

#[path = "support/handler.rs"]
mod handler;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hardening")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs `cortex-tfc check FILE --offline --format json` with at most 100 MB
/// of address space (RLIMIT_AS), as a shell's `ulimit -v` sets it.
fn check_limited(file: &Path) -> Output {
    let command = format!(
        "ulimit -v 102400 && exec '{}' check '{}' --offline --format json",
        env!("CARGO_BIN_EXE_cortex-tfc"),
        file.display()
    );
    Command::new("sh")
        .args(["-c", &command])
        .output()
        .expect("sh runs")
}

fn first_code(out: &Output) -> String {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    report["diagnostics"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn bomb(name: &str, text: &str, code: &str) {
    let file = scratch(name).join("cortex.yaml");
    std::fs::write(&file, text).expect("write bomb");
    let out = check_limited(&file);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(first_code(&out), code, "{name}");
}

#[test]
fn an_alias_bomb_ends_in_a_diagnostic() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    // go-yaml's own alias-ratio rule (decode.go:320-357) fires first
    bomb("alias", &text, "TFC0020");
}

#[test]
fn ten_thousand_levels_of_nesting_end_in_a_diagnostic() {
    bomb(
        "deep",
        &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        "TFC0011",
    );
    // Cortex's reader refuses more than 10000 levels too (cortexlabs/yaml
    // scannerc.go:939 max_indents); 200 levels are legal now
    bomb(
        "deep-block",
        &format!("{}x\n", "- ".repeat(10_001)),
        "TFC0011",
    );
}

/// A `handler.config` nested as deep as the parser allows is legal for
/// Cortex (its reader allows 10000 levels, cortexlabs/yaml
/// scannerc.go:939): the whole pipeline (schema, decoding, JSON, output)
/// reads it without recursing on the depth, under the same memory limit.
#[test]
fn a_config_nested_to_the_depth_limit_is_checked() {
    // the API list, the API, `handler` and `config` are four levels
    let lists = cortex_tfc::yaml::MAX_DEPTH - 4;
    let text = format!(
        "- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n      path: s3://my-bucket/iris/\n    config:\n      deep:\n        {}x\n",
        "- ".repeat(lists)
    );
    let dir = scratch("deep-config");
    std::fs::write(dir.join("handler.py"), handler::HANDLER_PY).expect("write handler");
    let file = dir.join("cortex.yaml");
    std::fs::write(&file, &text).expect("write config");
    let out = check_limited(&file);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // building writes it into the bundle: serde_json serialises handler.config
    // recursively, on a worker thread whose stack is sized for the depth limit
    let store =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/store-valid-non-versioned/store");
    std::fs::write(
        &file,
        text.replace("s3://my-bucket/iris/", "s3://models/iris/nn/"),
    )
    .expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .args([
            "build",
            &file.display().to_string(),
            "--store",
            &store.display().to_string(),
            "--account-id",
            "123456789012",
            "--cluster",
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/golden-cluster.yaml")
                .display()
                .to_string(),
            "--out",
        ])
        .arg(dir.join("bundle"))
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // one level more is refused, on the innermost list
    std::fs::write(
        &file,
        text.replacen("deep:\n        ", "deep:\n        - ", 1),
    )
    .expect("write config");
    let out = check_limited(&file);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(first_code(&out), "TFC0011");
}

#[test]
fn a_million_element_list_ends_in_a_diagnostic() {
    bomb(
        "flow-list",
        &format!("- [{}]\n", vec!["1"; 1_000_000].join(",")),
        "TFC0012",
    );
    bomb(
        "block-list",
        &format!("-\n{}", "  - 1\n".repeat(1_000_000)),
        "TFC0012",
    );
}

#[test]
fn a_100_mb_file_ends_in_a_diagnostic() {
    let file = scratch("huge").join("cortex.yaml");
    let line = format!("# {}\n", "x".repeat(1022));
    std::fs::write(&file, line.repeat(100 * 1024)).expect("write 100 MB");
    let out = check_limited(&file);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(first_code(&out), "TFC0010");
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9SECRET";
const KEY_ID: &str = "AKIAZZZZZZZZSECRETID";

#[test]
fn credentials_never_reach_output_or_bundle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = scratch("credentials").join("bundle");
    for format in ["human", "json", "sarif", "github"] {
        let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
            .current_dir(root)
            .args([
                "build",
                "examples/iris/cortex.yaml",
                "--cluster",
                "examples/cluster.yaml",
                "--account-id",
                "123456789012",
                "--store",
                "examples/store",
                "--format",
                format,
                "-o",
            ])
            .arg(&out_dir)
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_SESSION_TOKEN", SECRET)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(SECRET) && !text.contains(KEY_ID),
                "{format}: {text}"
            );
        }
    }
    let mut stack = vec![out_dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("bundle").flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                // bytes, not text: the bundle holds the project zip
                let bytes = std::fs::read(entry.path()).expect("bundle file");
                let contains =
                    |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
                assert!(
                    !contains(SECRET) && !contains(KEY_ID),
                    "{}",
                    entry.path().display()
                );
            }
        }
    }
}

/// A project whose one API names `models` as written.
fn project(name: &str, models: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("handler.py"), handler::HANDLER_PY).expect("handler");
    let config = format!(
        "- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n{models}"
    );
    std::fs::write(dir.join("cortex.yaml"), config).expect("config");
    dir
}

fn check(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .current_dir(dir)
        .args(["check", "cortex.yaml", "--format", "json"])
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn model_names_that_could_leave_their_folder_are_refused() {
    for name in ["../etc", "a/b", "a\\u0007b", ".", "a b"] {
        let dir = project(
            "bad-model-name",
            &format!("      paths:\n        - name: \"{name}\"\n          path: s3://bucket/m\n"),
        );
        let out = check(&dir, &["--offline"]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(first_code(&out), "TFC1005", "{name}");
    }
}

#[test]
fn models_dir_entries_that_could_leave_their_folder_are_refused() {
    let dir = project("bad-dir-entry", "      dir: s3://bucket/zoo\n");
    // dots are accepted, as Cortex accepts them ("x..y" cannot leave its
    // folder); control characters and spaces are not
    for folder in ["a\u{7}b", "a b", "x..y", "-ok-"] {
        let model = dir.join("store/bucket/zoo").join(folder);
        std::fs::create_dir_all(&model).expect("model dir");
        std::fs::write(model.join("saved_model.pb"), "x").expect("file");
    }
    let out = check(&dir, &["--store", "store"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let bad: Vec<&str> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "TFC3009")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad.iter().any(|m| m.contains("a\\u{7}b")),
        "control characters are shown escaped: {bad:?}"
    );
}

#[test]
fn the_local_store_cannot_be_escaped() {
    // `../../../etc/` is a literal S3 key prefix (Cortex's SplitS3Path keeps
    // it): the mirror looks it up among its own files' keys and finds
    // nothing, as S3 would; nothing outside the store is read
    let dir = project("escape", "      path: s3://bucket/../../../etc\n");
    std::fs::create_dir_all(dir.join("store/bucket")).expect("store");
    let out = check(&dir, &["--store", "store"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(first_code(&out), "TFC3001");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("passwd"));
    #[cfg(unix)]
    {
        let dir = project("escape-link", "      path: s3://bucket/m\n");
        std::fs::create_dir_all(dir.join("store/bucket")).expect("store");
        std::os::unix::fs::symlink("/etc", dir.join("store/bucket/m")).expect("link");
        // the mirror sits in the project: keep it out of what `cortex
        // deploy` would upload, where a symlink to a directory is an error
        std::fs::write(dir.join(".cortexignore"), "store/\n").expect("cortexignore");
        let out = check(&dir, &["--store", "store"]);
        // the link leads outside the store: nothing is found there
        assert_eq!(
            first_code(&out),
            "TFC3001",
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
