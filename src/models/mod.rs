//! The models stage: list every model prefix once (concurrently, bounded),
//! apply the structure rules, and report each problem at the model path in
//! cortex.yaml with the expected layout next to the layout found.
//!
//! Store failures are kept apart from structure problems: they are "could
//! not check" diagnostics (`TFC39xx`, exit code 3), and a prefix whose
//! listing failed is never reported valid.

pub mod bundle_index;
pub mod saved_model;
pub mod signatures;
pub mod sources;
pub mod structure;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, codes};
use crate::source::Span;
use crate::store::bounded::bounded;
use crate::store::{ModelStore, Object, ReadOptions, S3Path, StoreError};
use saved_model::SavedModel;
use signatures::Signature;
pub use structure::Accelerator;
use structure::{Problem, ShardBasis, ShardSets};

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
    /// The TF Serving image the API runs; decides the op-version check.
    pub serving: ServingImage,
    /// The signature key that applies (a `paths[]` entry's own wins), with
    /// where it is written.
    pub signature_key: Option<WrittenKey>,
}

/// Which TF Serving loads the models: it decides whether ops TensorFlow
/// 2.3 lacks are an error, a warning, or not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServingImage {
    /// Cortex 0.34's `tensorflow-serving-cpu/-gpu:0.34.0`, built `FROM
    /// tensorflow/serving:2.3.0` (`images/tensorflow-serving-cpu/Dockerfile`).
    Default,
    /// A `tensorflow_serving_image` of the user's: its TensorFlow may be newer.
    Custom { image: String, span: Span },
    /// Inferentia: Neuron's own TensorFlow build; the op list does not apply.
    Inferentia,
}

#[derive(Debug, Clone)]
pub struct WrittenKey {
    pub key: String,
    pub span: Span,
    pub field: String,
}

/// A model found valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub api: String,
    pub name: String,
    pub path: S3Path,
    /// Sorted; empty for a non-versioned model (served as version 1).
    pub versions: Vec<i64>,
    /// The signature Cortex will serve (of the highest version), once read.
    pub signature: Option<Signature>,
    /// Index of the source in the list given to [`check`].
    pub(crate) source: usize,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub models: Vec<Model>,
}

#[derive(Debug, Clone, Copy)]
pub struct ListOptions {
    /// Listings and reads in flight at once.
    pub concurrency: usize,
    /// Largest `saved_model.pb` read (normally [`MAX_SAVED_MODEL_BYTES`]).
    pub max_saved_model_bytes: u64,
}

/// Largest `saved_model.pb` read; a larger one is not checked (warning).
pub const MAX_SAVED_MODEL_BYTES: u64 = 256 * 1024 * 1024;

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
    let missing = listings
        .values()
        .any(|l| matches!(l, Err(StoreError::NoSuchBucket)));
    let known = if missing {
        known_buckets(store.as_ref(), sources).await
    } else {
        Vec::new()
    };
    let mut undecided = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        match listings.get(&source.path) {
            Some(Ok(keys)) => {
                let first_new = outcome.models.len();
                check_source(source, keys, &mut outcome, &mut undecided);
                for model in &mut outcome.models[first_new..] {
                    model.source = index;
                }
            }
            Some(Err(StoreError::NoSuchBucket)) => {
                outcome.diagnostics.push(missing_bucket(source, &known));
            }
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
            .map(|(error, sources)| could_not_check(&error, &sources, &store_name, None)),
    );
    check_shards(
        Arc::clone(&store),
        sources,
        options,
        undecided,
        &mut outcome,
    )
    .await;
    check_signatures(store, sources, options, &mut outcome).await;
    outcome
}

/// A model (version) whose data files the listing could not judge: its
/// `variables.index` names the set TensorFlow restores.
struct Undecided {
    /// Index in `Outcome::models`.
    model: usize,
    shards: ShardSets,
    /// The model's listing, for the "found" tree.
    keys: Vec<String>,
    bucket: String,
    key: String,
}

impl Object for Undecided {
    fn bucket(&self) -> &str {
        &self.bucket
    }
    fn key(&self) -> &str {
        &self.key
    }
}

/// Reads the `variables.index` of every undecided model (through the
/// store's read path, with the saved_model.pb size limit) and judges its
/// data files by the index's own shard count. A model missing shards is
/// refused (and not read further); sets the index does not name are a
/// warning. A read that fails is "could not check"; an index that is too
/// large or cannot be decoded leaves the listing's rule (every set complete).
async fn check_shards<S: ModelStore>(
    store: Arc<S>,
    sources: &[ModelSource],
    options: ListOptions,
    undecided: Vec<Undecided>,
    outcome: &mut Outcome,
) {
    if undecided.is_empty() {
        return;
    }
    let reads_options = ReadOptions {
        limit: options.max_saved_model_bytes,
        concurrency: options.concurrency,
        progress: "reading variables.index",
    };
    let store_name = store.describe();
    let read = store
        .read_each(undecided, reads_options, |bytes| {
            bytes.map(|bytes| bundle_index::num_shards(&bytes))
        })
        .await;
    let mut refused = BTreeSet::new();
    for (pending, decoded) in read {
        let Some(model) = outcome.models.get(pending.model) else {
            continue;
        };
        let Some(source) = sources.get(model.source) else {
            continue;
        };
        let basis = match decoded {
            Ok(Ok(total)) => ShardBasis::Index(total),
            Ok(Err(why)) => ShardBasis::Undecodable(why),
            Err(StoreError::TooLarge { limit }) => ShardBasis::Undecodable(format!(
                "larger than {} MiB, not read",
                limit / 1024 / 1024
            )),
            Err(error) => {
                let object = format!("s3://{}/{}", pending.bucket, pending.key);
                outcome.diagnostics.push(could_not_check(
                    &error,
                    &[source],
                    &store_name,
                    Some(&object),
                ));
                refused.insert(pending.model);
                continue;
            }
        };
        let named = match &basis {
            ShardBasis::Index(total) => Some(*total),
            _ => None,
        };
        let verdict = structure::judge_shards(&pending.shards, basis);
        let shown = shown_model(source, &model.name);
        if let Some(problem) = &verdict.missing {
            outcome.diagnostics.push(structure_diagnostic(
                source,
                &shown,
                &model.path,
                &pending.keys,
                problem,
                true,
            ));
            refused.insert(pending.model);
        }
        if let (Some(total), false) = (named, verdict.ignored.is_empty()) {
            outcome.diagnostics.push(ignored_shards(
                source,
                &shown,
                &model.path,
                pending.shards.version,
                total,
                &pending.shards,
                &verdict.ignored,
            ));
        }
    }
    if !refused.is_empty() {
        let mut index = 0;
        outcome.models.retain(|_| {
            index += 1;
            !refused.contains(&(index - 1))
        });
    }
}

