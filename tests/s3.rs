//! Model-store tests against a real S3-compatible server on 127.0.0.1
//! (moto, started by `scripts/test`, which sets CORTEX_TFC_TEST_S3_ENDPOINT),
//! with a fault/latency proxy (tests/support/proxy.rs) in front for the
//! failure cases. The tests share the server, so they take turns.

#[path = "support/handler.rs"]
mod handler;

#[path = "support/proxy.rs"]
mod proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use proxy::{Fault, Proxy};

static SERVER: Mutex<()> = Mutex::new(());

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn endpoint() -> String {
    std::env::var("CORTEX_TFC_TEST_S3_ENDPOINT")
        .expect("CORTEX_TFC_TEST_S3_ENDPOINT is not set: run the tests with scripts/test, which starts the S3 test server")
}

/// Exclusive use of the server, emptied.
fn server() -> MutexGuard<'static, ()> {
    let guard = SERVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    reset(&endpoint());
    guard
}

/// moto's reset endpoint: every bucket gone.
fn reset(endpoint: &str) {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("the S3 test server answers");
    let request = format!(
        "POST /moto-api/reset HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send reset");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "reset failed: {answer}"
    );
}

fn client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .http_client(cortex_tfc::store::s3::https_client())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "AKIDTEST",
            "test-secret",
            None,
            None,
            "test",
        ))
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Uploads `store/<bucket>/<key>` files as S3 objects.
fn upload(store: &Path) {
    let client = client(&endpoint());
    runtime().block_on(async {
        let Ok(buckets) = std::fs::read_dir(store) else {
            return;
        };
        for bucket in buckets.flatten().filter(|b| b.path().is_dir()) {
            let name = bucket.file_name().to_string_lossy().into_owned();
            client
                .create_bucket()
                .bucket(&name)
                .send()
                .await
                .expect("create bucket");
            let mut stack = vec![bucket.path()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).expect("read store").flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let key = path
                        .strip_prefix(bucket.path())
                        .expect("inside")
                        .to_string_lossy()
                        .replace('\\', "/");
                    let body = std::fs::read(&path).expect("read object");
                    client
                        .put_object()
                        .bucket(&name)
                        .key(key)
                        .body(body.into())
                        .send()
                        .await
                        .expect("put object");
                }
            }
        }
    });
}

/// Puts objects; a `saved_model.pb` gets a real TensorFlow export.
fn put(bucket: &str, keys: &[&str]) {
    let client = client(&endpoint());
    let export = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/savedmodels/tf23-one-signature/saved_model.pb"),
    )
    .expect("fixture");
    runtime().block_on(async {
        let _ = client.create_bucket().bucket(bucket).send().await;
        for key in keys {
            let body = if key.ends_with("saved_model.pb") {
                export.clone()
            } else if key.ends_with('/') {
                // a console "folder": a zero-byte object named `x/`
                Vec::new()
            } else {
                b"x".to_vec()
            };
            client
                .put_object()
                .bucket(bucket)
                .key(*key)
                .body(body.into())
                .send()
                .await
                .expect("put");
        }
    });
}

/// The binary with test credentials and nothing else from the AWS chain:
/// no profile files, no instance metadata, no endpoint from the environment.
fn isolated() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"));
    command
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3");
    command
}

