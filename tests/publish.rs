//! `publish` against a real S3 + SQS compatible server (moto, started by
//! `scripts/test`, which sets CORTEX_TFC_TEST_S3_ENDPOINT): the bundle's S3
//! objects land byte for byte at their keys, the queue is the operator's
//! (`asyncapi/queue.go:29-53`: FIFO, VisibilityTimeout 60, tags), a second
//! run changes nothing, and a failure exits 3 without the apply command.
//!
//! The tests use the fixed test cluster's bucket and queue names, so they
//! take turns.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

static SERVER: Mutex<()> = Mutex::new(());

const BUCKET: &str = "cortex-tfc-test-bucket";

fn endpoint() -> String {
    std::env::var("CORTEX_TFC_TEST_S3_ENDPOINT").expect(
        "CORTEX_TFC_TEST_S3_ENDPOINT is not set: run the tests with scripts/test, which starts the S3 test server",
    )
}

fn turn() -> MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(|p| p.into_inner())
}

/// One HTTP/1.1 request to the test server; returns status and body.
fn http(service: &str, method: &str, path: &str, content_type: &str, body: &str) -> (u16, Vec<u8>) {
    let endpoint = endpoint();
    let host = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("the test server answers");
    // moto routes requests by the credential scope's service
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, response[split + 4..].to_vec())
}

fn sqs(query: &str) -> String {
    let (status, body) = http(
        "sqs",
        "POST",
        "/",
        "application/x-www-form-urlencoded",
        &format!("Version=2012-11-05&{query}"),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    String::from_utf8_lossy(&body).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("publish")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn build_example(out: &Path) {
    build_example_for(out, "123456789012");
}

fn build_example_for(out: &Path, account: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("build")
        .arg(root.join("examples/iris/cortex.yaml"))
        // the golden cluster: moto's region and account, the bucket created above
        .arg("--cluster")
        .arg(root.join("tests/fixtures/golden-cluster.yaml"))
        .args(["--account-id", account])
        .arg("--store")
        .arg(root.join("examples/store"))
        .arg("-o")
        .arg(out)
        .args(["--color", "never"])
        .status()
        .expect("build runs");
    assert!(status.success());
}

fn publish(bundle: &Path, s3_endpoint: &str, sqs_endpoint: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("publish")
        .arg(bundle)
        .args(["--s3-endpoint", s3_endpoint, "--s3-timeout", "3s"])
        .args(["--color", "never"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_SQS", sqs_endpoint)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("publish runs")
}

fn manifest(bundle: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(bundle.join("bundle.json")).expect("bundle.json");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn publish_puts_the_objects_and_the_queue_in_place_and_is_idempotent() {
    let _turn = turn();
    let dir = scratch("idempotent");
    let bundle = dir.join("bundle");
    build_example(&bundle);
    // the cluster's bucket exists in a Cortex cluster; create it here
    let (status, _) = http("s3", "PUT", &format!("/{BUCKET}"), "text/plain", "");
    assert!(status == 200 || status == 409, "bucket: {status}");

    let first = publish(&bundle, &endpoint(), &endpoint());
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let apply = format!(
        "kubectl apply -f {} -f {}",
        bundle.join("apis/iris-classifier/k8s.yaml").display(),
        bundle.join("apis/text-models/k8s.yaml").display()
    );
    assert_eq!(stdout.lines().last(), Some(apply.as_str()), "{stdout}");

    let manifest = manifest(&bundle);
    for api in manifest["apis"].as_array().expect("apis") {
        for object in api["s3_objects"].as_array().expect("objects") {
            let key = object["key"].as_str().expect("key");
            let file = object["file"].as_str().expect("file");
            let (status, body) = http("s3", "GET", &format!("/{BUCKET}/{key}"), "text/plain", "");
            assert_eq!(status, 200, "{key}");
            assert_eq!(
                body,
                std::fs::read(bundle.join(file)).expect("file"),
                "{key}"
            );
        }
        let queue: serde_json::Value = serde_json::from_slice(
            &std::fs::read(bundle.join(api["queue"].as_str().expect("queue"))).expect("queue.json"),
        )
        .expect("queue json");
        let name = queue["name"].as_str().expect("name");
        let url = format!("{}/123456789012/{name}", endpoint());
        let attributes = sqs(&format!(
            "Action=GetQueueAttributes&QueueUrl={url}&AttributeName.1=All"
        ));
        for wanted in [
            "<Name>FifoQueue</Name><Value>true</Value>",
            "<Name>VisibilityTimeout</Name><Value>60</Value>",
        ] {
            assert!(attributes.contains(wanted), "{wanted} in {attributes}");
        }
        let tags = sqs(&format!("Action=ListQueueTags&QueueUrl={url}"));
        let api_name = api["name"].as_str().expect("name");
        assert!(
            tags.contains(&format!("<Key>apiName</Key><Value>{api_name}</Value>")),
            "{tags}"
        );
        assert!(
            tags.contains("<Key>cortex.dev/cluster-name</Key><Value>cortex</Value>"),
            "{tags}"
        );
    }

    // a second run: the same answer, nothing changed
    let second = publish(&bundle, &endpoint(), &endpoint());
    assert_eq!(second.status.code(), Some(0));
    assert_eq!(second.stdout, first.stdout);
}

#[test]
fn an_unreachable_store_exits_3_without_the_apply_command() {
    let _turn = turn();
    let dir = scratch("unreachable");
    let bundle = dir.join("bundle");
    build_example(&bundle);
    // a port nothing listens on: bind, note it, close
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let out = publish(&bundle, &closed, &closed);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("TFC7002"), "{stderr}");
    assert!(stderr.contains("TFC7003"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("kubectl"));
}

/// The manifests carry the queue URL the operator computes from the
/// operator's account (`pkg/operator/resources/asyncapi/queue.go:70-80`);
/// moto creates queues under 123456789012, so a bundle built for another
/// account would poll a queue that does not exist.
#[test]
fn a_queue_created_under_another_account_exits_3_without_the_apply_command() {
    let _turn = turn();
    let dir = scratch("other-account");
    let bundle = dir.join("bundle");
    build_example_for(&bundle, "210987654321");
    let out = publish(&bundle, &endpoint(), &endpoint());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("TFC7004"), "{stderr}");
    assert!(stderr.contains("210987654321"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("kubectl"));
}

#[test]
fn a_changed_bundle_is_refused_before_anything_is_sent() {
    let dir = scratch("changed");
    let bundle = dir.join("bundle");
    build_example(&bundle);
    let queue = bundle.join("apis/iris-classifier/queue.json");
    let text = std::fs::read_to_string(&queue).expect("queue.json");
    std::fs::write(&queue, text.replace("\"60\"", "\"30\"")).expect("edit");
    // no server is needed: the bundle is checked first
    let out = publish(&bundle, "http://127.0.0.1:9", "http://127.0.0.1:9");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("TFC7001"), "{stderr}");
    assert!(
        stderr.contains("queue.json` changed since it was built"),
        "{stderr}"
    );
}
