//! Contract tests: what each of Cortex 0.34's consumers reads from a
//! bundle, written from its source (tag v0.34.0, cited per check), run on
//! every golden bundle (tests/golden.rs keeps those equal to fresh builds:
//! CPU, GPU, Inferentia, path/paths/dir, node groups, custom images).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn bundles() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("golden/")
        .flatten()
        .map(|e| e.path().join("expected/bundle"))
        .filter(|p| p.join("bundle.json").is_file())
        .collect();
    found.sort();
    assert!(found.len() >= 10, "golden bundles: {found:?}");
    found
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// Each object of a k8s.yaml (documents start with `---`).
fn objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("k8s.yaml");
    text.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|doc| {
            cortex_tfc::yaml::parse(doc, cortex_tfc::yaml::Limits::default())
                .root
                .expect("a YAML document")
                .to_json()
        })
        .collect()
}

struct Api {
    name: String,
    bundle: PathBuf,
    entry: Value,
    objects: Vec<Value>,
}

impl Api {
    fn object(&self, kind: &str, name: &str) -> &Value {
        self.objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{}: no {kind} {name}", self.name))
    }

    fn worker_pod(&self) -> &Value {
        &self.object("Deployment", &format!("api-{}", self.name))["spec"]["template"]["spec"]
    }

    fn container(&self, name: &str) -> &Value {
        self.worker_pod()["containers"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == name))
            .unwrap_or_else(|| panic!("{}: no container {name}", self.name))
    }

    fn gateway_args(&self) -> Vec<String> {
        let gateway = self.object("Deployment", &format!("gateway-{}", self.name));
        strings(&gateway["spec"]["template"]["spec"]["containers"][0]["args"])
    }

    /// The file in the bundle holding `s3://bucket/key`.
    fn s3_file(&self, url: &str) -> PathBuf {
        let rest = url.strip_prefix("s3://").expect("an s3:// URL");
        let (bucket, key) = rest.split_once('/').expect("bucket/key");
        let objects = self.entry["s3_objects"].as_array().expect("s3_objects");
        let object = objects
            .iter()
            .find(|o| o["bucket"] == bucket && o["key"] == key)
            .unwrap_or_else(|| panic!("{}: {url} is not uploaded by publish", self.name));
        self.bundle.join(object["file"].as_str().expect("file"))
    }
}

fn apis() -> Vec<Api> {
    let mut apis = Vec::new();
    for bundle in bundles() {
        let manifest = json_file(&bundle.join("bundle.json"));
        for entry in manifest["apis"].as_array().expect("apis") {
            let name = entry["name"].as_str().expect("name").to_owned();
            apis.push(Api {
                objects: objects(&bundle.join(format!("apis/{name}/k8s.yaml"))),
                name,
                bundle: bundle.clone(),
                entry: entry.clone(),
            });
        }
    }
    apis
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn env(container: &Value, name: &str) -> Option<Value> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .cloned()
}

