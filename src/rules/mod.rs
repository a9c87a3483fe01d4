//! Cortex 0.34 semantic rules for `kind: AsyncAPI` with the TensorFlow handler.
//!
//! Each rule is one small function from an [`ApiCtx`] (or all of them, for
//! cross-API rules) to the diagnostics it finds, with its own code from
//! `diag::codes`. To add a rule: write the function in the file of its
//! section, register it in [`API_RULES`] or [`FILE_RULES`], and give it a
//! unit test that asserts its code and its span.

mod autoscaling;
mod compute;
pub mod handler;
mod models;
mod names;
pub mod networking;
pub mod project_files;
mod python_class;
pub mod scope;
mod update_strategy;

use std::path::Path;

use crate::config::ApiConfig;
use crate::diag::{Code, Diagnostic};
use crate::schema::{Located, Seg, display_path, locate};
use crate::source::Span;
use crate::yaml::Node;

/// One decoded API, with what rules need to point at its text.
pub struct ApiCtx<'a> {
    pub name: &'a str,
    pub config: &'a ApiConfig,
    pub node: &'a Node,
    /// The directory holding cortex.yaml: project files are relative to it.
    pub project_dir: &'a Path,
    /// The files `cortex deploy` would upload from `project_dir`.
    pub project: &'a project_files::ProjectFiles,
}

type ApiRule = fn(&ApiCtx<'_>) -> Vec<Diagnostic>;
type FileRule = fn(&[ApiCtx<'_>]) -> Vec<Diagnostic>;

/// Rules that look at one API.
const API_RULES: &[ApiRule] = &[
    names::reserved_prefix,
    handler::path_is_python,
    handler::class_renamed_in_0_34,
    handler::class_interface,
    handler::async_restrictions,
    handler::reserved_env,
    handler::images,
    handler::python_path,
    models::one_source,
    models::s3_schemes,
    models::model_names,
    models::no_cache_for_async,
    compute::quantities,
    compute::shm_fits_memory,
    compute::one_accelerator,
    compute::one_inferentia_chip,
    compute::neuron_cores_split,
    autoscaling::durations,
    autoscaling::replica_bounds,
    autoscaling::concurrency,
    update_strategy::surge_and_unavailable,
    networking::endpoint,
    project_files::handler_file,
    project_files::dependency_files,
];

/// Rules that compare APIs with each other.
const FILE_RULES: &[FileRule] = &[
    networking::duplicate_endpoints,
    project_files::upload_problems,
];

/// Runs every rule over the decoded APIs.
pub fn run(apis: &[ApiCtx<'_>]) -> Vec<Diagnostic> {
    let per_api = apis
        .iter()
        .flat_map(|api| API_RULES.iter().flat_map(move |rule| rule(api)));
    let across = FILE_RULES.iter().flat_map(|rule| rule(apis));
    per_api.chain(across).collect()
}

pub use names::duplicate_names;

/// Parses `handler.models.paths[1].name` into path segments.
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = part
            .split_once('[')
            .map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_owned()));
        }
        for index in indexes.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                segs.push(Seg::Index(i));
            }
        }
    }
    segs
}

impl ApiCtx<'_> {
    fn locate(&self, path: &str) -> Option<Located<'_>> {
        locate(self.node, &parse_path(path))
    }

    /// The span of the value at `path`, falling back to its key, then to the
    /// nearest written ancestor (for defaults the user never wrote).
    pub fn value_span(&self, path: &str) -> Span {
        let mut segs = parse_path(path);
        loop {
            if let Some(found) = locate(self.node, &segs) {
                return if segs.is_empty() {
                    self.name_span()
                } else {
                    found.value_span()
                };
            }
            if segs.pop().is_none() {
                return self.name_span();
            }
        }
    }

    /// The span of the key of `path` (or of its value for list items).
    pub fn key_span(&self, path: &str) -> Span {
        match self.locate(path) {
            Some(Located {
                key_span: Some(span),
                ..
            }) => span,
            _ => self.value_span(path),
        }
    }

    /// Where "this API" is shown: its name, else its first key.
    pub fn name_span(&self) -> Span {
        match self.node.entry("name") {
            Some(entry) => entry.value.span.clone(),
            None => self.node.span.clone(),
        }
    }

    /// An error labelled on the value at `path`.
    pub fn error(
        &self,
        code: Code,
        path: &str,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        self.on_value(Diagnostic::error(code, message), path, label)
    }

    /// A warning labelled on the value at `path`.
    pub fn warning(
        &self,
        code: Code,
        path: &str,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        self.on_value(Diagnostic::warning(code, message), path, label)
    }

    /// Labels a diagnostic on the value at `path` and ties it to this API.
    fn on_value(&self, diagnostic: Diagnostic, path: &str, label: impl Into<String>) -> Diagnostic {
        diagnostic
            .at(self.value_span(path), label)
            .in_api(Some(self.name))
            .with_path(display_path(&parse_path(path)))
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Runs rules on a YAML snippet, for the unit tests of each rule.
    use super::*;
    use crate::diag::Diagnostic;

    /// A minimal valid API; `extra` is spliced in as more top-level lines of
    /// the API item (or overrides via YAML merge order).
    pub fn api_yaml(handler_extra: &str, api_extra: &str) -> String {
        format!(
            "- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n{handler_extra}{api_extra}"
        )
    }

    /// The API items of a YAML list.
    pub fn items(text: &str) -> Vec<crate::yaml::Node> {
        let parsed = crate::yaml::parse(text, crate::yaml::Limits::default());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        match parsed.root.map(|r| r.value) {
            Some(crate::yaml::Value::Seq(items)) => items,
            other => panic!("expected a list, found {other:?}"),
        }
    }

    /// Parses, decodes and runs one rule.
    pub fn run_rule(text: &str, rule: ApiRule) -> Vec<Diagnostic> {
        run_with(text, rule)
    }

    pub fn run_with(text: &str, f: impl Fn(&ApiCtx<'_>) -> Vec<Diagnostic>) -> Vec<Diagnostic> {
        let items = items(text);
        let item = &items[0];
        let config: ApiConfig = serde_json::from_value(item.to_json()).expect("decodes");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/project");
        let project = project_files::collect(&dir, "cortex.yaml");
        let ctx = ApiCtx {
            name: &config.name,
            config: &config,
            node: item,
            project_dir: &dir,
            project: &project,
        };
        f(&ctx)
    }

    /// (code, spanned text) of each diagnostic, for assertions.
    pub fn found<'t>(text: &'t str, diags: &[Diagnostic]) -> Vec<(&'static str, &'t str)> {
        diags
            .iter()
            .map(|d| {
                let span = d.primary.as_ref().map(|l| l.span.clone()).unwrap_or(0..0);
                (d.code.as_str(), &text[span])
            })
            .collect()
    }
}
