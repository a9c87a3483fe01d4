//! The models stage: list every model prefix once (concurrently, bounded),
//! apply the structure rules, and report each problem at the model path in
//! cortex.yaml with the expected layout next to the layout found.
//!
//! Store failures are kept apart from structure problems: they are "could
//! not check" diagnostics (`TFC39xx`, exit code 3), and a prefix whose
//! listing failed is never reported valid.

pub mod sources;
pub mod structure;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::diag::{Code, Diagnostic, codes};
use crate::source::Span;
use crate::store::{ModelStore, S3Path, StoreError};
pub use structure::Accelerator;
use structure::Problem;

/// The single model of `handler.models.path`.
pub const DEFAULT_MODEL_NAME: &str = "_cortex_default";
/// Lines of a layout tree shown in a diagnostic (as Cortex does).
const TREE_CAP: usize = 50;

/// Where one API's models come from, with the span of the path in cortex.yaml.
#[derive(Debug, Clone)]
pub struct ModelSource {
    pub api: String,
    /// `Some(name)` for `path` / `paths[]`; `None` for `dir`.
    pub name: Option<String>,
    pub path: S3Path,
    pub span: Span,
    /// Field as written: `handler.models.paths[1].path`.
    pub field: String,
    pub accelerator: Accelerator,
}

/// A model found valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub api: String,
    pub name: String,
    pub path: S3Path,
    /// Sorted; empty for a non-versioned model (served as version 1).
    pub versions: Vec<i64>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub models: Vec<Model>,
}

#[derive(Debug, Clone, Copy)]
pub struct ListOptions {
    /// Listings in flight at once.
    pub concurrency: usize,
}

/// Checks every source against the store.
pub async fn check<S: ModelStore>(
    store: Arc<S>,
    sources: &[ModelSource],
    options: ListOptions,
) -> Outcome {
    let prefixes: BTreeSet<S3Path> = sources.iter().map(|s| s.path.clone()).collect();
    let listings = list_all(Arc::clone(&store), prefixes, options).await;
    let mut outcome = Outcome::default();
    let mut failures: BTreeMap<(S3Path, String), (StoreError, Vec<&ModelSource>)> = BTreeMap::new();
    for source in sources {
        match listings.get(&source.path) {
            Some(Ok(keys)) => check_source(source, keys, &mut outcome),
            Some(Err(error)) => {
                failures
                    .entry((source.path.clone(), error.to_string()))
                    .or_insert_with(|| (error.clone(), Vec::new()))
                    .1
                    .push(source);
            }
            None => {}
        }
    }
    let store_name = store.describe();
    outcome.diagnostics.extend(
        failures
            .into_values()
            .map(|(error, sources)| could_not_check(&error, &sources, &store_name)),
    );
    outcome
}

/// Lists each prefix once, at most `concurrency` at a time.
async fn list_all<S: ModelStore>(
    store: Arc<S>,
    prefixes: BTreeSet<S3Path>,
    options: ListOptions,
) -> BTreeMap<S3Path, Result<Vec<String>, StoreError>> {
    let total = prefixes.len();
    let progress = total >= 20 && std::io::stderr().is_terminal();
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for prefix in prefixes {
        let store = Arc::clone(&store);
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let listing = store.list(&prefix).await;
            (prefix, listing)
        });
    }
    let mut listings = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((prefix, listing)) = joined {
            listings.insert(prefix, listing);
        }
        if progress {
            let _ = write!(
                std::io::stderr(),
                "\rlisting model prefixes: {}/{total}",
                listings.len()
            );
        }
    }
    if progress {
        let _ = writeln!(std::io::stderr());
    }
    listings
}

fn check_source(source: &ModelSource, keys: &[String], outcome: &mut Outcome) {
    match &source.name {
        Some(name) => check_model(source, name, &source.path, keys, outcome),
        None => check_dir(source, keys, outcome),
    }
}

