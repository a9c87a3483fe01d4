//! The emit stage: the bundle, from the plans and the deploy target only.
//!
//! ```text
//! <out>/
//!   bundle.json                 compiler + Cortex version, source sha256, per API:
//!                               IDs, queue, S3 objects, files + sha256
//!   apis/<api>/k8s.yaml         what the operator applies: worker + gateway
//!                               Deployments, Service, HPA, VirtualService
//!   apis/<api>/queue.json       the SQS queue the operator creates
//!   apis/<api>/models.config    record of the TF Serving config the worker
//!                               loads over gRPC (mounted nowhere)
//!   apis/<api>/s3/<bucket>/<key>  each S3 object the operator uploads:
//!                               the spec (at its api and handler keys) and
//!                               the project zip
//! ```
//!
//! Identical input gives identical bytes: no timestamps, sorted maps, and
//! the IDs derived from the content ([`ids`]). [`write`] puts the bundle in
//! place atomically: a failed or killed build leaves an existing bundle as
//! it was.

pub mod gateway;
pub mod go;
pub mod hpa;
pub mod ids;
pub mod k8s;
pub mod project;
pub mod queue;
pub mod service;
pub mod spec;
pub mod target;
pub mod tfs;
pub mod virtual_service;
pub mod worker;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::models::Accelerator;
use crate::models::signatures::Signature;
use crate::plan::ApiPlan;
use crate::rules::handler::CORTEX_VERSION;

pub use project::ProjectFile;
pub use spec::Origin;
pub use target::DeployTarget;

/// The files of a bundle, by path relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub files: BTreeMap<String, Vec<u8>>,
}

#[derive(Serialize)]
struct BundleManifest<'a> {
    compiler: Compiler,
    cortex_version: &'static str,
    kubernetes_version: &'static str,
    source: SourceInfo<'a>,
    cluster: ClusterInfo<'a>,
    apis: Vec<ApiEntry<'a>>,
}

#[derive(Serialize)]
struct Compiler {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SourceInfo<'a> {
    file: &'a str,
    sha256: String,
}

#[derive(Serialize)]
struct ClusterInfo<'a> {
    name: &'a str,
    region: &'a str,
    bucket: &'a str,
    namespace: &'a str,
}

#[derive(Serialize)]
struct ApiEntry<'a> {
    name: &'a str,
    accelerator: Accelerator,
    endpoint: &'a str,
    ids: IdsEntry,
    /// `queue.json`, relative to the bundle root.
    queue: String,
    s3_objects: Vec<S3Object>,
    models: Vec<ModelEntry<'a>>,
    files: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct IdsEntry {
    api_id: String,
    spec_id: String,
    handler_id: String,
    deployment_id: String,
    project_id: String,
}

/// One object `publish` uploads: `file` (relative to the bundle root) to
/// `s3://<bucket>/<key>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    pub file: String,
}

#[derive(Serialize)]
struct ModelEntry<'a> {
    name: &'a str,
    path: &'a str,
    /// Versions on the worker's disk (a non-versioned model is version 1).
    versions: Vec<i64>,
    signature: Option<&'a Signature>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The inputs of [`render`] besides the plans.
pub struct Inputs<'a> {
    pub target: &'a DeployTarget,
    /// One per plan, in the same order.
    pub origins: &'a [Origin<'a>],
    /// The files `cortex deploy` zips.
    pub project: &'a [ProjectFile],
    pub source_name: &'a str,
    pub source_text: &'a str,
}

