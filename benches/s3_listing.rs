//! Benchmark: `cortex-tfc check` on 1,000 model prefixes served by an
//! S3-compatible server on 127.0.0.1 (s3s-fs, installed by `bench/run s3`),
//! through a proxy adding 20 ms to every request. Prints wall time, requests
//! sent, and the ratio to the lower bound ceil(requests / concurrency) ×
//! 20 ms. Run with `bench/run s3`.
//!
//! Why s3s-fs and this layout: moto (the test server) answers one request at
//! a time (~3 ms each), so it caps any client at ~330 listings/s whatever
//! the concurrency; s3s-fs serves concurrently but walks the whole bucket on
//! each ListObjectsV2, so each API's models live in a bucket of their own
//! (10 models), keeping the server's share small next to the 20 ms.

#[path = "../tests/support/handler.rs"]
mod handler;

// shared with the fault tests, which use the rest of it
#[allow(dead_code)]
#[path = "../tests/support/proxy.rs"]
mod proxy;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use proxy::{Fault, Proxy};

const MODELS: usize = 1000;
const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 32;
const RUNS: usize = 3;

fn main() {
    let Ok(server) = std::env::var("CORTEX_TFC_S3S_FS") else {
        eprintln!("CORTEX_TFC_S3S_FS is not set: run `bench/run s3`, which installs s3s-fs");
        std::process::exit(2);
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-s3");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("root")).expect("bench dir");
    std::fs::write(dir.join("handler.py"), handler::HANDLER_PY).expect("handler");
    std::fs::write(dir.join("cortex.yaml"), config()).expect("config");
    write_models(&dir.join("root"));
    let (mut child, endpoint) = start_server(&server, &dir.join("root"));

    let mut best: Option<(Duration, usize)> = None;
    for _ in 0..RUNS {
        let proxy = Proxy::start(&endpoint, Fault::None, LATENCY);
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
            .current_dir(&dir)
            .args([
                "check",
                "cortex.yaml",
                "--s3-endpoint",
                &proxy.url,
                "--concurrency",
                &CONCURRENCY.to_string(),
            ])
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("cortex-tfc runs");
        let wall = started.elapsed();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let requests = proxy.requests();
        if best.is_none_or(|(w, _)| wall < w) {
            best = Some((wall, requests));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let Some((wall, requests)) = best else { return };
    let bound = LATENCY * u32::try_from(requests.div_ceil(CONCURRENCY)).unwrap_or(u32::MAX);
    println!(
        "s3 listing benchmark: {MODELS} model prefixes, {} ms added per request, concurrency {CONCURRENCY}",
        LATENCY.as_millis()
    );
    println!("  wall time (best of {RUNS}): {:.3} s", wall.as_secs_f64());
    println!("  requests sent:             {requests}");
    println!(
        "  bound ceil(requests/{CONCURRENCY}) x 20 ms: {:.3} s",
        bound.as_secs_f64()
    );
    println!(
        "  ratio to the bound:        {:.2}",
        wall.as_secs_f64() / bound.as_secs_f64()
    );
    println!("  targets: wall < 2 s, ratio <= 1.5");
}

const ACCESS_KEY: &str = "AKIDBENCH";
const SECRET_KEY: &str = "bench-secret";

/// 100 APIs × 10 models, each model its own prefix (Inferentia:
/// saved_model.pb only), each API's models in a bucket of their own.
fn config() -> String {
    let mut text = String::new();
    for api in 0..MODELS / 10 {
        text.push_str(&format!(
            "- name: api-{api}\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    models:\n      paths:\n"
        ));
        for model in 0..10 {
            text.push_str(&format!(
                "        - name: m{model}\n          path: s3://bench-{api}/models/{model}/\n"
            ));
        }
        text.push_str("  compute:\n    inf: 1\n");
    }
    text
}

fn write_models(root: &Path) {
    let export = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/savedmodels/tf23-one-signature/saved_model.pb"),
    )
    .expect("fixture");
    for i in 0..MODELS {
        let version = root.join(format!("bench-{}/models/{}/1", i / 10, i % 10));
        std::fs::create_dir_all(&version).expect("model dir");
        std::fs::write(version.join("saved_model.pb"), &export).expect("model file");
    }
}

fn start_server(binary: &str, root: &Path) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut child = Command::new(binary)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--access-key",
            ACCESS_KEY,
            "--secret-key",
            SECRET_KEY,
        ])
        .arg(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("s3s-fs starts");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, format!("http://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("s3s-fs did not start");
}
