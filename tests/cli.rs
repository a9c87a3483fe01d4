//! Process-level tests: arguments, exit codes, output formats, and the
//! input failures that golden cases cannot hold (non-UTF-8, huge files,
//! unreadable paths).

#[path = "support/handler.rs"]
mod handler;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cortex_tfc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        // never reach for instance metadata or real credentials from tests
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("the binary runs")
}

/// A fresh project directory with a handler file.
fn project(name: &str, config: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    std::fs::write(dir.join("handler.py"), handler::HANDLER_PY).expect("handler");
    std::fs::write(dir.join("cortex.yaml"), config).expect("config");
    dir
}

fn json_report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

const VALID: &str = "- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n      path: s3://my-bucket/iris/\n";

/// pkg/types/spec/utils.go:227-244 lists the prefix as written and
/// :324-328 looks for the files under Go's cleaned path: a path with `.`,
/// `..` or an inner `//` is refused whatever the bucket holds, so
/// `--offline` says so too (found by running Cortex's validation on these).
#[test]
fn offline_refuses_model_paths_cortex_can_never_read() {
    for (path, refused) in [
        ("s3://my-bucket/./iris/", true),
        ("s3://my-bucket/a//iris/", true),
        ("s3://my-bucket/x/../iris/", true),
        ("s3://my-bucket/iris/", false),
    ] {
        let config = VALID.replace("s3://my-bucket/iris/", path);
        let dir = project(&format!("offline-path-{}", path.len()), config.as_bytes());
        let out = cortex_tfc(
            &["check", "cortex.yaml", "--offline", "--format", "json"],
            &dir,
        );
        assert_eq!(
            out.status.code(),
            Some(if refused { 1 } else { 0 }),
            "{path}"
        );
        let report = json_report(&out);
        let codes: Vec<&str> = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert_eq!(codes.contains(&"TFC3015"), refused, "{path}: {codes:?}");
    }
}

#[test]
fn valid_file_exits_zero_with_empty_json_report() {
    let dir = project("valid", VALID.as_bytes());
    let out = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--format", "json"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0));
    let report = json_report(&out);
    assert_eq!(report["version"], 1);
    assert_eq!(report["ok"], true);
    // the one warning says the models were not checked, the note that the
    // cluster checks were not run (no --cluster)
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(2));
    assert_eq!(report["diagnostics"][0]["code"], "TFC3000");
    assert_eq!(report["diagnostics"][1]["code"], "TFC6000");
    assert_eq!(report["diagnostics"][1]["severity"], "note");
    let human = cortex_tfc(&["check", "cortex.yaml", "--offline"], &dir);
    assert_eq!(human.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&human.stderr).contains("ok with 1 warning (1 API checked)"));
}

#[test]
fn ten_different_mistakes_are_all_reported_with_positions() {
    let config = "\
- name: iris
  kind: AsyncAPI
  handlr: x
  handler:
    type: tensorflow
    path: handler.py
    processes_per_replica: 4
    log_level: verbose
    env:
      CORTEX_X: \"1\"
    models:
      path: gs://my-bucket/iris/
  compute:
    cpu: 10m
    gpu: 1
    inf: 1
  autoscaling:
    min_replicas: 5
    max_replicas: 2
    window: 45s
  networking:
    endpoint: /a//b
";
    let dir = project("ten-mistakes", config.as_bytes());
    let out = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--format", "json"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let found: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_owned(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        ("TFC1001", 3, 3),
        ("TFC2016", 7, 28),
        ("TFC1004", 8, 16),
        ("TFC2021", 10, 7),
        ("TFC2012", 12, 13),
        ("TFC2025", 14, 10),
        ("TFC2027", 16, 10),
        ("TFC2031", 18, 19),
        ("TFC2030", 20, 13),
        ("TFC2036", 22, 15),
        // the note about the cluster checks speaks of the run, not a line
        ("TFC6000", 0, 0),
    ];
    let expected: Vec<(String, u64, u64)> = expected
        .iter()
        .map(|(c, l, col)| (c.to_string(), *l, *col))
        .collect();
    assert_eq!(found, expected);
    for d in report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["severity"] != "note")
    {
        assert_eq!(d["api"], "iris");
        assert_eq!(d["file"], "cortex.yaml");
        assert!(d["help"].is_string() && d["path"].is_string(), "{d}");
    }
}