fn env_value(container: &Value, name: &str) -> String {
    env(container, name)
        .and_then(|e| e["value"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no env {name}"))
}

fn has_env_vars_configmap(container: &Value) -> bool {
    container["envFrom"]
        .as_array()
        .is_some_and(|a| a.iter().any(|e| e["configMapRef"]["name"] == "env-vars"))
}

/// Python's `base64.urlsafe_b64decode`: the URL-safe alphabet, padding required.
fn urlsafe_b64decode(text: &str) -> Vec<u8> {
    assert_eq!(text.len() % 4, 0, "padded base64");
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {}", char::from(c)),
        }
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let n = chunk
            .iter()
            .map(|&c| if c == b'=' { 0 } else { value(c) })
            .fold(0u32, |acc, v| (acc << 6) | v);
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

/// The downloader's configuration, decoded as `download.py:29` decodes it.
fn download_config(api: &Api) -> Value {
    let init = &api.worker_pod()["initContainers"][0];
    assert_eq!(init["name"], "downloader");
    let args = strings(&init["args"]);
    assert_eq!(args.len(), 1, "{}: one --download argument", api.name);
    let encoded = args[0].strip_prefix("--download=").expect("--download=");
    serde_json::from_slice(&urlsafe_b64decode(encoded)).expect("JSON inside base64url")
}

/// `pkg/cortex/downloader/download.py:24-47`: CORTEX_LOG_LEVEL must be set
/// (the log config expands it at import); `--download` is base64url JSON;
/// `to_file` writes the spec as a file; `unzip` unpacks the project. The
/// kubelet cannot expand `$(VAR)` inside base64, so the S3 paths are
/// written in, and each is an object `publish` uploads.
#[test]
fn the_downloader_gets_what_download_py_reads() {
    for api in apis() {
        let init = &api.worker_pod()["initContainers"][0];
        assert!(!env_value(init, "CORTEX_LOG_LEVEL").is_empty());
        assert!(has_env_vars_configmap(init), "{}", api.name);
        let config = download_config(&api);
        let args = config["download_args"].as_array().expect("download_args");
        assert_eq!(
            args.len(),
            2,
            "{}: project and spec only, no models",
            api.name
        );
        let project = &args[0];
        assert_eq!(
            (&project["to"], &project["unzip"], &project["to_file"]),
            (
                &Value::from("/mnt/project"),
                &Value::from(true),
                &Value::from(false)
            )
        );
        let zip = std::fs::read(api.s3_file(project["from"].as_str().expect("from"))).expect("zip");
        assert_eq!(&zip[..2], b"PK", "{}: the project is a zip", api.name);
        let spec = &args[1];
        assert_eq!(
            (&spec["to"], &spec["to_file"], &spec["unzip"]),
            (
                &Value::from("/mnt/spec/spec.json"),
                &Value::from(true),
                &Value::from(false)
            )
        );
        json_file(&api.s3_file(spec["from"].as_str().expect("from")));
        assert!(!config.to_string().contains("$("), "{}", api.name);
    }
}

/// Keys the worker indexes directly in the spec (a missing one is a
/// KeyError at start): `init/script.py:81-101,170`, `lib/type/type.py:57-59`,
/// `lib/client/tensorflow.py:71-79,396,412-414`, `lib/model/cron.py:149-153,683-693,1144`,
/// `lib/model/type.py:118-156`, `lib/api/async_api.py:83-84`,
/// `lib/api/utils.py:151-154`, `lib/api/validations.py:127-144`,
/// `init/export_env_vars.py` (python_path, log_level, dependencies).
#[test]
fn the_spec_has_every_key_the_worker_reads() {
    let paths: &[&[&str]] = &[
        &["name"],
        &["kind"],
        &["id"],
        &["handler_id"],
        &["deployment_id"],
        &["compute", "inf"],
        &["handler", "type"],
        &["handler", "path"],
        &["handler", "protobuf_path"],
        &["handler", "processes_per_replica"],
        &["handler", "threads_per_process"],
        &["handler", "server_side_batching"],
        &["handler", "multi_model_reloading"],
        &["handler", "python_path"],
        &["handler", "log_level"],
        &["handler", "config"],
        &["handler", "dependencies", "pip"],
        &["handler", "dependencies", "conda"],
        &["handler", "dependencies", "shell"],
        &["handler", "models", "path"],
        &["handler", "models", "paths"],
        &["handler", "models", "dir"],
        &["handler", "models", "cache_size"],
        &["handler", "models", "disk_cache_size"],
        &["handler", "models", "signature_key"],
    ];
    for api in apis() {
        let spec_from = &download_config(&api)["download_args"][1]["from"];
        let spec = json_file(&api.s3_file(spec_from.as_str().expect("from")));
        for path in paths {
            let mut here = &spec;
            for key in *path {
                assert!(
                    here.get(*key).is_some(),
                    "{}: spec lacks {}",
                    api.name,
                    path.join(".")
                );
                here = &here[*key];
            }
        }
        assert_eq!(spec["kind"], "AsyncAPI");
        assert_eq!(spec["handler"]["models"]["cache_size"], Value::Null);
        // types/spec/api.go:35-47: every key spec.API serialises
        let top: BTreeSet<&str> = spec
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let want: BTreeSet<&str> = [
            "name",
            "kind",
            "apis",
            "handler",
            "definition",
            "networking",
            "compute",
            "autoscaling",
            "update_strategy",
            "index",
            "file_name",
            "submitted_api_spec",
            "id",
            "spec_id",
            "handler_id",
            "deployment_id",
            "key",
            "handler_key",
            "last_updated",
            "metadata_root",
            "project_id",
            "project_key",
        ]
        .into_iter()
        .collect();
        assert_eq!(top, want, "{}", api.name);
    }
}

/// `init/bootloader.sh:22-25` exits unless CORTEX_VERSION (from the
/// `env-vars` ConfigMap, `manager/install.sh:208-216`) matches;
/// `start/async_api.py:120` needs AWS_DEFAULT_REGION from the same place;
/// `export_env_vars.py:124` reads HOST_IP; the worker reads the spec at
/// CORTEX_API_SPEC, polls CORTEX_QUEUE_URL and reads payloads under
/// CORTEX_ASYNC_WORKLOAD_PATH, where the gateway writes them
/// (`async-gateway/service.go:153-155`: `<cluster>/apis/<api>/workloads`
/// in `-bucket`).
#[test]
fn the_worker_environment_is_the_operators() {
    for api in apis() {
        let worker = api.container("api");
        assert!(has_env_vars_configmap(worker), "{}", api.name);
        assert_eq!(
            env(worker, "HOST_IP").expect("HOST_IP")["valueFrom"]["fieldRef"]["fieldPath"],
            "status.hostIP"
        );
        assert_eq!(
            env_value(worker, "CORTEX_API_SPEC"),
            download_config(&api)["download_args"][1]["to"]
        );
        let args = api.gateway_args();
        let flag = |name: &str| {
            let i = args.iter().position(|a| a == name).expect("flag");
            args[i + 1].clone()
        };
        assert_eq!(env_value(worker, "CORTEX_QUEUE_URL"), flag("-queue"));
        let queue = json_file(&api.bundle.join(api.entry["queue"].as_str().expect("queue")));
        assert_eq!(queue["url"], Value::from(flag("-queue")));
        assert_eq!(
            env_value(worker, "CORTEX_ASYNC_WORKLOAD_PATH"),
            format!(
                "s3://{}/{}/apis/{}/workloads",
                flag("-bucket"),
                flag("-cluster"),
                api.name
            )
        );
        assert_eq!(env_value(worker, "CORTEX_TF_SERVING_HOST"), "localhost");
        assert_eq!(env_value(worker, "CORTEX_TF_BASE_SERVING_PORT"), "9000");
    }
}

/// `async-gateway/main.go:80-102`: Go `flag` parsing of -port, -queue,
/// -region, -bucket, -cluster (the last four required), then the API name
/// as the first positional argument. An unknown flag exits 2.
#[test]
fn the_gateway_gets_only_the_flags_it_defines() {
    let known = ["-port", "-queue", "-region", "-bucket", "-cluster"];
    for api in apis() {
        let args = api.gateway_args();
        let mut seen = BTreeSet::new();
        let mut i = 0;
        while i < args.len() && args[i].starts_with('-') {
            assert!(
                known.contains(&args[i].as_str()),
                "{}: {}",
                api.name,
                args[i]
            );
            let value = args.get(i + 1).expect("a value");
            assert!(!value.is_empty(), "{}: {} is empty", api.name, args[i]);
            seen.insert(args[i].clone());
            i += 2;
        }
        for required in &known[1..] {
            assert!(seen.contains(*required), "{}: {required} missing", api.name);
        }
        assert_eq!(
            args[i..],
            *std::slice::from_ref(&api.name),
            "{}: the API name last",
            api.name
        );
    }
}

/// `images/tensorflow-serving-{cpu,gpu,inf}/run.sh:17-21`: under `set -e`
/// it runs `mkdir /etc/tfs` and writes the empty config there, so nothing
/// may be mounted at or under /etc/tfs; the worker then loads the models
/// over gRPC (`lib/model/tfs.py`). The CPU/GPU args point TF Serving at
/// that file (`operator/k8s.go:807-815`).
#[test]
fn tf_serving_finds_etc_tfs_free() {
    for api in apis() {
        let serve = api.container("serve");
        for mount in serve["volumeMounts"].as_array().expect("mounts") {
            let path = mount["mountPath"].as_str().expect("path");
            assert!(!path.starts_with("/etc/tfs"), "{}: {path}", api.name);
        }
        assert_eq!(
            env_value(serve, "TF_EMPTY_MODEL_CONFIG"),
            "/etc/tfs/model_config_server.conf"
        );
        let args = strings(&serve["args"]);
        let inferentia = api.entry["accelerator"] == "inf";
        assert_eq!(
            args.contains(&"--model_config_file=/etc/tfs/model_config_server.conf".to_owned()),
            !inferentia,
            "{}",
            api.name
        );
        assert!(has_env_vars_configmap(serve));
    }
}

/// `operator/k8s.go:478,517,568,580`: `api` and `serve` share one mount
/// list; on Inferentia the worker waits for `/sock/neuron.sock`
/// (`init/script.py:106-108`, `lib/checkers/pod.py:28-30`).
#[test]
fn api_and_serve_share_their_mounts_and_the_neuron_socket() {
    for api in apis() {
        let (worker, serve) = (api.container("api"), api.container("serve"));
        assert_eq!(
            worker["volumeMounts"], serve["volumeMounts"],
            "{}",
            api.name
        );
        let mounts: Vec<String> = worker["volumeMounts"]
            .as_array()
            .expect("mounts")
            .iter()
            .filter_map(|m| m["mountPath"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(
            mounts.contains(&"/sock".to_owned()),
            api.entry["accelerator"] == "inf",
            "{}",
            api.name
        );
    }
}

/// `lib/k8s/virtual_service.go:106-146` with `Rewrite: "/"`
/// (`asyncapi/k8s_specs.go:142`): the gateway serves only `/`, `/{id}` and
/// `/healthz` (`async-gateway/main.go:121-129`); `lib/k8s/k8s.go:110`: the
/// HPA is `autoscaling/v2beta2`.
#[test]
fn routes_reach_the_gateway_and_the_hpa_is_served_by_1_18() {
    for api in apis() {
        let route = api.object("VirtualService", &format!("api-{}", api.name));
        let http = route["spec"]["http"].as_array().expect("http");
        assert_eq!(http.len(), 2, "{}", api.name);
        for (i, kind) in ["exact", "prefix"].iter().enumerate() {
            assert!(http[i]["match"][0]["uri"][kind].is_string(), "{}", api.name);
            assert_eq!(http[i]["rewrite"]["uri"], "/", "{}", api.name);
            assert_eq!(
                http[i]["route"][0]["destination"]["host"],
                Value::from(format!("api-{}", api.name))
            );
        }
        api.object("Service", &format!("api-{}", api.name));
        let hpa = api.object("HorizontalPodAutoscaler", &format!("gateway-{}", api.name));
        assert_eq!(hpa["apiVersion"], "autoscaling/v2beta2");
    }
}