fn cortex_tfc(dir: &Path, args: &[&str]) -> Output {
    isolated()
        .current_dir(dir)
        .args(["check", "cortex.yaml", "--format", "json"])
        .args(args)
        .output()
        .expect("the binary runs")
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Codes of the findings (the note about the cluster checks left out
/// without --cluster, TFC6000, is not one).
fn codes(out: &Output) -> Vec<String> {
    report(out)["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["severity"] != "note")
        .filter_map(|d| d["code"].as_str().map(str::to_owned))
        .collect()
}

fn golden(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(case)
}

/// A project with one API serving `url`.
fn project(name: &str, models: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("s3-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("project dir");
    std::fs::write(dir.join("handler.py"), handler::HANDLER_PY).expect("handler");
    let config = format!(
        "- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n{models}"
    );
    std::fs::write(dir.join("cortex.yaml"), config).expect("config");
    dir
}

const MODEL: [&str; 3] = [
    "iris/nn/saved_model.pb",
    "iris/nn/variables/variables.index",
    "iris/nn/variables/variables.data-00000-of-00001",
];

#[test]
fn the_local_mirror_and_s3_give_the_same_diagnostics() {
    let mut cases: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("golden"))
            .expect("golden/")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| golden(n).join("store").is_dir())
            .collect();
    cases.sort();
    assert!(cases.len() >= 15, "store cases: {cases:?}");
    for case in &cases {
        let _server = server();
        upload(&golden(case).join("store"));
        let local = cortex_tfc(&golden(case), &["--store", "store"]);
        let remote = cortex_tfc(&golden(case), &["--s3-endpoint", &endpoint()]);
        assert_eq!(
            local.status.code(),
            remote.status.code(),
            "{case}: exit codes differ"
        );
        let normalise = |out: &Output| {
            String::from_utf8_lossy(&out.stdout)
                .replace("local mirror store", "<store>")
                .replace(&format!("S3 endpoint {}", endpoint()), "<store>")
        };
        assert_eq!(
            normalise(&local),
            normalise(&remote),
            "{case}: reports differ"
        );
    }
}

/// Every folder of a store tree, as the S3 console's zero-byte `x/`
/// markers.
fn markers(store: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for bucket in std::fs::read_dir(store).expect("store").flatten() {
        let name = bucket.file_name().to_string_lossy().into_owned();
        let mut stack = vec![bucket.path()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
                if entry.path().is_dir() {
                    let key = entry
                        .path()
                        .strip_prefix(bucket.path())
                        .expect("inside")
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.entry(name.clone()).or_default().push(format!("{key}/"));
                    stack.push(entry.path());
                }
            }
        }
    }
    out
}

/// Cortex lists with includeDirObjects=false (utils.go:133, :240 at
/// v0.34.0): with a marker for every folder, S3 mode gives the report the
/// local mirror gives for the same tree.
#[test]
fn folder_markers_change_nothing_in_s3_mode() {
    for case in [
        "store-valid-versioned-gpu",
        "store-valid-dir",
        "store-missing-variables-index",
        "store-version-leading-zero",
    ] {
        let _server = server();
        let store = golden(case).join("store");
        upload(&store);
        for (bucket, keys) in markers(&store) {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            put(&bucket, &keys);
        }
        let local = cortex_tfc(&golden(case), &["--store", "store"]);
        let remote = cortex_tfc(&golden(case), &["--s3-endpoint", &endpoint()]);
        assert_eq!(
            local.status.code(),
            remote.status.code(),
            "{case}: exit codes differ"
        );
        let normalise = |out: &Output| {
            String::from_utf8_lossy(&out.stdout)
                .replace("local mirror store", "<store>")
                .replace(&format!("S3 endpoint {}", endpoint()), "<store>")
        };
        assert_eq!(normalise(&local), normalise(&remote), "{case}");
    }
}

/// `nn/variables` beside `nn/variables/...`: S3 allows it, the deploy
/// check passes, the worker's validation skips the model (TFC3013).
#[test]
fn an_object_beside_its_own_folder_is_an_error() {
    let _server = server();
    let mut keys = MODEL.to_vec();
    keys.push("iris/nn/variables");
    put("models", &keys);
    let dir = project(
        "object-and-folder",
        "      path: s3://models/iris/nn\n      signature_key: serving_default\n",
    );
    let out = cortex_tfc(&dir, &["--s3-endpoint", &endpoint()]);
    assert_exit(&out, 1);
    let d = &report(&out)["diagnostics"][0];
    assert_eq!(d["code"], "TFC3013");
    assert_eq!(d["line"], 7);
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("`variables` is an object and also a folder")),
        "{d}"
    );
}

/// A missing bucket is a verdict on the config (exit 1), with "did you
/// mean" among the buckets the store lists.
#[test]
fn a_missing_bucket_is_a_config_error_in_s3_mode() {
    let _server = server();
    put("models", &MODEL);
    let dir = project("bucket-typo", "      path: s3://modles/iris/nn\n");
    let out = cortex_tfc(&dir, &["--s3-endpoint", &endpoint()]);
    assert_exit(&out, 1);
    let d = &report(&out)["diagnostics"][0];
    assert_eq!(d["code"], "TFC3014");
    assert_eq!(d["line"], 7);
    assert_eq!(d["help"], "did you mean `models`?");
}

/// One valid model behind a proxy with `fault`: the check's output and the
/// proxy, to count what it saw.
fn check_through(name: &str, fault: Fault, extra: &[&str]) -> (Output, Proxy) {
    put("models", &MODEL);
    let proxy = Proxy::start(&endpoint(), fault, Duration::ZERO);
    let dir = project(name, "      path: s3://models/iris/nn\n");
    let mut args = vec!["--s3-endpoint", proxy.url.as_str()];
    args.extend_from_slice(extra);
    (cortex_tfc(&dir, &args), proxy)
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_storm_of_503_slowdown_is_retried_to_success() {
    let _server = server();
    let (out, proxy) = check_through("slowdown", Fault::SlowDownFirst(3), &[]);
    assert_exit(&out, 0);
    assert_eq!(proxy.list_requests(), 4, "three 503s, then the listing");
}

#[test]
fn access_denied_could_not_finish_and_names_the_permission() {
    let _server = server();
    let proxy = Proxy::start(&endpoint(), Fault::Forbidden, Duration::ZERO);
    let dir = project("forbidden", "      path: s3://models/iris/nn\n");
    let out = cortex_tfc(&dir, &["--s3-endpoint", &proxy.url]);
    assert_eq!(out.status.code(), Some(3));
    let d = &report(&out)["diagnostics"][0];
    assert_eq!(d["code"], "TFC3901");
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("s3://models/iris/nn/")),
        "{d}"
    );
    assert!(
        d["help"]
            .as_str()
            .is_some_and(|h| h.contains("s3:ListBucket") && h.contains("arn:aws:s3:::models")),
        "{d}"
    );
    assert_eq!(d["line"], 7);
    assert_eq!(
        (proxy.list_requests(), proxy.requests()),
        (1, 1),
        "403 is not retried"
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains(SECRET) && !all.contains("AKIDTEST"),
        "credentials leaked: {all}"
    );
}

