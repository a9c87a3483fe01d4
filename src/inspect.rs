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
use crate::models::{
    MAX_SAVED_MODEL_BYTES, describe_signature_problem, saved_model, store_error_code,
};
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
    /// Every key TF Serving 2.3 returns (`__saved_model_init_op` included).
    pub signatures: Vec<Signature>,
    /// The signature Cortex serves when no signature_key is set...
    pub cortex_default: Option<String>,
    /// ...or why it would refuse the model.
    pub cortex_default_problem: Option<String>,
    /// Op types of the serving graph TensorFlow 2.3 (Cortex 0.34's default
    /// TF Serving) does not have.
    pub ops_missing_in_tf_2_3: Vec<String>,
    /// A warning, as `check` gives it, when the version was not read
    /// (saved_model.pb over the size limit).
    pub warning: Option<String>,
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
        let why: Vec<String> = problems.iter().map(structure_text).collect();
        Box::new(Diagnostic::error(codes::SAVEDMODEL_FILES_MISSING, format!("{shown} is not a SavedModel directory: {}", why.join("; ")))
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
        let bytes = match store.get(&path.bucket, &key, MAX_SAVED_MODEL_BYTES).await {
            Ok(bytes) => bytes,
            Err(StoreError::TooLarge { limit }) => {
                reports.push(too_large(version, limit));
                continue;
            }
            Err(e) => return Err(store_failure(&e, shown)),
        };
        reports.push(report(version, &bytes, &key, shown)?);
    }
    Ok(Inspection {
        model: shown.to_owned(),
        versioned,
        versions: reports,
    })
}

/// What Cortex and TF Serving 2.3 make of one version's saved_model.pb.
fn report(
    version: Option<i64>,
    bytes: &[u8],
    key: &str,
    shown: &str,
) -> Result<VersionReport, Box<Diagnostic>> {
    let model = saved_model::decode(bytes).map_err(|why| {
        Box::new(
            Diagnostic::error(
                codes::SAVED_MODEL_CORRUPT,
                format!("{shown}: {key} is not a valid SavedModel ({why})"),
            )
            .help("re-export the model with tf.saved_model.save"),
        )
    })?;
    let Some(graph) = model.serving_graph() else {
        let (code, message, help) = describe_signature_problem(
            &format!("{shown}: {key}"),
            &signatures::Problem::NoServeGraph {
                tags: model.tag_sets(),
            },
        );
        return Err(Box::new(Diagnostic::error(code, message).help(help)));
    };
    let (cortex_default, cortex_default_problem) = match signatures::choose(&model, None) {
        Ok(s) => (Some(s.key), None),
        Err(p) => (None, Some(describe_signature_problem("the model", &p).1)),
    };
    Ok(VersionReport {
        version,
        signatures: signatures::signatures(graph),
        cortex_default,
        cortex_default_problem,
        ops_missing_in_tf_2_3: saved_model::ops_missing_in_tf_2_3(&graph.op_types())
            .into_iter()
            .map(str::to_owned)
            .collect(),
        warning: None,
    })
}

fn too_large(version: Option<i64>, limit: u64) -> VersionReport {
    VersionReport {
        version,
        signatures: Vec::new(),
        cortex_default: None,
        cortex_default_problem: None,
        ops_missing_in_tf_2_3: Vec::new(),
        warning: Some(format!(
            "{}: saved_model.pb is larger than {} MiB; its signatures were not checked",
            codes::SAVED_MODEL_TOO_LARGE,
            limit / 1024 / 1024
        )),
    }
}

/// A structure problem in words (inspect only needs saved_model.pb).
fn structure_text(problem: &structure::Problem) -> String {
    use structure::Problem;
    match problem {
        Problem::Empty => "nothing there".to_owned(),
        Problem::Mixed { versions, others } => format!(
            "version folders ({}) mixed with other entries ({})",
            versions.join(", "),
            others.join(", ")
        ),
        Problem::VersionOutOfRange { name } => {
            format!("version folder `{name}` does not fit in a 64-bit integer")
        }
        Problem::VersionIsFile { name } => format!("`{name}` is an object, not a folder"),
        Problem::VersionNotCanonical { name } => {
            format!("version folder `{name}` is not a plain non-negative integer")
        }
        Problem::ObjectIsAlsoPrefix { name } => {
            format!("`{name}` is both an object and a folder")
        }
        Problem::MissingFiles { version, missing }
        | Problem::MissingShards {
            version, missing, ..
        } => format!(
            "{}missing {}",
            version.map_or(String::new(), |v| format!("version {v}: ")),
            missing.join(", ")
        ),
        Problem::InferentiaExport { .. } => "no variables/".to_owned(),
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
        if let Some(warning) = &report.warning {
            out.push_str(&format!("  warning {warning}\n"));
        }
        if let Some(key) = &report.cortex_default {
            out.push_str(&format!(
                "  Cortex 0.34 serves `{key}` when no signature_key is set\n"
            ));
        }
        if let Some(why) = &report.cortex_default_problem {
            out.push_str(&format!("  without a signature_key: {why}\n"));
        }
        if !report.ops_missing_in_tf_2_3.is_empty() {
            out.push_str(&format!(
                "  ops TensorFlow 2.3 does not have (TF Serving 2.3.0, Cortex 0.34's default CPU/GPU image, cannot load this version): {}\n",
                report.ops_missing_in_tf_2_3.join(", ")
            ));
        }
    }
    out
}