/// `models.dir`: each direct sub-folder is a model named after it.
fn check_dir(source: &ModelSource, keys: &[String], outcome: &mut Outcome) {
    if keys.is_empty() {
        outcome.diagnostics.push(structure_diagnostic(
            source,
            "models.dir",
            &source.path,
            keys,
            &Problem::Empty,
            true,
        ));
        return;
    }
    let mut models: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for key in keys {
        if let Some((folder, rest)) = key.split_once('/') {
            models.entry(folder).or_default().push(rest.to_owned());
        }
    }
    if models.is_empty() {
        outcome.diagnostics.push(
            source_error(
                source,
                codes::DIR_WITHOUT_MODELS,
                format!("{} holds no model folders", source.path),
            )
            .help(
                "models.dir expects one sub-folder per model: s3://bucket/models/<model-name>/...",
            )
            .note(format!(
                "found:\n{}",
                tree::render(&source.path.to_string(), keys, TREE_CAP)
            )),
        );
        return;
    }
    for (name, model_keys) in models {
        if name == DEFAULT_MODEL_NAME {
            outcome.diagnostics.push(
                source_error(source, codes::RESERVED_DIR_MODEL_NAME, format!("models.dir holds a folder named `{DEFAULT_MODEL_NAME}`, a reserved model name"))
                    .help("rename the folder; Cortex reserves this name for handler.models.path"),
            );
        } else if !valid_model_name(name) {
            outcome.diagnostics.push(
                source_error(
                    source,
                    codes::BAD_DIR_MODEL_NAME,
                    format!(
                        "models.dir folder `{}` is not a valid model name",
                        name.escape_debug()
                    ),
                )
                .help("model folder names may hold letters, digits, '_' and '-' only"),
            );
        } else {
            check_model(source, name, &source.path.child(name), &model_keys, outcome);
        }
    }
}

/// Model names become folder names on the worker (`/mnt/model/<name>`):
/// nothing that could leave that folder gets through.
pub fn valid_model_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_model(
    source: &ModelSource,
    name: &str,
    path: &S3Path,
    keys: &[String],
    outcome: &mut Outcome,
) {
    match structure::analyze(keys, source.accelerator) {
        Ok(layout) => outcome.models.push(Model {
            api: source.api.clone(),
            name: name.to_owned(),
            path: path.clone(),
            versions: layout.versions,
        }),
        Err(problems) => {
            let shown = if source.name.is_some() {
                model_label(name)
            } else {
                format!("model `{name}` of models.dir")
            };
            for (i, problem) in problems.iter().enumerate() {
                outcome.diagnostics.push(structure_diagnostic(
                    source,
                    &shown,
                    path,
                    keys,
                    problem,
                    i == 0,
                ));
            }
        }
    }
}

fn model_label(name: &str) -> String {
    if name == DEFAULT_MODEL_NAME {
        "the model".to_owned()
    } else {
        format!("model `{name}`")
    }
}

fn structure_diagnostic(
    source: &ModelSource,
    model: &str,
    path: &S3Path,
    keys: &[String],
    problem: &Problem,
    with_trees: bool,
) -> Diagnostic {
    let at_version = |v: &Option<i64>| v.map_or(String::new(), |v| format!(" in version {v}"));
    let (code, message, help) = match problem {
        Problem::Empty => (
            codes::EMPTY_MODEL_PREFIX,
            format!("{model}: nothing found at {path}"),
            "check the bucket and prefix; upload the SavedModel there (the prefix is listed with a trailing '/')".to_owned(),
        ),
        Problem::Mixed { versions, others } => (
            codes::MIXED_MODEL_STRUCTURE,
            format!("{model} at {path} mixes version folders ({}) with other entries ({})", versions.join(", "), others.join(", ")),
            "either put every SavedModel in an integer version folder, or put one SavedModel at the prefix itself".to_owned(),
        ),
        Problem::VersionOutOfRange { name } => (
            codes::VERSION_OUT_OF_RANGE,
            format!("{model} at {path}: version folder `{name}` does not fit in a 64-bit integer"),
            "version folders are int64 numbers, usually a timestamp".to_owned(),
        ),
        Problem::VersionIsFile { name } => (
            codes::VERSION_IS_FILE,
            format!("{model} at {path}: `{name}` is an object, not a version folder"),
            format!("remove the object `{name}` or put the SavedModel under `{name}/`"),
        ),
        Problem::MissingFiles { version, missing } => (
            codes::SAVEDMODEL_FILES_MISSING,
            format!("{model} at {path}{} is missing {}", at_version(version), missing.join(", ")),
            match source.accelerator {
                Accelerator::Inf => "an Inferentia model needs saved_model.pb".to_owned(),
                _ => "a SavedModel for CPU/GPU needs saved_model.pb and variables/ (index and data shards)".to_owned(),
            },
        ),
        Problem::MissingShards { version, missing } => (
            codes::VARIABLE_SHARDS_MISSING,
            format!("{model} at {path}{} is missing variable shards: {}", at_version(version), missing.join(", ")),
            "upload every variables.data-*-of-N shard of the export; TF Serving fails to load a partial one".to_owned(),
        ),
        Problem::InferentiaExport { version } => (
            codes::INFERENTIA_EXPORT_ON_CPU,
            format!("{model} at {path}{} has saved_model.pb but no variables/: an Inferentia-compiled export, used on CPU/GPU", at_version(version)),
            "use the plain SavedModel export on CPU/GPU, or set compute.inf: 1 to serve the Inferentia export".to_owned(),
        ),
    };
    let mut d = source_error(source, code, message).help(help);
    if with_trees && !matches!(problem, Problem::Empty) {
        let versioned = keys.first().is_some_and(|k| {
            k.split('/')
                .next()
                .is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()))
        });
        d = d
            .note(format!(
                "expected layout:\n{}",
                expected_layout(path, source.accelerator, versioned)
            ))
            .note(format!(
                "found:\n{}",
                tree::render(&path.to_string(), keys, TREE_CAP)
            ));
    }
    d
}