#[test]
fn a_timed_out_attempt_is_retried() {
    let _server = server();
    let (out, proxy) = check_through(
        "timeout-once",
        Fault::StallFirst(1, Duration::from_secs(2)),
        &["--s3-timeout", "500ms"],
    );
    assert_exit(&out, 0);
    assert!(proxy.list_requests() >= 2);
}

#[test]
fn a_store_that_never_answers_could_not_finish() {
    let _server = server();
    let (out, proxy) = check_through(
        "timeout-always",
        Fault::StallFirst(usize::MAX, Duration::from_secs(2)),
        &["--s3-timeout", "200ms"],
    );
    assert_exit(&out, 3);
    assert_eq!(codes(&out), ["TFC3906"]);
    let d = &report(&out)["diagnostics"][0];
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("listing s3://models/iris/nn/ stalled")),
        "{d}"
    );
    assert_eq!(d["line"], 7);
    assert_eq!(proxy.list_requests(), 5, "five attempts in all");
}

/// The listing answers, the saved_model.pb read never does: the message
/// names the read, not the listing.
#[test]
fn a_stalled_read_is_named_as_a_read() {
    let _server = server();
    let (out, _proxy) = check_through(
        "read-stalls",
        Fault::StallReads(Duration::from_secs(2)),
        &["--s3-timeout", "200ms"],
    );
    assert_exit(&out, 3);
    assert_eq!(codes(&out), ["TFC3906"]);
    let d = &report(&out)["diagnostics"][0];
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("reading s3://models/iris/nn/saved_model.pb stalled")),
        "{d}"
    );
}

/// Cortex looks each bucket's region up (pkg/lib/aws/aws.go:38 NewFromClientS3Path, s3.go:178
/// at v0.34.0): a bucket in another region than AWS_REGION is listed and
/// read there, not "could not check".
#[test]
fn a_bucket_in_another_region_is_followed() {
    let _server = server();
    let (out, proxy) = check_through("other-region", Fault::BucketInRegion("eu-west-3"), &[]);
    assert_exit(&out, 0);
    // one redirected listing, then the listing and the read in eu-west-3
    assert_eq!(proxy.list_requests(), 2);
    assert_eq!(proxy.requests(), 3);
}

#[test]
fn pagination_is_followed_to_the_end() {
    let _server = server();
    let (out, proxy) = check_through("pages", Fault::SmallPages, &[]);
    assert_exit(&out, 0);
    assert_eq!(proxy.list_requests(), 2, "3 keys in pages of 2");
}

#[test]
fn a_listing_cut_mid_pagination_is_never_reported_valid() {
    let _server = server();
    let (out, _proxy) = check_through("cut", Fault::CutAfterFirstPage, &["--s3-timeout", "1s"]);
    assert_exit(&out, 3);
    assert_eq!(codes(&out), ["TFC3904"]);
    assert_eq!(report(&out)["ok"], false);
}

#[test]
fn a_truncated_page_without_a_token_is_incomplete() {
    let _server = server();
    let (out, _proxy) = check_through("no-token", Fault::DropContinuationToken, &[]);
    assert_exit(&out, 3);
    assert_eq!(codes(&out), ["TFC3904"]);
}

#[test]
fn each_distinct_prefix_is_listed_once() {
    let _server = server();
    put("models", &MODEL);
    put(
        "models",
        &[
            "zoo/a/saved_model.pb",
            "zoo/a/variables/variables.index",
            "zoo/a/variables/variables.data-00000-of-00001",
        ],
    );
    let proxy = Proxy::start(&endpoint(), Fault::None, Duration::ZERO);
    let dir = project(
        "dedupe",
        "      paths:\n        - {name: a, path: s3://models/iris/nn}\n        - {name: b, path: s3://models/iris/nn/}\n",
    );
    let extra = "- name: zoo\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n      dir: s3://models/zoo\n- name: iris-copy\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n      path: s3://models/iris/nn\n";
    let config = std::fs::read_to_string(dir.join("cortex.yaml")).expect("config") + extra;
    std::fs::write(dir.join("cortex.yaml"), config).expect("config");
    let out = cortex_tfc(&dir, &["--s3-endpoint", &proxy.url]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        proxy.list_requests(),
        2,
        "s3://models/iris/nn/ once, s3://models/zoo/ once"
    );
}

