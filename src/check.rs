//! The `check` pipeline: load → parse → scope → schema → decode → rules.
//!
//! Stages never stop each other from reporting: a schema error in one API
//! prunes that value and the rules still run on the rest; other APIs are
//! checked in full. Only fatal input errors (unreadable, not YAML) stop
//! before the next stage.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cluster::placement::{self, ApiPlacement};
use crate::cluster::{ClusterConfig, LoadedCluster, fit};
use crate::config::ApiConfig;
use crate::diag::{Diagnostic, codes, sort_for_output};
use crate::load::{LoadError, load};
use crate::models::{self, ListOptions, Model, ModelSource, sources};
use crate::rules::project_files::{self, ProjectFiles};
use crate::rules::{self, ApiCtx, scope};
use crate::schema::{SchemaChecker, repair};
use crate::source::SourceFile;
use crate::store::dir::DirStore;
use crate::store::s3::{S3Options, S3Store};
use crate::store::{S3Path, StoreError};
use crate::yaml::{self, Limits, Node, Value};

/// The outcome of checking one file.
pub struct Checked {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    /// APIs that decoded (with or without rule errors), in file order.
    pub apis: Vec<ApiConfig>,
    /// Models found valid in the store, by API.
    pub models: Vec<Model>,
    /// The cluster file (`--cluster`), for rendering its diagnostics.
    pub cluster_source: Option<SourceFile>,
    /// The cluster configuration, when `--cluster` named one that decoded.
    pub cluster: Option<ClusterConfig>,
    /// Where each API can run and what it costs (with a cluster).
    pub placement: Option<Vec<ApiPlacement>>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Something could not be checked (the store failed): exit code 3.
    pub fn is_incomplete(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_could_not_check)
    }

    /// Adds the checked cluster file: its diagnostics join the report.
    pub fn add_cluster_file(&mut self, loaded: LoadedCluster) {
        self.diagnostics.extend(loaded.diagnostics);
        sort_for_output(&mut self.diagnostics);
        self.cluster_source = Some(loaded.source);
    }
}

/// How model files are checked.
#[derive(Debug, Clone)]
pub enum ModelCheck {
    /// Not at all (`--offline`): one warning says so.
    Offline,
    /// A local mirror of the buckets (`--store DIR`).
    Local(PathBuf),
    /// S3 or an S3-compatible server, through the AWS chain.
    S3(S3Options),
}

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub models: ModelCheck,
    /// Listings in flight at once.
    pub concurrency: usize,
    /// The cluster (`--cluster`): its deploy checks run, and placement is
    /// computed. `None`: a note says which checks were left out.
    pub cluster: Option<ClusterConfig>,
    /// A cluster file was given, even if it did not decode: no note then.
    pub cluster_given: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            models: ModelCheck::Offline,
            concurrency: DEFAULT_CONCURRENCY,
            cluster: None,
            cluster_given: false,
        }
    }
}

/// Listings in flight at once by default: enough to hide S3 latency, well
/// below S3's per-prefix request rates.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Why a check could not produce a report about the input.
pub enum Failure {
    /// The file does not exist (usage error).
    NotFound(Box<Diagnostic>),
    /// The file could not be read (could not finish).
    Io(Box<Diagnostic>),
}

/// Checks the file at `path`; `shown_name` is how diagnostics name it.
pub fn check_file(
    path: &Path,
    shown_name: &str,
    options: &CheckOptions,
) -> Result<Checked, Failure> {
    let project_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    match load(path, shown_name) {
        Ok(source) => Ok(check_source(source, &project_dir, options)),
        Err(LoadError::NotFound(d)) => Err(Failure::NotFound(d)),
        Err(LoadError::Io(d)) => Err(Failure::Io(d)),
        Err(LoadError::Invalid(invalid)) => {
            let (source, d) = *invalid;
            Ok(Checked {
                source,
                diagnostics: vec![d],
                apis: Vec::new(),
                models: Vec::new(),
                cluster_source: None,
                cluster: options.cluster.clone(),
                placement: None,
            })
        }
    }
}

