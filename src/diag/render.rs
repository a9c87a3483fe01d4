//! Output formats, behind one function: [`render`] turns a finished report
//! into the bytes for stdout and stderr. To add a format, add a
//! [`Format`] variant and its renderer here; nothing else prints.

use std::borrow::Cow;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::Buffer};
use serde::Serialize;

use super::{Diagnostic, InputFile, Severity};
use crate::cluster::placement::{self, ApiPlacement};
use crate::source::SourceFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rich diagnostics with source excerpts, on stderr.
    Human,
    /// One JSON object on stdout (versioned contract, see README).
    Json,
    /// SARIF 2.1.0 on stdout, for GitHub code scanning and other SARIF tools.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::...`) on stdout.
    Github,
}

/// What a run writes.
#[derive(Debug, Default)]
pub struct Rendered {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Everything a renderer needs.
#[derive(Default)]
pub struct Report<'a> {
    pub source: Option<&'a SourceFile>,
    /// The cluster configuration (`--cluster`), when one was read.
    pub cluster: Option<&'a SourceFile>,
    pub diagnostics: &'a [Diagnostic],
    /// What was checked, for the human summary (`2 APIs`).
    pub summary_subject: String,
    /// Where each API can run and what it costs (with `--cluster`): a
    /// top-level `placement` field in JSON, a table in the human output.
    pub placement: Option<&'a [ApiPlacement]>,
}

impl<'a> Report<'a> {
    /// The file a diagnostic's spans point into.
    pub fn source_of(&self, d: &Diagnostic) -> Option<&'a SourceFile> {
        match d.file {
            InputFile::Config => self.source,
            InputFile::Cluster => self.cluster,
        }
    }
}

pub fn render(format: Format, report: &Report<'_>, color: bool) -> Rendered {
    match format {
        Format::Human => Rendered {
            stdout: Vec::new(),
            stderr: human(report, color),
        },
        Format::Json => Rendered {
            stdout: json(report),
            stderr: Vec::new(),
        },
        Format::Sarif => Rendered {
            stdout: super::sarif::render(report),
            stderr: Vec::new(),
        },
        Format::Github => Rendered {
            stdout: github(report).into_bytes(),
            stderr: Vec::new(),
        },
    }
}

fn human(report: &Report<'_>, color: bool) -> Vec<u8> {
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    if !report.diagnostics.is_empty() {
        // indexes every line of the file: only worth it when something is shown
        let (config_text, cluster_text) = (shown_text(report.source), shown_text(report.cluster));
        let (config_file, cluster_file) = (
            simple(report.source, &config_text),
            simple(report.cluster, &cluster_text),
        );
        let config = term::Config::default();
        for diagnostic in report.diagnostics {
            let file = match diagnostic.file {
                InputFile::Config => &config_file,
                InputFile::Cluster => &cluster_file,
            };
            let converted = to_codespan(diagnostic, report.source_of(diagnostic).is_some());
            if term::emit_to_write_style(&mut buffer, &config, file, &converted).is_err() {
                // a span outside the text cannot be drawn: print the header alone
                let header = to_codespan(diagnostic, false);
                let _ = term::emit_to_write_style(&mut buffer, &config, file, &header);
            }
        }
    }
    let mut out = buffer.into_inner();
    if let Some(apis) = report.placement {
        out.extend_from_slice(placement::human(apis).as_bytes());
    }
    out.extend_from_slice(summary(report).as_bytes());
    out
}

fn simple<'a>(source: Option<&'a SourceFile>, text: &'a str) -> SimpleFile<&'a str, &'a str> {
    SimpleFile::new(source.map_or("", SourceFile::name), text)
}

/// The file's text as excerpts show it: control characters (TFC0018) are
/// never written to the terminal as they are (an escape could drive it).
/// Each is replaced by a visible character of the same length in bytes,
/// so spans and columns stay right: `?`, `¿`, or U+FFFD.
fn shown_text(source: Option<&SourceFile>) -> Cow<'_, str> {
    let text = source.map_or("", SourceFile::text);
    let hidden = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c.len_utf8() {
                _ if !hidden(c) => c,
                1 => '?',
                2 => '\u{bf}',
                _ => char::REPLACEMENT_CHARACTER,
            })
            .collect(),
    )
}