/// Renders every file of the bundle.
pub fn render(plans: &[ApiPlan], inputs: &Inputs<'_>) -> Result<Bundle, String> {
    if plans.len() != inputs.origins.len() {
        return Err("one origin per API is needed".into());
    }
    let target = inputs.target;
    let renderer = tfs::Renderer::new()?;
    let project_zip = project::zip(inputs.project)?;
    let project_id = ids::hash_bytes(&project_zip);
    let mut files = BTreeMap::new();
    let mut apis = Vec::new();
    for (plan, origin) in plans.iter().zip(inputs.origins) {
        let name = plan.name();
        let dir = format!("apis/{name}");
        let spec = spec::render(plan, target, origin, &project_id)?;
        let ctx = k8s::Ctx {
            plan,
            target,
            ids: &spec.ids,
        };
        let queue = queue::queue(&ctx);
        let mut queue_json = serde_json::to_vec_pretty(&queue).map_err(|e| e.to_string())?;
        queue_json.push(b'\n');
        let s3_objects: Vec<(String, Vec<u8>)> = vec![
            (ids::spec_key(target, name, &spec.ids), spec.json.clone()),
            (ids::handler_key(target, name, &spec.ids), spec.json),
            (ids::project_key(target, &project_id), project_zip.clone()),
        ];
        let mut api_files = vec![
            (
                format!("{dir}/k8s.yaml"),
                k8s::manifests(&ctx)?.into_bytes(),
            ),
            (format!("{dir}/queue.json"), queue_json),
            (
                format!("{dir}/models.config"),
                renderer.models_config(plan)?.into_bytes(),
            ),
        ];
        let mut objects = Vec::new();
        for (key, bytes) in s3_objects {
            let file = format!("{dir}/s3/{}/{key}", target.bucket);
            objects.push(S3Object {
                bucket: target.bucket.clone(),
                key,
                file: file.clone(),
            });
            api_files.push((file, bytes));
        }
        let hashes = api_files
            .iter()
            .map(|(path, bytes)| (path.clone(), sha256_hex(bytes)))
            .collect();
        files.extend(api_files);
        apis.push(ApiEntry {
            name,
            accelerator: plan.accelerator,
            endpoint: &plan.spec.networking.endpoint,
            ids: IdsEntry {
                api_id: spec.ids.api_id.clone(),
                spec_id: spec.ids.spec_id.clone(),
                handler_id: spec.ids.handler_id.clone(),
                deployment_id: spec.ids.deployment_id.clone(),
                project_id: spec.ids.project_id.clone(),
            },
            queue: format!("{dir}/queue.json"),
            s3_objects: objects,
            models: plan
                .spec
                .curated_model_resources
                .iter()
                .map(|m| ModelEntry {
                    name: &m.name,
                    path: &m.path,
                    versions: m.disk_versions(),
                    signature: m.signature.as_ref(),
                })
                .collect(),
            files: hashes,
        });
    }
    let manifest = BundleManifest {
        compiler: Compiler {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        cortex_version: CORTEX_VERSION,
        kubernetes_version: k8s::KUBERNETES_VERSION,
        source: SourceInfo {
            file: inputs.source_name,
            sha256: sha256_hex(inputs.source_text.as_bytes()),
        },
        cluster: ClusterInfo {
            name: &target.cluster_name,
            region: &target.region,
            bucket: &target.bucket,
            namespace: &target.namespace,
        },
        apis,
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    manifest_bytes.push(b'\n');
    files.insert("bundle.json".to_owned(), manifest_bytes);
    Ok(Bundle { files })
}

/// Why a bundle was not written.
#[derive(Debug)]
pub enum WriteError {
    /// `out` exists and is not a bundle: it is never replaced.
    NotABundle(PathBuf),
    Io(String),
}

/// Writes the bundle to a temporary sibling of `out`, then swaps it into
/// place. Until the swap, `out` is untouched; after it, `out` is whole.
pub fn write(bundle: &Bundle, out: &Path) -> Result<(), WriteError> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        WriteError::Io(format!("cannot {what} `{}`: {e}", path.display()))
    };
    if out.exists() && !is_replaceable(out) {
        return Err(WriteError::NotABundle(out.to_path_buf()));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| io("create", &parent, e))?;
    let name = out.file_name().map_or_else(
        || "cortex-bundle".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    for (rel, bytes) in &bundle.files {
        let path = temp.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        }
        let mut file = std::fs::File::create(&path).map_err(|e| io("create", &path, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", &path, e))?;
    }
    let swapped = swap_into_place(&temp, out).map_err(|e| io("move the bundle to", out, e));
    let _ = std::fs::remove_dir_all(&temp);
    swapped
}

/// An existing `out` may be replaced only when it is a bundle (or empty):
/// `-o src` must never delete a source tree.
fn is_replaceable(out: &Path) -> bool {
    out.is_dir()
        && (out.join("bundle.json").is_file()
            || std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_none()))
}

/// Moves `temp` to `out`. On Linux an existing `out` is exchanged with
/// `temp` in one atomic step (the old bundle ends up in `temp`, which the
/// caller removes); elsewhere the old bundle is renamed aside first.
fn swap_into_place(temp: &Path, out: &Path) -> std::io::Result<()> {
    if !out.exists() {
        return std::fs::rename(temp, out);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        renameat_with(CWD, temp, CWD, out, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let old = temp.with_extension("old");
        std::fs::rename(out, &old)?;
        std::fs::rename(temp, out)?;
        std::fs::rename(&old, temp)
    }
}