/// Checks already-loaded text; project files are looked up in `project_dir`.
pub fn check_source(source: SourceFile, project_dir: &Path, options: &CheckOptions) -> Checked {
    let local = open_local(options);
    let parsed = yaml::parse_observed(
        source.text(),
        source.encoding(),
        Limits::default(),
        &mut warmer(&local),
    );
    let mut diagnostics = parsed.diagnostics;
    let mut apis = Vec::new();
    let mut models = Vec::new();
    let mut placement = None;
    let mut checked_apis = false;
    if let Some(items) = api_items(parsed.root.as_ref(), &source, &mut diagnostics) {
        let config_name = Path::new(source.name())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let items_checked = check_items(items, project_dir, &config_name, options.cluster.as_ref());
        diagnostics.extend(items_checked.diagnostics);
        attribute_to_apis(&mut diagnostics, items);
        let outcome = check_models(&items_checked.sources, options, local);
        diagnostics.extend(outcome.diagnostics);
        apis = items_checked.apis;
        models = outcome.models;
        placement = items_checked.placement;
        checked_apis = true;
    }
    sort_for_output(&mut diagnostics);
    if checked_apis && !options.cluster_given {
        // after sorting: the note closes the report
        diagnostics.push(cluster_note());
    }
    Checked {
        source,
        diagnostics,
        apis,
        models,
        cluster_source: None,
        cluster: options.cluster.clone(),
        placement,
    }
}

/// The list of API items, or a diagnostic saying why there is none.
fn api_items<'a>(
    root: Option<&'a Node>,
    source: &SourceFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<&'a [Node]> {
    if diagnostics
        .iter()
        .any(|d| d.is_error() && !yaml::read_anyway(d))
    {
        return None;
    }
    let empty = Diagnostic::error(
        codes::EMPTY_FILE,
        format!("`{}` holds no YAML document", source.name()),
    )
    .at(0..0, "nothing but blank lines and comments")
    .help("cortex.yaml is a list of APIs, starting with `- name: ...`");
    let Some(root) = root else {
        diagnostics.push(empty);
        return None;
    };
    match &root.value {
        Value::Seq(items) if items.is_empty() => {
            diagnostics.push(
                Diagnostic::error(codes::EMPTY_LIST, "the list of APIs is empty")
                    .at(root.span.clone(), "empty list")
                    .help("add at least one API"),
            );
            None
        }
        Value::Seq(items) => Some(items),
        // `---` alone is an empty document; an explicit `~` or `null` is a value
        Value::Null if root.span.is_empty() => {
            diagnostics.push(empty);
            None
        }
        _ => {
            diagnostics.push(
                Diagnostic::error(
                    codes::TOP_LEVEL_NOT_LIST,
                    format!(
                        "the top level must be a list of APIs, found {}",
                        root.type_name()
                    ),
                )
                .at(head_line(root, source), "not a list")
                .help("start each API with `- `, e.g. `- name: iris`"),
            );
            None
        }
    }
}

/// Names the API of diagnostics found before the APIs were known (such as
/// duplicate keys), from where they point.
fn attribute_to_apis(diagnostics: &mut [Diagnostic], items: &[Node]) {
    for d in diagnostics.iter_mut().filter(|d| d.api.is_none()) {
        let Some(at) = d.primary.as_ref().map(|l| l.span.start) else {
            continue;
        };
        if let Some(item) = items.iter().find(|i| i.span.contains(&at)) {
            d.api = scope::api_name(item).map(str::to_owned);
        }
    }
}

/// The first line of a node's text, so a label on a whole document stays short.
fn head_line(node: &Node, source: &SourceFile) -> std::ops::Range<usize> {
    let start = node.span.start;
    let line = source.position(start).line;
    let end =
        (source.line_start(line + 1).saturating_sub(1)).clamp(start, node.span.end.max(start));
    start..end
}