#[test]
fn missing_file_is_a_usage_error() {
    let dir = project("missing", VALID.as_bytes());
    let out = cortex_tfc(&["check", "nope.yaml"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TFC0001"));
}

#[test]
fn unreadable_path_could_not_finish() {
    let dir = project("unreadable", VALID.as_bytes());
    std::fs::create_dir_all(dir.join("adir")).expect("dir");
    let out = cortex_tfc(&["check", "adir", "--offline", "--format", "json"], &dir);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json_report(&out)["diagnostics"][0]["code"], "TFC0001");
}

#[test]
fn non_utf8_input_points_at_the_bad_byte() {
    let mut bytes = VALID.as_bytes().to_vec();
    bytes.splice(27..27, [0xff, 0xfe]);
    let dir = project("non-utf8", &bytes);
    let out = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--format", "json"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let d = &json_report(&out)["diagnostics"][0];
    assert_eq!(d["code"], "TFC0002");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(15))
    );
    // human output draws the excerpt without panicking
    let human = cortex_tfc(&["check", "cortex.yaml", "--offline"], &dir);
    assert!(String::from_utf8_lossy(&human.stderr).contains("TFC0002"));
}

/// A control character (TFC0018) is pointed at, and the human excerpt never
/// writes it to the terminal as it is: an escape could drive the terminal.
#[test]
fn control_characters_are_reported_and_never_echoed() {
    let text = VALID.replace("- name: iris", "- name: iris # \u{1b}[2J");
    let dir = project("control-character", text.as_bytes());
    let out = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--format", "json"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let d = &json_report(&out)["diagnostics"][0];
    assert_eq!(d["code"], "TFC0018");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(16))
    );
    let human = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--color", "never"],
        &dir,
    );
    assert!(!human.stderr.contains(&0x1b));
    assert!(String::from_utf8_lossy(&human.stderr).contains("# ?[2J"));
}

/// UTF-16 with its byte-order mark is read, and positions are the user's.
#[test]
fn utf16_input_is_read_with_the_users_positions() {
    let text = VALID.replace("path: handler.py", "path: handlér.py");
    let bytes: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let dir = project("utf16", &bytes);
    let out = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--format", "json"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let d = &json_report(&out)["diagnostics"][0];
    assert_eq!(d["code"], "TFC2007");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(11))
    );
}

#[test]
fn oversized_input_is_refused_without_reading_it_all() {
    let mut big = VALID.as_bytes().to_vec();
    big.extend(std::iter::repeat_n(b'#', 9 * 1024 * 1024));
    let dir = project("too-large", &big);
    let out = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--format", "json"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_report(&out)["diagnostics"][0]["code"], "TFC0010");
}

#[test]
fn usage_errors_exit_two() {
    let dir = project("usage", VALID.as_bytes());
    for args in [
        vec!["check"],
        vec!["frobnicate"],
        vec!["check", "cortex.yaml", "--format", "xml"],
        vec!["build"],
        vec!["build", "cortex.yaml", "--offline"],
        vec!["inspect"],
        vec!["inspect", "s3://b/m", "--offline"],
        vec!["inspect", "no/such/dir"],
    ] {
        let out = cortex_tfc(&args, &dir);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn explain_prints_the_registry() {
    let dir = project("explain", VALID.as_bytes());
    let out = cortex_tfc(&["explain", "tfc2031"], &dir);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("TFC2031: min_replicas is greater than max_replicas"),
        "{text}"
    );
    let all = cortex_tfc(&["explain"], &dir);
    let listed = String::from_utf8_lossy(&all.stdout).lines().count();
    assert_eq!(listed, cortex_tfc::diag::codes::REGISTRY.len());
    let unknown = cortex_tfc(&["explain", "TFC7777"], &dir);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let dir = project("colour", b"- name: Iris\n");
    let always = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--color", "always"],
        &dir,
    );
    assert!(always.stderr.contains(&0x1b));
    let never = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--color", "never"],
        &dir,
    );
    assert!(!never.stderr.contains(&0x1b));
    // not a terminal: auto means no colour
    let auto = cortex_tfc(&["check", "cortex.yaml", "--offline"], &dir);
    assert!(!auto.stderr.contains(&0x1b));
}

#[test]
fn json_positions_are_one_based_and_end_exclusive() {
    let dir = project("positions", b"- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n      path: s3://my-bucket/iris/\n  autoscaling:\n    min_replicas: 5\n    max_replicas: 2\n");
    let out = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--format", "json"],
        &dir,
    );
    let report = json_report(&out);
    let d = report["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["code"] == "TFC2031"))
        .expect("the TFC2031 diagnostic");
    assert_eq!(d["path"], "autoscaling.min_replicas");
    assert_eq!(
        (
            d["line"].as_u64(),
            d["column"].as_u64(),
            d["end_line"].as_u64(),
            d["end_column"].as_u64()
        ),
        (Some(9), Some(19), Some(9), Some(20))
    );
    assert_eq!(d["related"][0]["line"], 10);
}