/// Data files of a count the index does not name: TensorFlow never reads
/// them; the model loads.
fn ignored_shards(
    source: &ModelSource,
    model: &str,
    path: &S3Path,
    version: Option<i64>,
    total: u32,
    shards: &ShardSets,
    ignored: &[u32],
) -> Diagnostic {
    let sets: Vec<String> = ignored
        .iter()
        .map(|n| {
            let present = shards.sets.get(n).map_or(0, BTreeSet::len);
            format!("variables.data-*-of-{n:05} ({present} of {n} present)")
        })
        .collect();
    Diagnostic::warning(
        codes::SHARDS_NOT_RESTORED,
        format!(
            "{model} at {path}{}: variables.index names {total} shard{}; TensorFlow restores only those and ignores the data files {}",
            version.map_or(String::new(), |v| format!(" in version {v}")),
            if total == 1 { "" } else { "s" },
            sets.join(", ")
        ),
    )
    .at(source.span.clone(), "model path")
    .help("delete the data files of the other count (a leftover of an earlier export?)")
    .in_api(Some(&source.api))
    .with_path(source.field.clone())
}

/// How a model is named in a diagnostic.
fn shown_model(source: &ModelSource, name: &str) -> String {
    if source.name.is_some() {
        model_label(name)
    } else {
        format!("model `{name}` of models.dir")
    }
}

/// Buckets that exist to the store or that cortex.yaml names, sorted.
async fn known_buckets<S: ModelStore>(store: &S, sources: &[ModelSource]) -> Vec<String> {
    let mut known: BTreeSet<String> = store.known_buckets().await.into_iter().collect();
    known.extend(sources.iter().map(|s| s.path.bucket.clone()));
    known.into_iter().collect()
}

/// A bucket that does not exist is an answer about the configuration:
/// Cortex's deploy check fails listing it (utils.go:240, `ListS3PathDir`).
fn missing_bucket(source: &ModelSource, known: &[String]) -> Diagnostic {
    let bucket = &source.path.bucket;
    let others = known.iter().map(String::as_str).filter(|b| b != bucket);
    let help = match crate::diag::suggest(bucket, others) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "check the bucket name (and, for a bucket in another account or endpoint, the credentials or --s3-endpoint in use)".to_owned(),
    };
    Diagnostic::error(
        codes::BUCKET_NOT_FOUND,
        format!(
            "bucket `{bucket}` of {} does not exist: Cortex refuses the deploy",
            source.path
        ),
    )
    .at(source.span.clone(), "no such bucket")
    .help(help)
    .in_api(Some(&source.api))
    .with_path(source.field.clone())
}

/// Lists each prefix once, at most `concurrency` at a time.
async fn list_all<S: ModelStore>(
    store: Arc<S>,
    prefixes: BTreeSet<S3Path>,
    options: ListOptions,
) -> BTreeMap<S3Path, Result<Vec<String>, StoreError>> {
    let listings = bounded(
        prefixes.into_iter().collect(),
        options.concurrency,
        "listing model prefixes",
        |prefix| {
            let store = Arc::clone(&store);
            async move {
                let listing = store.list(&prefix).await;
                (prefix, listing)
            }
        },
    )
    .await;
    listings.into_iter().collect()
}

/// One `saved_model.pb` to read: which model, which version, which key.
struct Read {
    model: usize,
    version: Option<i64>,
    bucket: String,
    key: String,
    signature_key: Option<String>,
}

impl Object for Read {
    fn bucket(&self) -> &str {
        &self.bucket
    }
    fn key(&self) -> &str {
        &self.key
    }
}

/// What reading one `saved_model.pb` gave, whichever model reads it (the
/// signature is chosen afterwards, by each model's `signature_key`). The
/// bytes are decoded where they were read and dropped there, with the graph:
/// memory stays bounded by the reads in flight. Shared, as the local store
/// digests a file that several keys name once.
enum Found {
    Decoded {
        /// The SavedModel less its graph (its ops are in `missing_ops`).
        model: SavedModel,
        /// Ops of the serving graph TensorFlow 2.3.0 does not register.
        missing_ops: Vec<String>,
    },
    Corrupt(String),
    Failed(StoreError),
}

fn digest(bytes: Result<Vec<u8>, StoreError>) -> Arc<Found> {
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(error) => return Arc::new(Found::Failed(error)),
    };
    let found = match saved_model::decode(&bytes) {
        Err(why) => Found::Corrupt(why),
        Ok(mut model) => {
            let missing_ops = model.serving_graph().map_or_else(Vec::new, |g| {
                saved_model::ops_missing_in_tf_2_3(&g.op_types())
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            });
            for graph in &mut model.meta_graphs {
                graph.graph_def = None;
            }
            Found::Decoded { model, missing_ops }
        }
    };
    Arc::new(found)
}