/// The note of a check without `--cluster`.
fn cluster_note() -> Diagnostic {
    Diagnostic::run_note(
        codes::CLUSTER_CHECKS_SKIPPED,
        "cluster checks not run: compute.node_groups, whether each request fits the cluster's instance types, GPU/Inferentia availability, placement and cost need the cluster configuration",
    )
    .help("pass Cortex's cluster configuration with --cluster cluster.yaml")
}

/// What checking the API items found.
#[derive(Default)]
struct ItemsChecked {
    apis: Vec<ApiConfig>,
    sources: Vec<ModelSource>,
    diagnostics: Vec<Diagnostic>,
    placement: Option<Vec<ApiPlacement>>,
}

fn check_items(
    items: &[Node],
    project_dir: &Path,
    config_name: &str,
    cluster: Option<&ClusterConfig>,
) -> ItemsChecked {
    let mut diagnostics = rules::duplicate_names(items);
    let checker = match SchemaChecker::new() {
        Ok(c) => c,
        Err(why) => {
            diagnostics.push(Diagnostic::error(codes::INTERNAL, why));
            return ItemsChecked {
                diagnostics,
                ..ItemsChecked::default()
            };
        }
    };
    let mut decoded: Vec<(ApiConfig, &Node)> = Vec::new();
    for item in items {
        let (config, found) = check_item(&checker, item);
        diagnostics.extend(found);
        if let Some(config) = config {
            decoded.push((config, item));
        }
    }
    // what `cortex deploy` would upload, walked once for every API
    let project = if decoded.is_empty() {
        ProjectFiles::default()
    } else {
        project_files::collect(project_dir, config_name)
    };
    let contexts: Vec<ApiCtx<'_>> = decoded
        .iter()
        .map(|(config, node)| ApiCtx {
            name: &config.name,
            config,
            node,
            project_dir,
            project: &project,
        })
        .collect();
    diagnostics.extend(rules::run(&contexts));
    if let Some(cluster) = cluster {
        diagnostics.extend(fit::run(&contexts, cluster));
    }
    let placement = cluster.map(|cluster| {
        contexts
            .iter()
            .map(|api| placement::of_api(api, cluster))
            .collect()
    });
    // an API whose models section has errors is not listed: its paths
    // may be exactly what is wrong
    let broken: BTreeSet<&str> = diagnostics
        .iter()
        .filter(|d| d.is_error() && touches_models(d))
        .filter_map(|d| d.api.as_deref())
        .collect();
    let sources = contexts
        .iter()
        .filter(|api| !broken.contains(api.name))
        .flat_map(sources::of_api)
        .collect();
    drop(contexts);
    ItemsChecked {
        apis: decoded.into_iter().map(|(c, _)| c).collect(),
        sources,
        diagnostics,
        placement,
    }
}

/// Schema-checks one item and decodes it (after repairing what the schema
/// refused, so that the rules still see every other field).
fn check_item(checker: &SchemaChecker, item: &Node) -> (Option<ApiConfig>, Vec<Diagnostic>) {
    if let Some(d) = scope::out_of_scope(item) {
        return (None, vec![d]);
    }
    let api = scope::api_name(item);
    let mut json = item.to_json();
    let report = checker.check_json(item, &json, api);
    repair(&mut json, &report.repairs);
    let schema_failed = !report.diagnostics.is_empty();
    let mut diagnostics = report.diagnostics;
    // serde decodes a JSON value recursively: the free-form `config`, legal
    // thousands of levels deep, is moved into place instead
    let free_form = take_handler_config(&mut json);
    match serde_json::from_value::<ApiConfig>(json) {
        Ok(mut config) => {
            if free_form.is_some() {
                config.handler.config = free_form;
            }
            return (Some(config), diagnostics);
        }
        // a required field failed the schema: already reported
        Err(_) if schema_failed => {}
        Err(e) => diagnostics.push(
            Diagnostic::error(
                codes::INTERNAL,
                format!("the API passed the schema but could not be decoded: {e}"),
            )
            .at(item.span.clone(), "this API")
            .in_api(api),
        ),
    }
    (None, diagnostics)
}