/// The README's table of codes is the registry's.
#[test]
fn readme_lists_every_code() {
    let readme = include_str!("../README.md");
    let start = readme.find("<!-- codes:start -->").expect("start marker");
    let end = readme.find("<!-- codes:end -->").expect("end marker");
    let rows: Vec<&str> = readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| `TFC"))
        .collect();
    let expected: Vec<String> = cortex_tfc::diag::codes::REGISTRY
        .iter()
        .map(|i| format!("| `{}` | {} |", i.code, i.title))
        .collect();
    assert_eq!(rows, expected, "README codes table is out of date");
}

/// The SDK is built without its default HTTP client: the store must give
/// it one, or the first request panics. An unreachable endpoint must end in
/// "could not check" (exit 3), never a panic (101) or "invalid" (1).
#[test]
fn s3_store_without_a_server_could_not_finish() {
    let dir = project("s3-unreachable", VALID.as_bytes());
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .args([
            "check",
            "cortex.yaml",
            "--s3-endpoint",
            "http://127.0.0.1:9",
            "--format",
            "json",
        ])
        .current_dir(&dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_report(&out);
    assert_eq!(report["diagnostics"][0]["code"], "TFC3903");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("wJalrXUtnFEMI"));
}

#[test]
fn store_options_conflict_with_offline() {
    let dir = project("store-conflict", VALID.as_bytes());
    let out = cortex_tfc(&["check", "cortex.yaml", "--offline", "--store", "."], &dir);
    assert_eq!(out.status.code(), Some(2));
}

/// The README's "run the example" command works on a fresh checkout.
#[test]
fn readme_example_builds_from_the_example_store() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = include_str!("../README.md");
    assert!(readme.contains(
        "cargo run --release -- build examples/iris/cortex.yaml --cluster examples/cluster.yaml --account-id 123456789012 --store examples/store\n"
    ));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-example-bundle");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out_arg = out_dir.to_string_lossy().into_owned();
    let out = cortex_tfc(
        &[
            "build",
            "examples/iris/cortex.yaml",
            "--cluster",
            "examples/cluster.yaml",
            "--account-id",
            "123456789012",
            "--store",
            "examples/store",
            "-o",
            &out_arg,
            "--format",
            "json",
        ],
        root,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json_report(&out);
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(0));
    // both example APIs fit the example cluster
    for api in report["placement"].as_array().into_iter().flatten() {
        assert!(
            api["node_groups"].as_array().is_some_and(|g| !g.is_empty()),
            "{api}"
        );
    }
    assert_eq!(report["placement"].as_array().map(Vec::len), Some(2));
    for file in [
        "bundle.json",
        "apis/iris-classifier/queue.json",
        "apis/text-models/k8s.yaml",
        "apis/text-models/models.config",
    ] {
        assert!(out_dir.join(file).is_file(), "{file}");
    }
}

const CLUSTER: &str =
    "region: us-west-2\nnode_groups:\n  - name: cpu\n    instance_type: m5.large\n";

/// `--cluster` names a file like cortex.yaml does: missing is a usage error
/// (exit 2), and `--bucket` needs `--cluster` and a name Cortex accepts.
#[test]
fn cluster_flags_usage_errors_exit_two() {
    let dir = project("cluster-usage", VALID.as_bytes());
    std::fs::write(dir.join("cluster.yaml"), CLUSTER).expect("cluster");
    let missing = cortex_tfc(
        &[
            "check",
            "cortex.yaml",
            "--offline",
            "--cluster",
            "nope.yaml",
        ],
        &dir,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.yaml"));
    let bucket_alone = cortex_tfc(
        &["check", "cortex.yaml", "--offline", "--bucket", "b"],
        &dir,
    );
    assert_eq!(bucket_alone.status.code(), Some(2));
    let bad_bucket = cortex_tfc(
        &[
            "check",
            "cortex.yaml",
            "--offline",
            "--cluster",
            "cluster.yaml",
            "--bucket",
            "Bad_Bucket",
        ],
        &dir,
    );
    assert_eq!(bad_bucket.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_bucket.stderr).contains("--bucket `Bad_Bucket`"));
}

/// With `--cluster`: no note, a `placement` field, and cluster.yaml's own
/// diagnostics name that file with a position.
#[test]
fn cluster_json_has_placement_and_names_the_cluster_file() {
    let dir = project("cluster-json", VALID.as_bytes());
    std::fs::write(
        dir.join("cluster.yaml"),
        format!("{CLUSTER}    max_instance: 3\n"),
    )
    .expect("cluster");
    let out = cortex_tfc(
        &[
            "check",
            "cortex.yaml",
            "--offline",
            "--cluster",
            "cluster.yaml",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let codes: Vec<(&str, &str, u64)> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or(""),
                d["file"].as_str().unwrap_or(""),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("TFC3000", "cortex.yaml", 7),
            ("TFC1001", "cluster.yaml", 5)
        ]
    );
    // the cluster file has an error: no placement on a cluster Cortex would not create
    assert!(report["placement"].is_null());
    std::fs::write(dir.join("cluster.yaml"), CLUSTER).expect("cluster");
    let out = cortex_tfc(
        &[
            "check",
            "cortex.yaml",
            "--offline",
            "--cluster",
            "cluster.yaml",
            "--format",
            "json",
        ],
        &dir,
    );
    let report = json_report(&out);
    // m5.large us-west-2: 1280m allocatable / 200m = 6 replicas per instance;
    // 100 replicas (default max) → 17 instances × $0.096 = $1.632
    let group = &report["placement"][0]["node_groups"][0];
    assert_eq!(group["eks_name"], "cx-wd-cpu");
    assert_eq!(group["replicas_per_instance"], 6);
    assert_eq!(group["instances_at_max_replicas"], 17);
    assert_eq!(group["usd_per_hour_at_max_replicas"], 1.632);
    assert!(
        report["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().all(|d| d["code"] != "TFC6000"))
    );
}

/// `--bucket` fills in the bucket Cortex would derive from the account.
#[test]
fn bucket_flag_reaches_bundle_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bucket-flag-bundle");
    let _ = std::fs::remove_dir_all(&out_dir);
    let cluster_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bucket-flag-cluster");
    std::fs::create_dir_all(&cluster_dir).expect("dir");
    let cluster = std::fs::read_to_string(root.join("examples/cluster.yaml"))
        .expect("example")
        .replace("bucket: cortex-examples-models\n", "");
    let cluster_path = cluster_dir.join("cluster.yaml");
    std::fs::write(&cluster_path, cluster).expect("cluster");
    let out = cortex_tfc(
        &[
            "build",
            "examples/iris/cortex.yaml",
            "--cluster",
            &cluster_path.to_string_lossy(),
            "--bucket",
            "my-models",
            "--account-id",
            "123456789012",
            "--store",
            "examples/store",
            "-o",
            &out_dir.to_string_lossy(),
        ],
        root,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("bundle.json")).expect("bundle.json"))
            .expect("JSON");
    assert_eq!(manifest["cluster"]["bucket"], "my-models");
    assert_eq!(
        manifest["cluster"]["node_groups"][1]["eks_name"],
        "cx-ws-cpu-spot"
    );
}

/// `build` writes what the operator creates on one cluster: without
/// `--cluster` it is a usage error; a bad `--account-id` too.
#[test]
fn build_needs_the_cluster_and_a_valid_account_id() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-needs-cluster");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out_arg = out_dir.to_string_lossy().into_owned();
    let base = [
        "build",
        "examples/iris/cortex.yaml",
        "--store",
        "examples/store",
        "-o",
        &out_arg,
    ];
    let without = cortex_tfc(&base, root);
    assert_eq!(without.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&without.stderr).contains("--cluster"));
    let mut bad_account = base.to_vec();
    bad_account.extend([
        "--cluster",
        "examples/cluster.yaml",
        "--account-id",
        "12345",
    ]);
    let bad = cortex_tfc(&bad_account, root);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("12 digits"));
    assert!(!out_dir.exists());
}

/// The account id is never guessed: Cortex reads it from the credentials,
/// and the queue URL in the manifests holds it (TFC5004, nothing written).
#[test]
fn build_without_the_account_id_says_what_is_missing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-needs-account");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = cortex_tfc(
        &[
            "build",
            "examples/iris/cortex.yaml",
            "--cluster",
            "examples/cluster.yaml",
            "--store",
            "examples/store",
            "--format",
            "json",
            "-o",
            &out_dir.to_string_lossy(),
        ],
        root,
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    let missing = diagnostics
        .iter()
        .find(|d| d["code"] == "TFC5004")
        .expect("TFC5004");
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("--account-id"))
    );
    assert!(!out_dir.exists());
}