/// Reads every version's `saved_model.pb` and applies the signature rule.
async fn check_signatures<S: ModelStore>(
    store: Arc<S>,
    sources: &[ModelSource],
    options: ListOptions,
    outcome: &mut Outcome,
) {
    let reads: Vec<Read> = outcome
        .models
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            let versions: Vec<Option<i64>> = if m.versions.is_empty() {
                vec![None]
            } else {
                m.versions.iter().copied().map(Some).collect()
            };
            let signature_key = sources
                .get(m.source)
                .and_then(|s| s.signature_key.as_ref())
                .map(|k| k.key.clone());
            versions.into_iter().map(move |v| Read {
                model: i,
                version: v,
                bucket: m.path.bucket.clone(),
                key: format!(
                    "{}{}saved_model.pb",
                    m.path.prefix,
                    v.map_or(String::new(), |v| format!("{v}/"))
                ),
                signature_key: signature_key.clone(),
            })
        })
        .collect();
    let reads_options = ReadOptions {
        limit: options.max_saved_model_bytes,
        concurrency: options.concurrency,
        progress: "reading saved_model.pb",
    };
    let store_name = store.describe();
    // in order of model, then version
    let results = store.read_each(reads, reads_options, digest).await;
    let mut chosen: BTreeMap<usize, Vec<(Option<i64>, Signature)>> = BTreeMap::new();
    // the same problem in several versions of a model is one diagnostic
    let mut problems: Vec<(usize, signatures::Problem, Vec<Option<i64>>)> = Vec::new();
    let mut op_gaps: Vec<(usize, Vec<String>, Vec<Option<i64>>)> = Vec::new();
    for (read, found) in results {
        let Some(model) = outcome.models.get(read.model) else {
            continue;
        };
        let Some(source) = sources.get(model.source) else {
            continue;
        };
        let label = format!("{}{}", model_label(&model.name), at_version(read.version));
        let at = |d: Diagnostic| {
            d.at(source.span.clone(), "model path")
                .in_api(Some(&source.api))
                .with_path(source.field.clone())
        };
        match &*found {
            Found::Decoded { model, missing_ops } => {
                if !missing_ops.is_empty() {
                    group(&mut op_gaps, read.model, missing_ops.clone(), read.version);
                }
                match signatures::choose(model, read.signature_key.as_deref()) {
                    Ok(signature) => chosen.entry(read.model).or_default().push((read.version, signature)),
                    Err(problem) => group(&mut problems, read.model, problem, read.version),
                }
            }
            Found::Corrupt(why) => outcome.diagnostics.push(at(Diagnostic::error(
                codes::SAVED_MODEL_CORRUPT,
                format!("{label}: s3://{}/{} is not a valid SavedModel ({why})", read.bucket, read.key),
            )
            .help("re-export the model with tf.saved_model.save and upload saved_model.pb again"))),
            Found::Failed(StoreError::TooLarge { limit }) => outcome.diagnostics.push(at(Diagnostic::warning(
                codes::SAVED_MODEL_TOO_LARGE,
                format!("{label}: saved_model.pb is larger than {} MiB; its signatures were not checked", limit / 1024 / 1024),
            )
            .help("the signature rule still applies at run time; check it with `cortex-tfc inspect`"))),
            Found::Failed(error) => {
                let object = format!("s3://{}/{}", read.bucket, read.key);
                outcome.diagnostics.push(could_not_check(error, &[source], &store_name, Some(&object)));
            }
        }
    }
    for (index, problem, versions) in problems {
        let Some(model) = outcome.models.get(index) else {
            continue;
        };
        let Some(source) = sources.get(model.source) else {
            continue;
        };
        let label = format!("{}{}", model_label(&model.name), at_versions(&versions));
        outcome
            .diagnostics
            .push(signature_diagnostic(source, &label, &problem));
    }
    for (index, ops, versions) in op_gaps {
        let Some(model) = outcome.models.get(index) else {
            continue;
        };
        let Some(source) = sources.get(model.source) else {
            continue;
        };
        let label = format!("{}{}", model_label(&model.name), at_versions(&versions));
        outcome
            .diagnostics
            .extend(ops_diagnostic(source, &label, &ops));
    }
    for (index, versions) in chosen {
        let Some(model) = outcome.models.get_mut(index) else {
            continue;
        };
        let Some(source) = sources.get(model.source) else {
            continue;
        };
        if let Some(warning) = disagreement(source, &model.name, &versions) {
            outcome.diagnostics.push(warning);
        }
        model.signature = versions.into_iter().last().map(|(_, s)| s);
    }
}

/// The same finding in several versions of a model is one diagnostic.
fn group<T: PartialEq>(
    found: &mut Vec<(usize, T, Vec<Option<i64>>)>,
    model: usize,
    what: T,
    version: Option<i64>,
) {
    match found.iter_mut().find(|(m, w, _)| *m == model && *w == what) {
        Some((_, _, versions)) => versions.push(version),
        None => found.push((model, what, vec![version])),
    }
}