fn to_codespan(d: &Diagnostic, with_labels: bool) -> cs::Diagnostic<()> {
    let base = match d.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
        Severity::Note => cs::Diagnostic::note(),
    };
    let mut labels = Vec::new();
    if with_labels {
        if let Some(primary) = &d.primary {
            labels
                .push(cs::Label::primary((), primary.span.clone()).with_message(&primary.message));
        }
        labels.extend(
            d.secondary
                .iter()
                .map(|l| cs::Label::secondary((), l.span.clone()).with_message(&l.message)),
        );
    }
    let mut notes = Vec::new();
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    notes.extend(d.notes.iter().cloned());
    base.with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

fn summary(report: &Report<'_>) -> String {
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = report.diagnostics.iter().filter(|d| d.is_warning()).count();
    let name = match (report.source, report.cluster) {
        (Some(config), Some(cluster)) => format!("{} with {}", config.name(), cluster.name()),
        (Some(config), None) => config.name().to_owned(),
        _ => "input".to_owned(),
    };
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, 0) => format!("{name}: ok ({})\n", report.summary_subject),
        (0, w) => format!(
            "{name}: ok with {} ({})\n",
            plural(w, "warning"),
            report.summary_subject
        ),
        (e, w) => format!("{name}: {}, {}\n", plural(e, "error"), plural(w, "warning")),
    }
}

/// `--format github`: one workflow command per diagnostic, which GitHub
/// Actions turns into an annotation on the line.
fn github(report: &Report<'_>) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut properties = Vec::new();
        if let Some(source) = report.source_of(d) {
            properties.push(format!("file={}", escape_property(source.name())));
            if let Some(label) = &d.primary {
                let (start, end) = (
                    source.position(label.span.start),
                    source.position(label.span.end),
                );
                properties.push(format!("line={}", start.line));
                properties.push(format!("col={}", start.column));
                properties.push(format!("endLine={}", end.line));
                properties.push(format!("endColumn={}", end.column));
            }
        }
        let title = format!("{} {}", d.code, d.code.info().map_or("", |i| i.title));
        properties.push(format!("title={}", escape_property(&title)));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// Workflow-command message data: `%`, CR and LF are escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command property values also escape `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `--format json`: version 1 of the contract in the README.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    ok: bool,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    /// Only with `--cluster`: where each API runs and what it costs.
    #[serde(skip_serializing_if = "Option::is_none")]
    placement: Option<&'a [ApiPlacement]>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'static str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    api: Option<&'a str>,
    path: Option<&'a str>,
    help: Option<&'a str>,
    notes: &'a [String],
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn json(report: &Report<'_>) -> Vec<u8> {
    let diagnostics = report
        .diagnostics
        .iter()
        .map(|d| {
            let source = report.source_of(d);
            let start = source
                .zip(d.primary.as_ref())
                .map(|(s, l)| s.position(l.span.start));
            let end = source
                .zip(d.primary.as_ref())
                .map(|(s, l)| s.position(l.span.end));
            let related = source
                .map(|s| {
                    d.secondary
                        .iter()
                        .map(|l| {
                            let (a, b) = (s.position(l.span.start), s.position(l.span.end));
                            JsonRelated {
                                message: &l.message,
                                line: a.line,
                                column: a.column,
                                end_line: b.line,
                                end_column: b.column,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            JsonDiagnostic {
                severity: d.severity,
                code: d.code.as_str(),
                message: &d.message,
                file: source.map(SourceFile::name),
                line: start.map(|p| p.line),
                column: start.map(|p| p.column),
                end_line: end.map(|p| p.line),
                end_column: end.map(|p| p.column),
                api: d.api.as_deref(),
                path: d.path.as_deref(),
                help: d.help.as_deref(),
                notes: &d.notes,
                related,
            }
        })
        .collect();
    let body = JsonReport {
        version: 1,
        ok: !report.diagnostics.iter().any(Diagnostic::is_error),
        diagnostics,
        placement: report.placement,
    };
    let mut out = serde_json::to_vec_pretty(&body).unwrap_or_default();
    out.push(b'\n');
    out
}
