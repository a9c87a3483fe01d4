//! `inspect`: a model's versions and, per version, its signatures with
//! inputs and outputs (dtypes, shapes), like `saved_model_cli show`, without
//! TensorFlow. Works on `s3://` paths (through the store options) and on a
//! local directory.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::diag::{Diagnostic, codes};
use crate::models::signatures::{self, Signature};
use crate::models::structure::{self, Accelerator};
use crate::models::{MAX_SAVED_MODEL_BYTES, saved_model, store_error_code};
use crate::store::dir::DirStore;
use crate::store::{ModelStore, S3Path, StoreError};

/// What `inspect` found.
#[derive(Debug, Serialize)]
pub struct Inspection {
    pub model: String,
    pub versioned: bool,
    pub versions: Vec<VersionReport>,
}

#[derive(Debug, Serialize)]
pub struct VersionReport {
    /// `None` for a non-versioned model.
    pub version: Option<i64>,
    pub signatures: Vec<Signature>,
    /// The signature Cortex serves when no signature_key is set...
    pub cortex_default: Option<String>,
    /// ...or why it would fail to choose one.
    pub cortex_default_problem: Option<String>,
}

/// Where a model is: a local directory, or a store path.
pub enum Target {
    Local(std::path::PathBuf),
    Store(S3Path),
}

pub fn target(text: &str) -> Result<Target, String> {
    if text.starts_with("s3://") {
        return S3Path::parse(text)
            .map(Target::Store)
            .ok_or_else(|| format!("`{text}` is not a valid s3:// path"));
    }
    let path = Path::new(text);
    if path.is_dir() {
        Ok(Target::Local(path.to_path_buf()))
    } else {
        Err(format!("`{text}` is not a directory or an s3:// path"))
    }
}

/// A local directory seen as a one-bucket store.
pub fn local_store(dir: &Path) -> Result<(DirStore, S3Path), Box<Diagnostic>> {
    let fail = |why: String| Box::new(Diagnostic::error(codes::STORE_FAILED, why));
    let canonical = dir
        .canonicalize()
        .map_err(|e| fail(format!("cannot open `{}`: {e}", dir.display())))?;
    let (Some(parent), Some(name)) = (canonical.parent(), canonical.file_name()) else {
        return Err(fail(format!(
            "`{}` cannot be inspected as a model directory",
            dir.display()
        )));
    };
    let store = DirStore::new(parent).map_err(|e| fail(e.to_string()))?;
    Ok((
        store,
        S3Path {
            bucket: name.to_string_lossy().into_owned(),
            prefix: String::new(),
        },
    ))
}

/// Lists the model, reads every version's saved_model.pb, reports signatures.
pub async fn inspect<S: ModelStore>(
    store: Arc<S>,
    path: &S3Path,
    shown: &str,
) -> Result<Inspection, Box<Diagnostic>> {
    let keys = store
        .list(path)
        .await
        .map_err(|e| store_failure(&e, shown))?;
    // signatures only need saved_model.pb: use the lenient (Inferentia) rules
    let layout = structure::analyze(&keys, Accelerator::Inf).map_err(|problems| {
        Box::new(Diagnostic::error(codes::SAVEDMODEL_FILES_MISSING, format!("{shown} is not a SavedModel directory: {problems:?}"))
            .help("point inspect at the folder holding saved_model.pb, or at the folder of its integer versions"))
    })?;
    let versioned = !layout.versions.is_empty();
    let versions: Vec<Option<i64>> = if versioned {
        layout.versions.iter().copied().map(Some).collect()
    } else {
        vec![None]
    };
    let mut reports = Vec::new();
    for version in versions {
        let key = format!(
            "{}{}saved_model.pb",
            path.prefix,
            version.map_or(String::new(), |v| format!("{v}/"))
        );
        let bytes = store
            .get(&path.bucket, &key, MAX_SAVED_MODEL_BYTES)
            .await
            .map_err(|e| store_failure(&e, shown))?;
        let model = saved_model::decode(&bytes).map_err(|why| {
            Box::new(
                Diagnostic::error(
                    codes::SAVED_MODEL_CORRUPT,
                    format!("{shown}: {key} is not a valid SavedModel ({why})"),
                )
                .help("re-export the model with tf.saved_model.save"),
            )
        })?;
        let graph = model.serving_graph().ok_or_else(|| {
            Box::new(
                Diagnostic::error(
                    codes::NO_SERVE_GRAPH,
                    format!("{shown}: {key} has no MetaGraph tagged `serve`"),
                )
                .help("export with tf.saved_model.save, which tags the serving graph `serve`"),
            )
        })?;
        let (cortex_default, cortex_default_problem) = match signatures::choose(&model, None) {
            Ok(s) => (Some(s.key), None),
            Err(p) => (None, Some(default_problem(&p))),
        };
        reports.push(VersionReport {
            version,
            signatures: signatures::signatures(graph),
            cortex_default,
            cortex_default_problem,
        });
    }
    Ok(Inspection {
        model: shown.to_owned(),
        versioned,
        versions: reports,
    })
}

fn default_problem(problem: &signatures::Problem) -> String {
    use signatures::Problem;
    match problem {
        Problem::NoServeGraph { .. } => "no MetaGraph tagged serve".to_owned(),
        Problem::NoSignatures => "no signatures: Cortex cannot serve this model".to_owned(),
        Problem::Ambiguous { keys } => format!(
            "several signatures ({}) and none named predict: set signature_key",
            keys.join(", ")
        ),
        Problem::KeyNotFound { key, .. } => format!("no signature {key}"),
        Problem::NoInputs { key } => format!("signature {key} takes no inputs"),
    }
}

fn store_failure(error: &StoreError, shown: &str) -> Box<Diagnostic> {
    let code = store_error_code(error);
    Box::new(
        Diagnostic::error(code, format!("could not read {shown}: {error}"))
            .help("check the path, the credentials (AWS chain) and --store / --s3-endpoint"),
    )
}

/// The human form, laid out like `saved_model_cli show --all`.
pub fn human(inspection: &Inspection) -> String {
    let mut out = String::new();
    let versions: Vec<String> = inspection
        .versions
        .iter()
        .filter_map(|v| v.version)
        .map(|v| v.to_string())
        .collect();
    if inspection.versioned {
        out.push_str(&format!(
            "{}  (versions: {})\n",
            inspection.model,
            versions.join(", ")
        ));
    } else {
        out.push_str(&format!(
            "{}  (not versioned: served as version 1)\n",
            inspection.model
        ));
    }
    for report in &inspection.versions {
        out.push('\n');
        if let Some(v) = report.version {
            out.push_str(&format!("version {v}\n"));
        }
        for signature in &report.signatures {
            out.push_str(&format!("  signature_def['{}']:\n", signature.key));
            for (kind, tensors) in [
                ("inputs", &signature.inputs),
                ("outputs", &signature.outputs),
            ] {
                out.push_str(&format!(
                    "    The given SavedModel SignatureDef contains the following {kind}:\n"
                ));
                for (name, t) in tensors {
                    out.push_str(&format!("      {kind}['{name}'] tensor_info:\n          dtype: {}\n          shape: {}\n          name: {}\n", t.dtype, t.shape_text(), t.name));
                }
            }
            out.push_str(&format!("    Method name is: {}\n", signature.method_name));
        }
        if let Some(key) = &report.cortex_default {
            out.push_str(&format!(
                "  Cortex serves `{key}` when no signature_key is set\n"
            ));
        }
        if let Some(why) = &report.cortex_default_problem {
            out.push_str(&format!("  without a signature_key Cortex fails: {why}\n"));
        }
    }
    out
}