#[test]
fn aws_endpoint_url_from_the_environment_is_honoured() {
    let _server = server();
    put("models", &MODEL);
    let dir = project("env-endpoint", "      path: s3://models/iris/nn\n");
    let out = isolated()
        .current_dir(&dir)
        .args(["check", "cortex.yaml", "--format", "json"])
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ENDPOINT_URL_S3", endpoint())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn inspect_reads_a_model_through_s3_like_from_disk() {
    let _server = server();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("s3-inspect-store");
    let _ = std::fs::remove_dir_all(&scratch);
    let bucket = scratch.join("fixtures");
    std::fs::create_dir_all(&bucket).expect("scratch");
    for model in ["versioned", "two-signatures"] {
        let copy = Command::new("cp")
            .arg("-r")
            .arg(fixtures.join("savedmodels").join(model))
            .arg(&bucket)
            .status()
            .expect("cp");
        assert!(copy.success());
    }
    upload(&scratch);
    let inspect = |args: &[&str]| {
        let out = isolated()
            .arg("inspect")
            .args(args)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        report["model"] = serde_json::Value::Null;
        report
    };
    for model in ["versioned", "two-signatures"] {
        let url = format!("s3://fixtures/{model}");
        let local = fixtures
            .join("savedmodels")
            .join(model)
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            inspect(&[&url, "--s3-endpoint", &endpoint()]),
            inspect(&[&local]),
            "{model}"
        );
    }
}

/// `..` and `//` in a model path are part of the S3 key (SplitS3Path passes
/// it verbatim); the local mirror, which cannot hold such keys, gives the
/// same report as S3: TFC3015 on the path's line, exit 1, never a store
/// failure.
#[test]
fn dot_dot_and_double_slash_paths_get_the_same_report_in_both_modes() {
    for (case, line) in [
        ("store-model-path-dot-dot", 12),
        ("store-model-path-double-slash", 14),
    ] {
        let _server = server();
        upload(&golden(case).join("store"));
        let local = cortex_tfc(&golden(case), &["--store", "store"]);
        let remote = cortex_tfc(&golden(case), &["--s3-endpoint", &endpoint()]);
        assert_exit(&local, 1);
        assert_exit(&remote, 1);
        let findings = |out: &Output| -> Vec<(String, serde_json::Value, String)> {
            report(out)["diagnostics"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["severity"] != "note")
                .map(|d| {
                    (
                        d["code"].as_str().unwrap_or_default().to_owned(),
                        d["line"].clone(),
                        d["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        };
        assert_eq!(findings(&local), findings(&remote), "{case}");
        assert_eq!(codes(&remote), ["TFC3015"], "{case}");
        assert_eq!(findings(&remote)[0].1, line, "{case}");
    }
}

/// Keys with `//` under a clean model path: Cortex's deploy check reads
/// them as listed and finds no `nn/1/saved_model.pb` (utils.go:320-331),
/// the worker collapses them (validation.py `os.path.relpath`) and would
/// load the model. Either stage failing is an error that names both.
#[test]
fn keys_with_double_slashes_are_judged_by_both_stages() {
    let _server = server();
    put(
        "models",
        &[
            "iris/nn//1/saved_model.pb",
            "iris/nn//1/variables/variables.index",
            "iris/nn//1/variables/variables.data-00000-of-00001",
        ],
    );
    let dir = project(
        "double-slash-keys",
        "      path: s3://models/iris/nn\n      signature_key: serving_default\n",
    );
    let out = cortex_tfc(&dir, &["--s3-endpoint", &endpoint()]);
    assert_exit(&out, 1);
    assert_eq!(codes(&out), ["TFC3015"]);
    let d = &report(&out)["diagnostics"][0];
    assert_eq!(d["line"], 7);
    let message = d["message"].as_str().unwrap_or_default();
    for part in [
        "iris/nn//1/saved_model.pb",
        "deploy check reads the keys as listed and refuses the deploy",
        "worker collapses `//`",
        "would load the model",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    // the same model without `//`: valid
    put("clean", &MODEL);
    let dir = project(
        "double-slash-keys-clean",
        "      path: s3://clean/iris/nn\n      signature_key: serving_default\n",
    );
    let out = cortex_tfc(&dir, &["--s3-endpoint", &endpoint()]);
    assert_exit(&out, 0);
}
