//! Diagnostics as plain values.
//!
//! Every stage reports problems as [`Diagnostic`]s; nothing prints while
//! checking. Rendering (human, JSON) happens once, at the end, in
//! [`render`]. To add a new problem: register its code in [`codes`] (with a
//! long explanation), then build it with [`Diagnostic::error`] or
//! [`Diagnostic::warning`] where the problem is found.

pub mod codes;
pub mod render;
pub mod sarif;

use crate::source::Span;
pub use codes::Code;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Information about the run itself (what was not checked); never
    /// fails a run, even with `--deny-warnings`.
    Note,
}

/// Which input file a diagnostic points into: cortex.yaml, or the cluster
/// configuration passed with `--cluster`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputFile {
    #[default]
    Config,
    Cluster,
}

/// A labelled byte range in the checked file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// Longer context shown after the help (layouts, lists).
    pub notes: Vec<String>,
    /// Name of the API the problem belongs to, when known.
    pub api: Option<String>,
    /// Dotted field path inside the API (`autoscaling.min_replicas`).
    pub path: Option<String>,
    /// The file the labels' spans point into.
    pub file: InputFile,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
            api: None,
            path: None,
            file: InputFile::Config,
        }
    }

    /// A note about the run (severity note), such as checks left out.
    pub fn run_note(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, message)
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Says which file the spans point into (cortex.yaml by default).
    pub fn in_file(mut self, file: InputFile) -> Self {
        self.file = file;
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn in_api(mut self, api: Option<&str>) -> Self {
        self.api = api.map(str::to_owned);
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.path = (!path.is_empty()).then_some(path);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// True when the problem is that something could not be checked (the
    /// store failed), not that the input is wrong: exit code 3.
    pub fn is_could_not_check(&self) -> bool {
        codes::is_could_not_check(self.code)
    }
}

/// Sorts diagnostics into reading order (by position, then code) and drops
/// exact repeats, so output is deterministic whatever order stages ran in.
pub fn sort_for_output(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let start = |d: &Diagnostic| d.primary.as_ref().map(|l| (l.span.start, l.span.end));
        a.file
            .cmp(&b.file)
            .then_with(|| start(a).cmp(&start(b)))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
    diagnostics.dedup();
}

/// "did you mean" for a misspelt word among known candidates.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let fields = ["min_replicas", "max_replicas", "init_replicas", "window"];
        assert_eq!(suggest("min_replica", fields), Some("min_replicas"));
        assert_eq!(suggest("windw", fields), Some("window"));
        assert_eq!(suggest("completely_else", fields), None);
    }
}
