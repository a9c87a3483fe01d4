//! The emit stage: the bundle, from the plans only.
//!
//! ```text
//! <out>/
//!   bundle.json               compiler + Cortex version, source sha256, per API files + sha256
//!   apis/<api>/spec.json      runtime spec for the worker (CORTEX_API_SPEC)
//!   apis/<api>/models.config  TF Serving ModelServerConfig (protobuf text)
//!   apis/<api>/k8s.yaml       worker + gateway Deployments, Service, HPA, VirtualService
//! ```
//!
//! Identical input gives identical bytes: no timestamps, sorted maps, and
//! the only IDs are content hashes. [`write`] puts the bundle in place
//! atomically: a failed or killed build leaves an existing bundle as it was.

pub mod k8s;
pub mod tfs;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::models::Accelerator;
use crate::models::signatures::Signature;
use crate::plan::ApiPlan;
use crate::rules::handler::CORTEX_VERSION;

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
struct ApiEntry<'a> {
    name: &'a str,
    accelerator: Accelerator,
    endpoint: &'a str,
    models: Vec<ModelEntry<'a>>,
    files: BTreeMap<String, String>,
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

/// Renders every file of the bundle.
pub fn render(plans: &[ApiPlan], source_name: &str, source_text: &str) -> Result<Bundle, String> {
    let renderer = tfs::Renderer::new()?;
    let mut files = BTreeMap::new();
    let mut apis = Vec::new();
    for plan in plans {
        let dir = format!("apis/{}", plan.name());
        let mut spec = serde_json::to_vec_pretty(&plan.spec).map_err(|e| e.to_string())?;
        spec.push(b'\n');
        // the deployment ID is a hash of what the worker runs
        let deployment_id: String = sha256_hex(&spec).chars().take(12).collect();
        let api_files = [
            (format!("{dir}/spec.json"), spec),
            (
                format!("{dir}/models.config"),
                renderer.models_config(plan)?.into_bytes(),
            ),
            (
                format!("{dir}/k8s.yaml"),
                k8s::manifests(plan, &deployment_id)?.into_bytes(),
            ),
        ];
        let hashes = api_files
            .iter()
            .map(|(path, bytes)| (path.clone(), sha256_hex(bytes)))
            .collect();
        files.extend(api_files);
        apis.push(ApiEntry {
            name: plan.name(),
            accelerator: plan.accelerator,
            endpoint: &plan.spec.networking.endpoint,
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
            file: source_name,
            sha256: sha256_hex(source_text.as_bytes()),
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