/// Ops TF Serving 2.3 does not know: the default CPU/GPU serving image
/// fails to load the model ("Op type not registered"); a custom serving
/// image may carry a newer TensorFlow (warning); Inferentia runs Neuron's
/// own build (not checked).
fn ops_diagnostic(source: &ModelSource, model: &str, ops: &[String]) -> Option<Diagnostic> {
    let listed = ops
        .iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if ops.len() == 1 { "op" } else { "ops" };
    let d = match &source.serving {
        ServingImage::Inferentia => return None,
        ServingImage::Default => Diagnostic::error(
            codes::OPS_NOT_IN_TF_2_3,
            format!(
                "{model} uses the {noun} {listed}, which TensorFlow 2.3 does not have: TF Serving 2.3.0 (Cortex 0.34's default {} serving image) fails to load it (\"Op type not registered\")",
                if source.accelerator == Accelerator::Gpu { "GPU" } else { "CPU" }
            ),
        )
        .at(source.span.clone(), "model path")
        .help("export the model with a TensorFlow that TF Serving 2.3 loads (TensorFlow 2.3, or tf.compat.v1.saved_model.Builder with graph-mode variables), or set handler.tensorflow_serving_image to a TF Serving as new as the TensorFlow that exported it"),
        ServingImage::Custom { image, span } => Diagnostic::warning(
            codes::OPS_NOT_IN_TF_2_3_CUSTOM_IMAGE,
            format!(
                "{model} uses the {noun} {listed}, which TensorFlow 2.3 does not have; the serving image `{image}` must carry a TensorFlow that has {}",
                if ops.len() == 1 { "it" } else { "them" }
            ),
        )
        .at(source.span.clone(), "model path")
        .also(span.clone(), "custom serving image")
        .help("make sure the TF Serving in this image is at least as new as the TensorFlow that exported the model"),
    };
    Some(d.in_api(Some(&source.api)).with_path(source.field.clone()))
}

fn at_version(version: Option<i64>) -> String {
    version.map_or(String::new(), |v| format!(" (version {v})"))
}

/// " (versions 1, 2)" for the versions a problem was found in.
fn at_versions(versions: &[Option<i64>]) -> String {
    let numbers: Vec<String> = versions.iter().flatten().map(i64::to_string).collect();
    match numbers.as_slice() {
        [] => String::new(),
        [one] => format!(" (version {one})"),
        many => format!(" (versions {})", many.join(", ")),
    }
}

/// Versions of one model whose chosen signatures differ: clients written
/// for one version break on another.
fn disagreement(
    source: &ModelSource,
    name: &str,
    versions: &[(Option<i64>, Signature)],
) -> Option<Diagnostic> {
    let (first_version, first) = versions.first()?;
    let (other_version, _) = versions.iter().find(|(_, s)| s != first)?;
    Some(
        Diagnostic::warning(
            codes::SIGNATURES_DISAGREE,
            format!(
                "{}: versions {} and {} serve different signatures under `{}`",
                model_label(name),
                first_version.unwrap_or(1),
                other_version.unwrap_or(1),
                first.key
            ),
        )
        .at(source.span.clone(), "model path")
        .help("clients that pick a version (or \"latest\") see different inputs or outputs; compare them with `cortex-tfc inspect`")
        .in_api(Some(&source.api))
        .with_path(source.field.clone()),
    )
}

fn signature_diagnostic(
    source: &ModelSource,
    model: &str,
    problem: &signatures::Problem,
) -> Diagnostic {
    let (code, message, help) = describe_signature_problem(model, problem);
    // the signature_key line when a key applies, else the model path
    let (span, field, label) = match &source.signature_key {
        Some(k) => (k.span.clone(), k.field.clone(), "signature key"),
        None => (
            source.span.clone(),
            source.field.clone(),
            "no signature_key set for this model",
        ),
    };
    let mut d = Diagnostic::error(code, message).at(span.clone(), label);
    if span != source.span {
        d = d.also(source.span.clone(), format!("model at {}", source.path));
    }
    d.help(help).in_api(Some(&source.api)).with_path(field)
}