/// Takes `handler.config` out of an API's JSON when it is a mapping,
/// leaving an empty one to decode.
fn take_handler_config(
    json: &mut serde_json::Value,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let slot = json.get_mut("handler")?.get_mut("config")?;
    match slot.take() {
        serde_json::Value::Object(map) => {
            *slot = serde_json::Value::Object(serde_json::Map::new());
            Some(map)
        }
        other => {
            *slot = other;
            None
        }
    }
}

fn touches_models(d: &Diagnostic) -> bool {
    d.path
        .as_deref()
        .is_some_and(|p| p == "handler" || p.starts_with("handler.models"))
}

type Local = Option<Result<Arc<DirStore>, StoreError>>;

/// The local store, if the options name one: opened before the document is
/// parsed, so that it can start indexing buckets meanwhile.
fn open_local(options: &CheckOptions) -> Local {
    match &options.models {
        ModelCheck::Local(dir) => Some(DirStore::new(dir).map(Arc::new)),
        _ => None,
    }
}

/// Buckets warmed while parsing, at most: a document naming many more is
/// odd, and each warm bucket costs a thread.
const WARM_BUCKETS: usize = 4;

/// Shown every scalar of the document as it is parsed: the first few
/// `s3://` buckets start being indexed by the local store at once (the
/// walk is most of a local check's time). A bucket that turns out unused,
/// or named only by an API with errors, costs only its walk.
fn warmer(local: &Local) -> impl FnMut(&str) + '_ {
    let mut warmed: Vec<String> = Vec::new();
    move |scalar| {
        let Some(Ok(store)) = local else {
            return;
        };
        if warmed.len() >= WARM_BUCKETS || !scalar.starts_with("s3://") {
            return;
        }
        if let Some(path) = S3Path::parse(scalar)
            && !warmed.contains(&path.bucket)
        {
            store.warm(&path.bucket);
            warmed.push(path.bucket);
        }
    }
}

/// Runs the models stage on the sources, as the options say (`local` is
/// the local store [`open_local`] opened).
fn check_models(sources: &[ModelSource], options: &CheckOptions, local: Local) -> models::Outcome {
    let Some(first) = sources.first() else {
        return models::Outcome::default();
    };
    let list = ListOptions {
        concurrency: options.concurrency,
        max_saved_model_bytes: models::MAX_SAVED_MODEL_BYTES,
    };
    let store = match &options.models {
        ModelCheck::Offline => {
            let apis: BTreeSet<&str> = sources.iter().map(|s| s.api.as_str()).collect();
            let warning = Diagnostic::warning(
                codes::MODELS_NOT_CHECKED,
                format!("model files were not checked (--offline): {} model path(s) in {} API(s)", sources.len(), apis.len()),
            )
            .at(first.span.clone(), "not checked")
            .help("run without --offline, or with --store DIR for a local mirror, to check the models");
            let mut diagnostics = models::path_verdicts(sources);
            diagnostics.push(warning);
            return models::Outcome {
                diagnostics,
                models: Vec::new(),
            };
        }
        other => other,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return models::Outcome {
                diagnostics: vec![Diagnostic::error(
                    codes::INTERNAL,
                    format!("cannot start the I/O runtime: {e}"),
                )],
                models: Vec::new(),
            };
        }
    };
    runtime.block_on(async {
        match store {
            ModelCheck::Local(dir) => {
                match local.unwrap_or_else(|| DirStore::new(dir).map(Arc::new)) {
                    Ok(store) => models::check(store, sources, list).await,
                    Err(e) => models::Outcome {
                        diagnostics: vec![
                            Diagnostic::error(codes::STORE_FAILED, e.to_string())
                                .at(first.span.clone(), "not checked")
                                .help("--store names a directory holding one folder per bucket"),
                        ],
                        models: Vec::new(),
                    },
                }
            }
            ModelCheck::S3(s3) => {
                models::check(Arc::new(S3Store::connect(s3).await), sources, list).await
            }
            ModelCheck::Offline => models::Outcome::default(),
        }
    })
}