fn expected_layout(path: &S3Path, accelerator: Accelerator, versioned: bool) -> String {
    let files: &[&str] = match accelerator {
        Accelerator::Inf => &["saved_model.pb"],
        _ => &[
            "saved_model.pb",
            "variables/variables.index",
            "variables/variables.data-00000-of-00001",
        ],
    };
    let keys: Vec<String> = if versioned {
        files.iter().map(|f| format!("1523423423/{f}")).collect()
    } else {
        files.iter().map(|f| f.to_string()).collect()
    };
    tree::render(&path.to_string(), &keys, TREE_CAP)
}

fn source_error(source: &ModelSource, code: Code, message: String) -> Diagnostic {
    Diagnostic::error(code, message)
        .at(source.span.clone(), "model path")
        .in_api(Some(&source.api))
        .with_path(source.field.clone())
}

/// One diagnostic per distinct failure, at the first source it affects.
fn could_not_check(error: &StoreError, sources: &[&ModelSource], store: &str) -> Diagnostic {
    let Some(first) = sources.first() else {
        return Diagnostic::error(codes::STORE_FAILED, error.to_string());
    };
    let path = &first.path;
    let (code, message, help) = match error {
        StoreError::AccessDenied { detail } => (
            codes::STORE_ACCESS_DENIED,
            format!("access denied listing {path} ({detail})"),
            format!("the credentials in use need s3:ListBucket on arn:aws:s3:::{} (and s3:GetObject on its objects)", path.bucket),
        ),
        StoreError::NoSuchBucket => (
            codes::STORE_NO_SUCH_BUCKET,
            format!("bucket `{}` does not exist ({store})", path.bucket),
            "check the bucket name, and the region (AWS_REGION) or endpoint in use".to_owned(),
        ),
        StoreError::Unreachable { detail } => (
            codes::STORE_UNREACHABLE,
            format!("could not reach {store} to list {path}: {detail}"),
            "check the network, --s3-endpoint or AWS_ENDPOINT_URL, and AWS_REGION; requests were retried with backoff".to_owned(),
        ),
        StoreError::Incomplete { detail } => (
            codes::STORE_LISTING_INCOMPLETE,
            format!("the listing of {path} failed part-way: {detail}"),
            "nothing under this prefix was checked; run the check again".to_owned(),
        ),
        StoreError::Other { detail } => (
            codes::STORE_FAILED,
            format!("could not list {path}: {detail}"),
            "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...) and region, or use --store for a local mirror".to_owned(),
        ),
    };
    let mut d = Diagnostic::error(code, message)
        .at(first.span.clone(), "not checked")
        .help(help)
        .in_api(Some(&first.api))
        .with_path(first.field.clone());
    for other in sources.iter().skip(1).take(10) {
        d = d.also(other.span.clone(), "not checked either");
    }
    d
}