/// Code, message and help for a signature problem of `model` (shared by
/// `check` and `inspect`).
pub fn describe_signature_problem(
    model: &str,
    problem: &signatures::Problem,
) -> (Code, String, String) {
    use signatures::Problem;
    let keys = |keys: &[String]| {
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (code, message, help) = match problem {
        Problem::NoServeGraph { tags } => (
            codes::NO_SERVE_GRAPH,
            format!(
                "{model} has no MetaGraph whose tags are exactly `serve` (tag sets found: {}): TF Serving 2.3, started by Cortex without --saved_model_tags, does not load it",
                tag_sets(tags)
            ),
            "export the serving graph with the tags {\"serve\"} only (tf.saved_model.save does)".to_owned(),
        ),
        Problem::NoSignatures => (
            codes::NO_SIGNATURES,
            format!("{model} has no signatures: Cortex 0.34 would refuse this model at run time"),
            "export with signatures: tf.saved_model.save(model, path, signatures={...})".to_owned(),
        ),
        Problem::Ambiguous { keys: found } => (
            codes::SIGNATURE_AMBIGUOUS,
            format!(
                "Cortex 0.34 would refuse this model at run time: {model} has no signature_key set and TF Serving 2.3 returns the keys '{}', several and none named `predict`{}",
                found.join(", "),
                if found.iter().any(|k| k == saved_model::INIT_OP_KEY) {
                    " (`__saved_model_init_op` is TensorFlow's init op, which every TF2 / Keras export carries; Cortex counts it as a signature)"
                } else {
                    ""
                }
            ),
            format!(
                "set `signature_key: {}`; Cortex does not pick `serving_default` by itself",
                suggested_key(found)
            ),
        ),
        Problem::KeyNotFound { key, keys: found } => (
            codes::SIGNATURE_KEY_NOT_FOUND,
            format!("{model} has no signature `{key}`; it has {}", keys(found)),
            match crate::diag::suggest(key, found.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use one of {}", keys(found)),
            },
        ),
        Problem::NoInputs { key } if key == saved_model::INIT_OP_KEY => (
            codes::SIGNATURE_WITHOUT_INPUTS,
            format!("Cortex 0.34 would refuse {model} at run time: its only signature key is `{key}`, TensorFlow's init op, which takes no inputs; the export has no serving signature"),
            "export with signatures: tf.saved_model.save(model, path, signatures={...})".to_owned(),
        ),
        Problem::NoInputs { key } => (
            codes::SIGNATURE_WITHOUT_INPUTS,
            format!("{model}: signature `{key}` takes no inputs; Cortex cannot send it a payload"),
            "export a signature with at least one input".to_owned(),
        ),
        Problem::BadInputs { key, inputs } => (
            codes::SIGNATURE_INPUT_UNPARSABLE,
            format!(
                "Cortex 0.34 would refuse {model} at run time: its worker cannot parse {} of signature `{key}`",
                inputs
                    .iter()
                    .map(|(name, fault)| format!("input `{name}` ({})", fault_text(fault)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "export the signature's inputs with a dtype, a shape (or an unknown rank), and no dimension of size 0".to_owned(),
        ),
    };
    (code, message, help)
}

fn tag_sets(tags: &[Vec<String>]) -> String {
    if tags.is_empty() {
        return "none".to_owned();
    }
    tags.iter()
        .map(|set| format!("{{{}}}", set.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key to advise: `serving_default` when there, else the first key
/// that is not TensorFlow's own.
fn suggested_key(keys: &[String]) -> &str {
    keys.iter()
        .find(|k| *k == "serving_default")
        .or_else(|| {
            keys.iter()
                .find(|k| !saved_model::INTERNAL_SIGNATURES.contains(&k.as_str()))
        })
        .or(keys.first())
        .map_or("serving_default", String::as_str)
}

fn fault_text(fault: &signatures::InputFault) -> String {
    use signatures::InputFault;
    match fault {
        InputFault::NoShape => "no shape".to_owned(),
        InputFault::Dtype(dtype) => format!("dtype {dtype}"),
        InputFault::ZeroDim { index } => format!("dimension {index} of size 0"),
    }
}

fn check_source(
    source: &ModelSource,
    keys: &[String],
    outcome: &mut Outcome,
    undecided: &mut Vec<Undecided>,
) {
    // a prefix Cortex's two stages read differently is refused whatever
    // the bucket holds (the deploy check cannot find files it moved)
    if let Some(views) = structure::prefix_views(&source.path.prefix) {
        outcome
            .diagnostics
            .push(unclean_prefix(source, &views, Some(keys)));
        return;
    }
    match &source.name {
        Some(name) => check_model(source, name, &source.path, keys, outcome, undecided),
        None => check_dir(source, keys, outcome, undecided),
    }
}

/// `TFC3015` on a model path whose key prefix has an empty, `.` or `..`
/// segment: the deploy check lists it as written (utils.go:234-240) but
/// looks for the files under Go's cleaned path (utils.go:259, :322-327),
/// and the worker lists it with empty segments dropped (s3.py:57).
/// `keys`: what the listing found, or None when nothing was listed
/// (`--offline`: the verdict needs only the path).
fn unclean_prefix(
    source: &ModelSource,
    views: &structure::PrefixViews,
    keys: Option<&[String]>,
) -> Diagnostic {
    let bucket = &source.path.bucket;
    let at = |prefix: &str| format!("s3://{bucket}/{prefix}");
    let deploy = if views.deploy_blind() {
        format!(
            "Cortex's deploy check lists {} as written but looks for saved_model.pb and variables/ under {} (Go's filepath.Join cleans the path), where no listed key is, so it refuses the deploy whatever the bucket holds",
            at(&views.listed),
            at(&views.deploy_files)
        )
    } else {
        format!(
            "Cortex's deploy check lists and checks {} as written",
            at(&views.listed)
        )
    };
    let worker = if views.worker == views.listed {
        "the worker lists it as written too".to_owned()
    } else {
        format!(
            "its worker lists {} instead (os.path.join drops the empty segments), a different tree",
            at(&views.worker)
        )
    };
    let written = source.path.to_string();
    let suggested = at(views.deploy_files.trim_start_matches('/'));
    let d = source_error(
        source,
        codes::UNCLEAN_MODEL_KEYS,
        format!("the model path {written} holds `//`, `.` or `..`: {deploy}; {worker}"),
    )
    .help(format!(
        "write the path without empty, `.` or `..` segments, e.g. {suggested}, and upload the model there"
    ));
    match keys {
        None => d,
        Some([]) => d.note(format!("found under {}: nothing", at(&views.listed))),
        Some(keys) => d.note(format!(
            "found:\n{}",
            tree::render(&at(&views.listed), keys, TREE_CAP)
        )),
    }
}

/// The verdicts that need only the model paths, for `--offline`: a path
/// Cortex's two stages read differently is refused whatever the bucket
/// holds (`TFC3015`).
pub fn path_verdicts(sources: &[ModelSource]) -> Vec<Diagnostic> {
    sources
        .iter()
        .filter_map(|source| {
            let views = structure::prefix_views(&source.path.prefix)?;
            Some(unclean_prefix(source, &views, None))
        })
        .collect()
}

/// `TFC3015` on a model whose keys hold `//`: the deploy check reads them
/// as listed (utils.go:305-347), the worker collapses them
/// (validation.py:311 `os.path.relpath`). None when both accept the model.
fn empty_segment_keys(
    source: &ModelSource,
    shown: &str,
    path: &S3Path,
    keys: &[String],
    deploy: &Result<structure::Layout, Vec<Problem>>,
) -> Option<Diagnostic> {
    let example = keys.iter().find(|k| structure::has_empty_segment(k))?;
    let collapsed: Vec<String> = keys.iter().map(|k| structure::collapse(k)).collect();
    let worker = structure::analyze(&collapsed, source.accelerator);
    if deploy.is_ok() && worker.is_ok() {
        return None;
    }
    let why = |problems: &[Problem], keys: &[String]| {
        problems
            .first()
            .map(|p| structure_diagnostic(source, shown, path, keys, p, false).message)
            .unwrap_or_default()
    };
    let deploy_view = match deploy {
        Ok(_) => "Cortex's deploy check, reading the keys as listed, accepts the model".to_owned(),
        Err(problems) => format!(
            "Cortex's deploy check reads the keys as listed and refuses the deploy ({})",
            why(problems, keys)
        ),
    };
    let worker_view = match &worker {
        Ok(_) => "its worker collapses `//` (os.path.relpath) and would load the model".to_owned(),
        Err(problems) => format!(
            "its worker collapses `//` (os.path.relpath) and skips the model ({})",
            why(problems, &collapsed)
        ),
    };
    Some(
        source_error(
            source,
            codes::UNCLEAN_MODEL_KEYS,
            format!(
                "{shown} at {path} has keys with `//` (such as `{}{}`): {deploy_view}; {worker_view}",
                path.prefix,
                example.escape_debug()
            ),
        )
        .help("upload the model's keys without `//` (an empty folder name): both stages must see the same tree")
        .note(format!(
            "found (empty folder names not drawn):\n{}",
            tree::render(&path.to_string(), keys, TREE_CAP)
        )),
    )
}

/// `models.dir`: each direct sub-folder is a model named after it.
fn check_dir(
    source: &ModelSource,
    keys: &[String],
    outcome: &mut Outcome,
    undecided: &mut Vec<Undecided>,
) {
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
    let mut loose: Vec<&str> = Vec::new();
    // folder markers are not objects to Cortex (includeDirObjects=false)
    for key in keys.iter().filter(|k| !k.ends_with('/')) {
        match key.split_once('/') {
            Some((folder, rest)) => models.entry(folder).or_default().push(rest.to_owned()),
            None => loose.push(key),
        }
    }
    if models.is_empty() && loose.is_empty() {
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
    if models.is_empty() {
        outcome.diagnostics.push(
            source_error(
                source,
                codes::DIR_WITHOUT_MODELS,
                format!("{} holds no model folders, only the objects {}: Cortex takes each first-level name as a model and refuses the deploy", source.path, quoted(&loose)),
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
    // utils.go:144-148 takes EVERY first-level name as a model; an object
    // has no model structure under it, so the deploy is refused (:160)
    for name in &loose {
        outcome.diagnostics.push(
            source_error(
                source,
                codes::LOOSE_OBJECT_IN_DIR,
                format!("models.dir holds the object `{}` beside the model folders: Cortex takes every first-level name as a model and refuses the deploy", name.escape_debug()),
            )
            .help(format!("move `{}` out of {} (models.dir may hold only model folders)", name.escape_debug(), source.path)),
        );
    }
    for (name, model_keys) in models {
        if name == DEFAULT_MODEL_NAME {
            outcome.diagnostics.push(
                source_error(source, codes::RESERVED_DIR_MODEL_NAME, format!("models.dir holds a folder named `{DEFAULT_MODEL_NAME}`, a reserved model name"))
                    .help("rename the folder; Cortex reserves this name for handler.models.path"),
            );
        } else if leaves_the_model_folder(name) {
            // `dir//x` lists an empty name; `.`/`..` would resolve outside
            // /mnt/model/<name> when the worker joins the path
            outcome.diagnostics.push(
                source_error(
                    source,
                    codes::BAD_DIR_MODEL_NAME,
                    format!(
                        "models.dir folder `{}` cannot be a model name: the worker joins it into /mnt/model/<name>",
                        name.escape_debug()
                    ),
                )
                .help("give each model its own named sub-folder of models.dir"),
            );
        } else {
            if !plain_model_name(name) {
                // Cortex takes the names as listed (utils.go:143-149,
                // validation.py:263-274) and serves them
                outcome.diagnostics.push(
                    Diagnostic::warning(
                        codes::BAD_DIR_MODEL_NAME,
                        format!(
                            "models.dir folder `{}` becomes the model name `{}`: Cortex accepts it, but clients must pass it exactly as `model_name`",
                            name.escape_debug(),
                            name.escape_debug()
                        ),
                    )
                    .at(source.span.clone(), "model path")
                    .in_api(Some(&source.api))
                    .with_path(source.field.clone())
                    .help("prefer letters, digits, '_', '-' and '.' in model folder names"),
                );
            }
            check_model(
                source,
                name,
                &source.path.child(name),
                &model_keys,
                outcome,
                undecided,
            );
        }
    }
}

/// A first-level name the worker cannot use as the folder
/// `/mnt/model/<name>`: empty (`dir//x`), `.` or `..`.
pub fn leaves_the_model_folder(name: &str) -> bool {
    name.is_empty() || name == "." || name == ".."
}

/// Letters, digits, `_`, `-` and `.`: names nobody has to quote.
pub fn plain_model_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.escape_debug()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_model(
    source: &ModelSource,
    name: &str,
    path: &S3Path,
    keys: &[String],
    outcome: &mut Outcome,
    undecided: &mut Vec<Undecided>,
) {
    let verdict = structure::analyze(keys, source.accelerator);
    if let Some(d) = empty_segment_keys(source, &shown_model(source, name), path, keys, &verdict) {
        outcome.diagnostics.push(d);
        return;
    }
    match verdict {
        Ok(layout) => {
            let model = outcome.models.len();
            undecided.extend(layout.undecided.into_iter().map(|shards| Undecided {
                model,
                key: format!(
                    "{}{}variables/variables.index",
                    path.prefix,
                    shards.version.map_or(String::new(), |v| format!("{v}/"))
                ),
                bucket: path.bucket.clone(),
                keys: keys.to_vec(),
                shards,
            }));
            outcome.models.push(Model {
                api: source.api.clone(),
                name: name.to_owned(),
                path: path.clone(),
                versions: layout.versions,
                signature: None,
                source: 0,
            });
        }
        Err(problems) => {
            let shown = shown_model(source, name);
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
            format!("{model} at {path}: folder `{name}` does not fit in a 64-bit integer, so Cortex does not take it as a version and reads the model as non-versioned"),
            "version folders are int64 numbers, usually a timestamp; rename the folder, or put the model's files at the model path itself".to_owned(),
        ),
        Problem::VersionNotCanonical { name } => (
            codes::VERSION_NOT_CANONICAL,
            format!("{model} at {path}: version folder `{name}` passes Cortex's deploy check but breaks at run time"),
            format!("the deploy check parses `{name}` as a number, but the worker matches version folders by name and needs a plain non-negative integer (`7`, not `007`, `+7` or `-7`); rename the folder"),
        ),
        Problem::ObjectIsAlsoPrefix { name } => (
            codes::OBJECT_IS_ALSO_PREFIX,
            format!("{model} at {path}: `{name}` is an object and also a folder (`{name}/...`); this passes Cortex's deploy check, and the worker's run-time validation skips the model"),
            format!("delete the object `{name}` (often a folder marker uploaded without its trailing '/')"),
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
        Problem::MissingShards { version, missing, basis } => (
            codes::VARIABLE_SHARDS_MISSING,
            format!(
                "{model} at {path}{} is missing variable shards: {}{}",
                at_version(version),
                missing.join(", "),
                match basis {
                    ShardBasis::Listing => String::new(),
                    ShardBasis::Index(total) => format!(" (variables.index names {total} shards: TensorFlow restores exactly those)"),
                    ShardBasis::Undecodable(why) => format!(" (variables.index could not be decoded: {why}; so every set of data files present must be complete)"),
                }
            ),
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

/// The code of a store failure: every `TFC39xx` is "could not check".
pub fn store_error_code(error: &StoreError) -> Code {
    match error {
        StoreError::AccessDenied { .. } => codes::STORE_ACCESS_DENIED,
        StoreError::NoSuchBucket => codes::BUCKET_NOT_FOUND,
        StoreError::Unreachable { .. } => codes::STORE_UNREACHABLE,
        StoreError::Stalled { .. } => codes::STORE_STALLED,
        StoreError::Incomplete { .. } => codes::STORE_LISTING_INCOMPLETE,
        StoreError::TooLarge { .. } | StoreError::NoSuchKey | StoreError::Other { .. } => {
            codes::STORE_FAILED
        }
    }
}

/// One diagnostic per distinct failure, at the first source it affects.
/// `object` is the object being read, when the failure was a read (else a
/// listing of the source's path).
fn could_not_check(
    error: &StoreError,
    sources: &[&ModelSource],
    store: &str,
    object: Option<&str>,
) -> Diagnostic {
    let code = store_error_code(error);
    let Some(first) = sources.first() else {
        return Diagnostic::error(code, error.to_string());
    };
    let path = &first.path;
    let doing = match object {
        Some(object) => format!("reading {object}"),
        None => format!("listing {path}"),
    };
    let (message, help) = match error {
        StoreError::AccessDenied { detail } => (
            format!("access denied {doing} ({detail})"),
            format!("the credentials in use need s3:ListBucket on arn:aws:s3:::{} (and s3:GetObject on its objects)", path.bucket),
        ),
        StoreError::NoSuchBucket => (
            format!("bucket `{}` disappeared while {doing} ({store})", path.bucket),
            "the store changed while it was being checked; run the check again".to_owned(),
        ),
        StoreError::Unreachable { detail } => (
            format!("could not reach {store} for {doing}: {detail}"),
            "check the network, --s3-endpoint or AWS_ENDPOINT_URL, and AWS_REGION; requests were retried with backoff".to_owned(),
        ),
        StoreError::Stalled { detail } => (
            format!("{doing} stalled: {detail}"),
            "the store accepted the request but did not answer in time; retry, or raise --s3-timeout".to_owned(),
        ),
        StoreError::Incomplete { detail } => (
            format!("the listing of {path} failed part-way: {detail}"),
            "nothing under this prefix was checked; run the check again".to_owned(),
        ),
        StoreError::TooLarge { .. } | StoreError::NoSuchKey => (
            format!("could not finish {doing}: {error}"),
            "the store changed while it was being checked; run the check again".to_owned(),
        ),
        StoreError::Other { detail } => (
            format!("could not finish {doing}: {detail}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dir::DirStore;

    fn source(path: &str) -> ModelSource {
        ModelSource {
            api: "iris".into(),
            name: Some(DEFAULT_MODEL_NAME.into()),
            path: S3Path::parse(path).expect("url"),
            span: 0..0,
            field: "handler.models.path".into(),
            accelerator: Accelerator::Cpu,
            serving: ServingImage::Default,
            signature_key: None,
        }
    }

    fn run_with(limit: u64, source: ModelSource) -> Outcome {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        check_in(&root, limit, &[source])
    }

    /// The models check on a local mirror at `root`.
    fn check_in(root: &std::path::Path, limit: u64, sources: &[ModelSource]) -> Outcome {
        let store = Arc::new(DirStore::new(root).expect("store"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let options = ListOptions {
            concurrency: 4,
            max_saved_model_bytes: limit,
        };
        runtime.block_on(check(store, sources, options))
    }

    fn run(limit: u64) -> Outcome {
        run_with(limit, source("s3://savedmodels/one-signature"))
    }

    fn codes(outcome: &Outcome) -> Vec<(&str, bool)> {
        outcome
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.is_error()))
            .collect()
    }

    /// A graph-mode export with TF 2.3 ops and one signature key: served.
    #[test]
    fn a_tf_2_3_loadable_export_gets_its_signature() {
        let outcome = run_with(
            MAX_SAVED_MODEL_BYTES,
            source("s3://savedmodels/tf23-one-signature"),
        );
        assert_eq!(codes(&outcome), []);
        assert_eq!(
            outcome.models[0].signature.as_ref().map(|s| s.key.as_str()),
            Some("serving_default")
        );
    }

    /// A TF 2.21 export: its init op is a signature key to Cortex
    /// (tfs.py:505-528), and it uses DisableCopyOnRead, which TF 2.3 lacks.
    #[test]
    fn a_tf_2_21_export_is_refused_twice() {
        let outcome = run(MAX_SAVED_MODEL_BYTES);
        assert_eq!(codes(&outcome), [("TFC4004", true), ("TFC4010", true)]);
        let ambiguous = &outcome.diagnostics[0];
        assert!(
            ambiguous
                .message
                .contains("Cortex 0.34 would refuse this model at run time")
        );
        assert!(
            ambiguous
                .message
                .contains("keys '__saved_model_init_op, serving_default'")
        );
        assert_eq!(
            ambiguous.help.as_deref(),
            Some(
                "set `signature_key: serving_default`; Cortex does not pick `serving_default` by itself"
            )
        );
        assert!(
            outcome.diagnostics[1]
                .message
                .contains("`DisableCopyOnRead`")
        );
    }

    #[test]
    fn the_op_check_follows_the_serving_image() {
        let keyed = |serving: ServingImage, accelerator: Accelerator| ModelSource {
            serving,
            accelerator,
            signature_key: Some(WrittenKey {
                key: "serving_default".into(),
                span: 5..10,
                field: "handler.models.signature_key".into(),
            }),
            ..source("s3://savedmodels/one-signature")
        };
        let default = run_with(
            MAX_SAVED_MODEL_BYTES,
            keyed(ServingImage::Default, Accelerator::Gpu),
        );
        assert_eq!(codes(&default), [("TFC4010", true)]);
        assert_eq!(
            default.models[0].signature.as_ref().map(|s| s.key.as_str()),
            Some("serving_default")
        );
        let custom = run_with(
            MAX_SAVED_MODEL_BYTES,
            keyed(
                ServingImage::Custom {
                    image: "tensorflow/serving:2.14.0".into(),
                    span: 20..30,
                },
                Accelerator::Cpu,
            ),
        );
        assert_eq!(codes(&custom), [("TFC4011", false)]);
        assert_eq!(custom.diagnostics[0].secondary[0].span, 20..30);
        let inf = run_with(
            MAX_SAVED_MODEL_BYTES,
            keyed(ServingImage::Inferentia, Accelerator::Inf),
        );
        assert_eq!(codes(&inf), []);
    }

    /// A symbolic link loop and a too-deep folder elsewhere in the bucket:
    /// the valid model beside them is checked as usual, the model under the
    /// broken folder could not be checked (exit 3), and only that one.
    #[cfg(unix)]
    #[test]
    fn a_broken_folder_of_the_mirror_fails_only_its_models() {
        let root =
            std::env::temp_dir().join(format!("cortex-tfc-models-broken-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/savedmodels/tf23-one-signature");
        for model in ["b/ok/nn", "b/loop/nn", "b/deep/nn"] {
            for file in [
                "saved_model.pb",
                "variables/variables.index",
                "variables/variables.data-00000-of-00001",
            ] {
                let to = root.join(model).join(file);
                std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                std::fs::copy(fixture.join(file), to).expect("copy");
            }
        }
        std::os::unix::fs::symlink(root.join("b/loop"), root.join("b/loop/nn/back")).expect("loop");
        let deep: std::path::PathBuf =
            std::iter::repeat_n("x", crate::store::walk::MAX_DEPTH + 2).collect();
        std::fs::create_dir_all(root.join("b/deep/nn").join(deep)).expect("deep");
        let sources: Vec<ModelSource> = ["s3://b/ok/nn", "s3://b/loop/nn", "s3://b/deep/nn"]
            .iter()
            .enumerate()
            .map(|(i, url)| ModelSource {
                name: Some(format!("m{i}")),
                span: i * 10..i * 10 + 5,
                ..source(url)
            })
            .collect();
        let outcome = check_in(&root, MAX_SAVED_MODEL_BYTES, &sources);
        assert_eq!(
            outcome
                .models
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>(),
            ["m0"]
        );
        assert_eq!(codes(&outcome), [("TFC3905", true), ("TFC3905", true)]);
        // failures come grouped by path; the report sorts them by position
        let mut found: Vec<_> = outcome
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.primary.as_ref().map(|l| l.span.clone()),
                    d.message.clone(),
                )
            })
            .collect();
        found.sort_by_key(|(span, _)| span.as_ref().map(|s| s.start));
        assert_eq!(found[0].0, Some(10..15));
        assert!(found[0].1.contains("symbolic link loop"), "{}", found[0].1);
        assert_eq!(found[1].0, Some(20..25));
        assert!(found[1].1.contains("nests deeper than"), "{}", found[1].1);
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn an_oversized_saved_model_is_a_warning_not_a_guess() {
        let outcome = run(1024);
        assert_eq!(codes(&outcome), [("TFC4008", false)]);
        assert!(outcome.models[0].signature.is_none());
    }
}
