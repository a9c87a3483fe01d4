//! Span-keeping YAML parse, reading YAML as Cortex 0.34 reads it.
//!
//! Builds a small document tree from `saphyr-parser` events. Every node and
//! every mapping key keeps its byte span, so later stages can point at the
//! exact text. The builder is iterative (no recursion on input depth) and
//! enforces the input limits: nesting depth and the total number of nodes,
//! counting every copy an alias makes (alias bombs). Duplicate keys are
//! reported, all of them, with the first definition as a secondary label
//! (a deliberate difference: Cortex keeps the last one silently).
//!
//! The meaning of the text is Cortex's: its fork of go-yaml v2 (see
//! [`resolve`]) resolves plain scalars by YAML 1.1 rules, reads only the
//! first document, ignores tags it does not know, decodes `!!binary`, and
//! applies `<<` merge keys where they appear (`decode.go` `merge`).

mod goscan;
mod reader;
mod resolve;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use crate::diag::{Diagnostic, codes};
use crate::source::{Encoding, Span};

use goscan::{DocumentEnd, Wanted};
use resolve::{CORE_PREFIX, Tagged, resolve_tagged};
pub use resolve::{resolve_plain, yaml11_reading};

/// Limits that keep hostile input cheap to reject.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_nodes: usize,
    /// Commas in the text, an upper bound on flow-collection items: the
    /// parser buffers a whole flow collection's tokens (~1 KB each), so a
    /// one-line list of a million items would cost hundreds of MB.
    pub max_commas: usize,
}

/// Nesting Cortex's reader accepts: go-yaml's scanner stops at 10000 levels
/// (`scannerc.go` `max_flow_level`, `max_indents`). Ours stops a little
/// earlier; no hand-written file comes near either.
pub const MAX_DEPTH: usize = 5_000;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: MAX_DEPTH,
            max_nodes: 250_000,
            max_commas: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    /// The text of a plain (unquoted, untagged) scalar that YAML 1.1 rules
    /// resolved to something other than a string (`yes`, `010`, `~`), and
    /// of a plain `<<`: what [`yaml11_reading`] explains. `None` for
    /// strings, quoted or tagged scalars and collections (so that a large
    /// document does not hold its text twice).
    pub plain: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer beyond int64 that fits uint64: go-yaml decodes it into a
    /// `uint64`, which `encoding/json` writes exactly.
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

impl Value {
    /// The value's YAML type in words, as messages name it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Uint(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as a string: its value for a string key, its text as
    /// written otherwise (`yes`, `010`, empty for a null key).
    pub key: String,
    pub key_span: Span,
    /// The key as Cortex reads it: `Str` for a string key, `Bool` for
    /// `yes:`, `Int` for `1:`... Cortex refuses non-string keys where it
    /// wants strings (`interface_map.go` `StringKeysOnly`).
    pub key_value: Value,
    pub value: Node,
}

impl Entry {
    /// Whether the key is a string, as Cortex requires of field names and
    /// `config` keys.
    pub fn key_is_string(&self) -> bool {
        matches!(self.key_value, Value::Str(_))
    }

    /// The key's resolved YAML type in words (`"a string"`, `"a boolean"`).
    pub fn key_type(&self) -> &'static str {
        self.key_value.type_name()
    }

    /// [`yaml11_reading`] for the key: how Cortex reads an unquoted
    /// `yes:` or `1:` key, and how to quote it.
    pub fn key_reading(&self) -> Option<String> {
        if self.key_is_string() {
            return None;
        }
        resolve::reading(&self.key, &self.key_value)
    }
}

impl Node {
    /// The entry for `key` when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A short name of the node's type, as a user would say it.
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// The JSON form of the document, for schema validation and decoding.
    /// Iterative: a legal document may nest thousands of levels.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        enum Work<'a> {
            Visit(&'a Node),
            Seq(usize),
            Map(&'a [Entry]),
        }
        let mut work = vec![Work::Visit(self)];
        let mut done: Vec<J> = Vec::new();
        while let Some(step) = work.pop() {
            match step {
                Work::Visit(node) => match &node.value {
                    Value::Seq(items) => {
                        work.push(Work::Seq(items.len()));
                        work.extend(items.iter().rev().map(Work::Visit));
                    }
                    Value::Map(entries) => {
                        work.push(Work::Map(entries));
                        work.extend(entries.iter().rev().map(|e| Work::Visit(&e.value)));
                    }
                    scalar => done.push(scalar_json(scalar)),
                },
                Work::Seq(len) => {
                    let items = done.split_off(done.len().saturating_sub(len));
                    done.push(J::Array(items));
                }
                Work::Map(entries) => {
                    let values = done.split_off(done.len().saturating_sub(entries.len()));
                    let object = entries.iter().map(|e| e.key.clone()).zip(values);
                    done.push(J::Object(object.collect()));
                }
            }
        }
        done.pop().unwrap_or(J::Null)
    }
}

fn scalar_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Uint(u) => J::from(*u),
        // an integral float (`1.0`) is an integer to JSON Schema; make
        // it one for decoding too
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(*f as i64),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.clone()),
        Value::Null | Value::Seq(_) | Value::Map(_) => J::Null,
    }
}

/// The result of parsing: the document (absent after a fatal error) and
/// every problem found on the way.
#[derive(Debug)]
pub struct Parsed {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses the first YAML document of `text`, the one Cortex reads. `text`
/// must be the whole file (read from UTF-8); spans are byte offsets into it.
pub fn parse(text: &str, limits: Limits) -> Parsed {
    parse_observed(text, Encoding::Utf8, limits, &mut |_| {})
}

/// [`parse`] of a file read from `encoding`, showing every scalar to
/// `observe` as soon as it is read, so that a later stage can start on
/// what it needs before the whole document is parsed.
pub fn parse_observed(
    text: &str,
    encoding: Encoding,
    limits: Limits,
    observe: &mut dyn FnMut(&str),
) -> Parsed {
    if let Some((at, _)) = text.match_indices(',').nth(limits.max_commas) {
        let diagnostic = Diagnostic::error(
            codes::ALIAS_BUDGET,
            format!("the document holds more than {} comma-separated items", limits.max_commas),
        )
        .at(at..at + 1, "the limit was passed here")
        .help("a cortex.yaml needs a few commas; this input is almost certainly generated by mistake or hostile");
        return Parsed {
            root: None,
            diagnostics: vec![diagnostic],
        };
    }
    if let Some(refused) = refused_directive(text) {
        return Parsed {
            root: None,
            diagnostics: vec![refused],
        };
    }
    let mut walk = goscan::scan(text, Wanted { pads: false });
    let mut read = read_document(text, &walk, limits, observe);
    if read.syntax_refused {
        // What saphyr refuses and go-yaml may read: lines in brackets or
        // quotes at any indentation (read again with them indented as
        // saphyr wants; values unchanged), and whatever follows a line left
        // of an indented root block, which go-yaml never reads.
        let full = goscan::scan(text, Wanted { pads: true });
        if !full.pads.is_empty() || full.end.is_some() {
            let end = full.end.map_or(text.len(), |(at, _)| at);
            read = read_document(text.get(..end).unwrap_or(text), &full, limits, observe);
            if let Some((at, why)) = full.end {
                read.reading_stops.get_or_insert(at);
                let line = text.get(at..line_end(text, at)).unwrap_or_default();
                let problem = match why {
                    DocumentEnd::Directive => directive_problem(line, false),
                    DocumentEnd::LeftOfRoot => None,
                };
                read.diagnostics.push(match (why, problem) {
                    // go-yaml's parser peeks at the directive, so its
                    // scanner reads it: a bad one fails the decode
                    (_, Some(message)) => {
                        read.root = None;
                        directive_refused(at, line, message)
                    }
                    (DocumentEnd::LeftOfRoot, None) => {
                        ignored_after_root(text, at, full.root_start)
                    }
                    (DocumentEnd::Directive, None) => later_documents(at..at + line.len()),
                });
            }
            walk = full;
        }
    }
    let Read {
        mut root,
        mut diagnostics,
        reading_stops,
        ..
    } = read;
    // What go-yaml refuses before saphyr would: control characters in
    // what its reader decodes, and tabs. It stops at the first; what the
    // parser found before that point stands, what it found after may be
    // a consequence.
    let read_end = match reading_stops {
        // the scanner needs `---` or `...` and one character more
        Some(at) => reader::read_end(text, encoding, at + 3),
        None => text.len(),
    };
    let mut refused = reader::control_characters(text, read_end);
    if let Some(tab) = walk.error
        && refused
            .first()
            .and_then(primary_start)
            .is_none_or(|c| tab.at < c)
    {
        refused.insert(0, tab_error(text, tab));
    }
    if let Some(first) = refused.iter().filter_map(primary_start).min() {
        diagnostics.retain(|d| primary_start(d).is_some_and(|at| at < first));
        diagnostics.extend(refused);
        root = None;
    }
    Parsed { root, diagnostics }
}

/// What one reading of the text by saphyr gave.
struct Read {
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
    reading_stops: Option<usize>,
    /// saphyr stopped on a syntax error.
    syntax_refused: bool,
}

/// Reads `text` with saphyr, given the tabs go-yaml skips as spaces (same
/// length: no span moves, no value changes) and the walk's pads inserted.
fn read_document(
    text: &str,
    walk: &goscan::Walk,
    limits: Limits,
    observe: &mut dyn FnMut(&str),
) -> Read {
    let scanned = saphyr_input(text, walk);
    let offsets = CharOffsets::new(text, &walk.pads);
    let mut builder = Builder::new(text, limits, &offsets, observe);
    // The parser is third-party code fed with untrusted bytes: if it ever
    // panics, report an internal error instead of crashing.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        builder.run(Parser::new_from_str(&scanned))
    }));
    let mut diagnostics = std::mem::take(&mut builder.diagnostics);
    let root = match outcome {
        Ok(Ok(root)) => root,
        Ok(Err(fatal)) => {
            diagnostics.push(*fatal);
            None
        }
        Err(_) => {
            diagnostics.push(Diagnostic::error(
                codes::INTERNAL,
                "the YAML parser failed on this input",
            ));
            None
        }
    };
    Read {
        root,
        diagnostics,
        reading_stops: builder.reading_stops,
        syntax_refused: builder.syntax_refused,
    }
}

/// The text saphyr is given: tabs go-yaml skips turned into spaces, and
/// the pads inserted.
fn saphyr_input<'t>(text: &'t str, walk: &goscan::Walk) -> Cow<'t, str> {
    if walk.separators.is_empty() && walk.pads.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for &at in &walk.separators {
        if let Some(b @ b'\t') = bytes.get_mut(at) {
            *b = b' ';
        }
    }
    let mut input = Vec::with_capacity(bytes.len() + walk.pads.len());
    let mut from = 0;
    for pad in &walk.pads {
        let at = pad.at.clamp(from, bytes.len());
        input.extend_from_slice(bytes.get(from..at).unwrap_or_default());
        input.resize(input.len() + pad.width, b' ');
        from = at;
    }
    input.extend_from_slice(bytes.get(from..).unwrap_or_default());
    String::from_utf8(input).map_or(Cow::Borrowed(text), Cow::Owned)
}

/// The deliberate errors on a document Cortex reads (a key written twice,
/// lines it never reads): what it reads is still checked.
pub fn read_anyway(d: &Diagnostic) -> bool {
    d.code == codes::DUPLICATE_KEY || d.code == codes::IGNORED_AFTER_ROOT
}

/// A line left of an indented root block ends go-yaml's document there
/// (`parserc.go`: the block's end, then an implicit document end; `yaml.go`
/// `unmarshal` parses one document): Cortex deploys what came before and
/// never reads the rest. An error, as for duplicate keys: the alternative
/// is losing what was written without a word.
fn ignored_after_root(text: &str, at: usize, root: Option<usize>) -> Diagnostic {
    let column = |i: usize| {
        text.get(line_start(text, i)..i)
            .map_or(0, |t| t.chars().count())
    };
    let end = line_end(text, at);
    let mut d = Diagnostic::error(
        codes::IGNORED_AFTER_ROOT,
        "Cortex's YAML reader stops here: this line starts left of the document's first line, so it and everything after it are never read",
    )
    .at(at..end, "Cortex stops reading here");
    let mut help = "indent this line like the rest of the document, or remove it: Cortex 0.34 would deploy only what comes before it".to_owned();
    if let Some(root) = root.filter(|&r| r < at) {
        let col = column(root);
        let width = text
            .get(root..)
            .and_then(|t| t.chars().next())
            .map_or(1, char::len_utf8);
        d = d.also(
            root..root + width,
            format!("the document starts here, at column {}", col + 1),
        );
        help = format!(
            "indent this line like the rest of the document (from column {}), or remove it: Cortex 0.34 would deploy only what comes before it",
            col + 1
        );
    }
    d.help(help)
}

/// A directive before the document that go-yaml refuses and saphyr reads:
/// a `%YAML` version other than 1.1 ("found incompatible YAML document",
/// cortexlabs/yaml@581aea36a2e4 `parserc.go:1032-1034`), and a directive
/// other than `%YAML` and `%TAG` ("found unknown directive name",
/// `scannerc.go:1566-1568`). Either fails the whole decode.
fn refused_directive(text: &str) -> Option<Diagnostic> {
    let mut start = 0;
    // go-yaml's line breaks: LF, CR, CR LF (NEL and LS/PS do not start a
    // directive line in a real file)
    for line in text.split_inclusive(['\n', '\r']) {
        let at = start;
        start += line.len();
        let raw = line.trim_end_matches(['\n', '\r']);
        let bom = if at == 0 && raw.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        let body = raw.get(bom..).unwrap_or_default();
        let trimmed = body.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // the first line of content: directives come before it
        body.strip_prefix('%')?;
        if let Some(message) = directive_problem(body, true) {
            return Some(directive_refused(at + bom, body, message));
        }
    }
    None
}

/// Why go-yaml refuses the directive line `body` (starting with `%`): an
/// unknown name or a `%YAML` value that is not `<digits>.<digits>`
/// (scanner, `scannerc.go:1540-1700`), and with `versions`, a version other
/// than 1.1 (parser, before the document it starts). A directive after the
/// first document is only scanned, never applied.
fn directive_problem(body: &str, versions: bool) -> Option<String> {
    let directive = body.strip_prefix('%')?;
    let name_end = directive.find([' ', '\t']).unwrap_or(directive.len());
    let (name, rest) = directive.split_at(name_end);
    match name {
        "YAML" => {
            let value = rest.trim_start_matches([' ', '\t']);
            let value = &value[..value.find([' ', '\t', '#']).unwrap_or(value.len())];
            let number = |d: &str| {
                (!d.is_empty() && d.len() <= 9 && d.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| d.parse::<u32>().ok())
                    .flatten()
            };
            let version = value
                .split_once('.')
                .and_then(|(major, minor)| Some((number(major)?, number(minor)?)));
            match version {
                None => Some(
                    "YAML syntax error: the `%YAML` directive needs a version such as 1.1"
                        .to_owned(),
                ),
                Some((1, 1)) => None,
                Some(_) if !versions => None,
                Some(_) => Some(format!(
                    "YAML syntax error: Cortex's YAML reader reads only YAML 1.1 documents, and this one declares `%YAML {value}`"
                )),
            }
        }
        "TAG" => None,
        _ => Some(format!(
            "YAML syntax error: Cortex's YAML reader knows no directive `%{name}`"
        )),
    }
}

fn directive_refused(at: usize, body: &str, message: String) -> Diagnostic {
    Diagnostic::error(codes::YAML_SYNTAX, message)
        .at(at..at + body.len(), "refused directive")
        .help("delete this line (or write `%YAML 1.1`): Cortex's YAML reader refuses the whole file on it")
}

/// The first `\/` in a double-quoted scalar: YAML 1.2 (saphyr) reads it as
/// `/`, go-yaml's scanner knows no such escape and fails the whole decode
/// ("found unknown escape character", cortexlabs/yaml@581aea36a2e4
/// `scannerc.go:2383-2437`). JSON has it, so a value copied from JSON may
/// hold it.
fn json_only_escape(text: &str, span: &Span) -> Option<usize> {
    let quoted = text.get(span.clone())?.as_bytes();
    let mut i = 1;
    while i + 1 < quoted.len() {
        if quoted[i] == b'\\' {
            if quoted[i + 1] == b'/' {
                return Some(span.start + i);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

fn unknown_escape(at: usize) -> Diagnostic {
    Diagnostic::error(
        codes::YAML_SYNTAX,
        "YAML syntax error: `\\/` is not an escape in Cortex's YAML reader (YAML 1.1)",
    )
    .at(at..at + 2, "unknown escape character")
    .help("write `/` without the backslash; Cortex's YAML reader refuses the whole file on `\\/`")
}

/// go-yaml's rule against alias bombs (cortexlabs/yaml@581aea36a2e4
/// `decode.go:320-357`): past 100 aliased and 1,000 decoded values, the
/// share of aliased ones may not pass 99% (falling to 10% between 400,000
/// and 4,000,000 values).
fn excessive_aliasing(decoded: usize, aliased: usize) -> bool {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if aliased <= 100 || decoded <= 1000 {
        return false;
    }
    let allowed = if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) as f64 / (HIGH - LOW) as f64)
    };
    aliased as f64 / decoded as f64 > allowed
}

/// The start of the line holding byte `at`.
fn line_start(text: &str, at: usize) -> usize {
    text.get(..at.min(text.len()))
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// The end of the line holding byte `at` (before its line break).
fn line_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|t| t.find(['\n', '\r']))
        .map_or(text.len(), |n| at + n)
}

fn primary_start(d: &Diagnostic) -> Option<usize> {
    d.primary.as_ref().map(|label| label.span.start)
}

/// The diagnostic for a tab go-yaml refuses.
fn tab_error(text: &str, tab: goscan::TabError) -> Diagnostic {
    use goscan::TabProblem;
    let (message, help) = match tab.problem {
        TabProblem::LineStart => (
            "tab character used for indentation".to_owned(),
            "indent with spaces; YAML does not allow tabs in indentation".to_owned(),
        ),
        TabProblem::AfterIndicator(ch) => (
            format!("tab character after `{ch}`, where Cortex's YAML reader reads indentation"),
            format!("write a space after `{ch}`; Cortex's YAML reader refuses a tab there"),
        ),
        TabProblem::PlainIndent => (
            "tab character used for indentation".to_owned(),
            "indent with spaces; below an unquoted value, Cortex's YAML reader refuses a tab left of the value's block, even on a blank line".to_owned(),
        ),
        TabProblem::BlockScalarIndent => (
            "tab character used for indentation in a `|` or `>` block".to_owned(),
            "indent the block's lines with spaces; Cortex's YAML reader refuses a tab in their indentation, even on a blank line".to_owned(),
        ),
    };
    let end = (tab.at + 1).min(text.len());
    Diagnostic::error(codes::TAB_INDENT, message)
        .at(tab.at..end, "tab here")
        .help(help)
}

/// Maps the parser's character indexes to byte offsets in the text.
struct CharOffsets {
    /// Byte offset of each character the parser reads; empty when that is
    /// the text itself and ASCII.
    bytes: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    /// `pads`: spaces the parser reads that the text does not hold; each
    /// maps to the character it was inserted before.
    fn new(text: &str, pads: &[goscan::Pad]) -> Self {
        let bytes = if text.is_ascii() && pads.is_empty() {
            Vec::new()
        } else {
            let mut pads = pads.iter().peekable();
            let mut bytes = Vec::with_capacity(text.len());
            for (i, _) in text.char_indices() {
                while let Some(pad) = pads.next_if(|p| p.at <= i) {
                    bytes.resize(bytes.len() + pad.width, i);
                }
                bytes.push(i);
            }
            bytes
        };
        Self {
            bytes,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.bytes.is_empty() {
            char_index.min(self.len)
        } else {
            self.bytes.get(char_index).copied().unwrap_or(self.len)
        }
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        self.byte(span.start.index())..self.byte(span.end.index())
    }
}

/// A mapping key read, waiting for its value.
struct PendingKey {
    text: String,
    span: Span,
    value: Value,
    /// `<<` written plain (or tagged `!!merge`): a merge, not a key.
    merge: bool,
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map(Box<MapFrame>),
}

struct MapFrame {
    entries: Vec<Entry>,
    /// Per entry: whether the key was written in this mapping (not only
    /// merged in). Writing it twice is a duplicate; overriding a merged
    /// value is what merging is for.
    written: Vec<bool>,
    pending_key: Option<PendingKey>,
    /// Index of each key, once the mapping is large enough to need it.
    index: HashMap<KeyId, usize>,
    start: Span,
    anchor: usize,
}

/// A key's identity as go-yaml's `map[interface{}]interface{}` sees it:
/// `yes` and `true` are the same key, `1` and `"1"` are not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyId {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(u64),
    Str(String),
}

impl KeyId {
    fn of(value: &Value) -> Self {
        match value {
            Value::Bool(b) => KeyId::Bool(*b),
            Value::Int(i) => KeyId::Int(*i),
            Value::Uint(u) => KeyId::Uint(*u),
            Value::Float(f) => KeyId::Float(f.to_bits()),
            Value::Str(s) => KeyId::Str(s.clone()),
            Value::Null | Value::Seq(_) | Value::Map(_) => KeyId::Null,
        }
    }
}

fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Uint(x), Value::Uint(y)) => x == y,
        _ => false,
    }
}

impl MapFrame {
    fn new(start: Span, anchor: usize) -> Self {
        Self {
            entries: Vec::new(),
            written: Vec::new(),
            pending_key: None,
            index: HashMap::new(),
            start,
            anchor,
        }
    }

    /// Position of the entry with this key. Small mappings are scanned;
    /// large ones get an index so a 100k-key mapping stays linear.
    fn find(&mut self, key: &Value) -> Option<usize> {
        if self.entries.len() < 16 {
            return self
                .entries
                .iter()
                .position(|e| same_key(&e.key_value, key));
        }
        if self.index.is_empty() {
            for (i, e) in self.entries.iter().enumerate() {
                self.index.entry(KeyId::of(&e.key_value)).or_insert(i);
            }
        }
        self.index.get(&KeyId::of(key)).copied()
    }

    /// Sets `entry` as go-yaml's `SetMapIndex` does: replaces the value of
    /// an existing key in place, or appends.
    fn set(&mut self, entry: Entry, written: bool) {
        match self.find(&entry.key_value) {
            Some(i) => {
                self.written[i] |= written;
                self.entries[i] = entry;
            }
            None => {
                if !self.index.is_empty() {
                    self.index
                        .insert(KeyId::of(&entry.key_value), self.entries.len());
                }
                self.entries.push(entry);
                self.written.push(written);
            }
        }
    }
}

type Fatal = Box<Diagnostic>;

struct Builder<'a> {
    text: &'a str,
    limits: Limits,
    offsets: &'a CharOffsets,
    observe: &'a mut dyn FnMut(&str),
    stack: Vec<Frame>,
    /// Anchored nodes with their sizes (what one alias of them costs).
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    /// Of `nodes`, those an alias copied.
    aliased: usize,
    /// `nodes` when each open collection was opened.
    opened_at: Vec<usize>,
    documents: usize,
    /// Where Cortex's reader stops: a second `---`, or a `...`.
    reading_stops: Option<usize>,
    /// saphyr stopped on a syntax error.
    syntax_refused: bool,
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
}

const MERGE_KEY: &str = "<<";

impl<'a> Builder<'a> {
    fn new(
        text: &'a str,
        limits: Limits,
        offsets: &'a CharOffsets,
        observe: &'a mut dyn FnMut(&str),
    ) -> Self {
        Self {
            text,
            limits,
            offsets,
            observe,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            aliased: 0,
            opened_at: Vec::new(),
            documents: 0,
            reading_stops: None,
            syntax_refused: false,
            root: None,
            diagnostics: Vec::new(),
        }
    }

    fn run<'i>(
        &mut self,
        events: impl Iterator<Item = Result<(Event<'i>, saphyr_parser::Span), ScanError>>,
    ) -> Result<Option<Node>, Fatal> {
        for event in events {
            let (event, span) = event.map_err(|e| {
                self.syntax_refused = true;
                self.scan_error(&e)
            })?;
            let span = self.offsets.span(span);
            match event {
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        // Cortex parses one document and never looks
                        // further (yaml.go `unmarshal` calls `parse` once):
                        // not even a syntax error after here matters.
                        self.reading_stops.get_or_insert(span.start);
                        self.diagnostics.push(later_documents(span));
                        break;
                    }
                    // go-yaml decodes the document node too
                    self.count(1, 0, &span)?;
                }
                Event::DocumentEnd
                    if self
                        .text
                        .get(span.start..)
                        .is_some_and(|t| t.starts_with("...")) =>
                {
                    self.reading_stops.get_or_insert(span.start);
                }
                Event::Scalar(text, style, anchor, tag) => {
                    if style == ScalarStyle::DoubleQuoted
                        && let Some(at) = json_only_escape(self.text, &span)
                    {
                        return Err(Box::new(unknown_escape(at)));
                    }
                    (self.observe)(&text);
                    let node = self.scalar(&text, style, tag.as_deref(), &span);
                    self.count(1, 0, &span)?;
                    self.push_node(node, anchor, 1, false)?;
                }
                Event::Alias(id) => {
                    let Some((node, size)) = self.anchors.get(&id).cloned() else {
                        return Err(Box::new(unknown_alias(self.text, span.start)));
                    };
                    // the alias node, then every node of its copy
                    self.count(1 + size, size, &span)?;
                    // The copy keeps the anchor's spans: diagnostics about
                    // aliased values point at the text that wrote them.
                    self.push_node(node, 0, 1 + size, true)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", &span);
                    self.open(
                        Frame::Seq {
                            items: Vec::new(),
                            start: span.clone(),
                            anchor,
                        },
                        &span,
                    )?;
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "map", &span);
                    self.open(
                        Frame::Map(Box::new(MapFrame::new(span.clone(), anchor))),
                        &span,
                    )?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(&span)?,
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        Ok(self.root.take())
    }

    fn scan_error(&self, error: &ScanError) -> Fatal {
        let at = self.offsets.byte(error.marker().index());
        let info = error.info();
        let diagnostic = if info.contains("recursion limit") {
            // saphyr-parser counts flow levels in a byte
            Diagnostic::error(
                codes::NESTING_TOO_DEEP,
                "brackets (`[ ]`, `{ }`) are nested more than 255 levels deep",
            )
            .at(at..at, "too deep here")
            .help("no Cortex field needs this much nesting; check for runaway brackets, or write the deepest levels in block style")
        } else if info.contains("unknown anchor") {
            unknown_alias(self.text, at)
        } else if info.contains("tab") {
            Diagnostic::error(codes::TAB_INDENT, "tab character used for indentation")
                .at(find_tab(self.text, at), "tab here")
                .help("indent with spaces; YAML does not allow tabs in indentation")
        } else {
            let mut d = Diagnostic::error(codes::YAML_SYNTAX, format!("YAML syntax error: {info}"))
                .at(at..at, "the parser stopped here");
            d = match self.open_flow_collection() {
                Some(open) => d
                    .also(open.start..open.start + 1, "this bracket is not closed before the error")
                    .help("close the bracket where the list or mapping ends, or write it in block style"),
                None => d.help("check indentation, quotes, brackets and the ':' after each key around this line"),
            };
            d
        };
        Box::new(diagnostic)
    }

    /// The innermost flow collection (`[` or `{`) still open.
    fn open_flow_collection(&self) -> Option<&Span> {
        self.stack.iter().rev().find_map(|frame| {
            let start = match frame {
                Frame::Seq { start, .. } => start,
                Frame::Map(map) => &map.start,
            };
            (!start.is_empty()).then_some(start)
        })
    }

    /// Counts `nodes` decoded, `aliased` of them copies an alias made, as
    /// go-yaml's decoder counts them (`decodeCount`, `aliasCount`), and
    /// applies its alias-ratio rule and then our node budget.
    fn count(&mut self, nodes: usize, aliased: usize, span: &Span) -> Result<(), Fatal> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.aliased = self.aliased.saturating_add(aliased);
        if excessive_aliasing(self.nodes, self.aliased) {
            return Err(Box::new(
                Diagnostic::error(
                    codes::EXCESSIVE_ALIASING,
                    format!(
                        "Cortex's YAML reader refuses the file: {} of its {} values are copies made by aliases (`*name`)",
                        self.aliased, self.nodes
                    ),
                )
                .at(span.clone(), "the limit was passed here")
                .help("go-yaml refuses a document where more than 99% of the values come from aliases (once it has more than 1,000); write the repeated values out, or alias smaller pieces"),
            ));
        }
        if self.nodes > self.limits.max_nodes {
            return Err(Box::new(
                Diagnostic::error(
                    codes::ALIAS_BUDGET,
                    format!(
                        "the document expands to more than {} nodes",
                        self.limits.max_nodes
                    ),
                )
                .at(span.clone(), "the limit was passed here")
                .help("a cortex.yaml this large is almost certainly an alias bomb or a generated mistake"),
            ));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, span: &Span) -> Result<(), Fatal> {
        self.opened_at.push(self.nodes);
        self.count(1, 0, span)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(Box::new(
                Diagnostic::error(
                    codes::NESTING_TOO_DEEP,
                    format!(
                        "lists and mappings are nested more than {} levels deep",
                        self.limits.max_depth
                    ),
                )
                .at(span.clone(), "too deep here")
                .help("no Cortex field needs this much nesting; check for runaway brackets"),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, end: &Span) -> Result<(), Fatal> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        // what go-yaml decodes for it: the collection, its keys and values,
        // and every alias in it with its copy
        let decoded = self.nodes - self.opened_at.pop().unwrap_or(self.nodes);
        let (value, start, anchor, last_end) = match frame {
            Frame::Seq {
                items,
                start,
                anchor,
            } => {
                let last = items.last().map(|n| n.span.end);
                (Value::Seq(items), start, anchor, last)
            }
            Frame::Map(map) => {
                let MapFrame {
                    entries,
                    start,
                    anchor,
                    ..
                } = *map;
                let last = entries.iter().map(|e| e.value.span.end).max();
                (Value::Map(entries), start, anchor, last)
            }
        };
        // A flow collection's start event covers its bracket; its end event
        // covers the closing one. A block collection ends with its last child.
        let end = if start.is_empty() {
            last_end.unwrap_or(start.end).max(start.start)
        } else {
            end.end.max(start.end)
        };
        let node = Node {
            value,
            span: start.start..end,
            plain: None,
        };
        self.push_node(node, anchor, decoded, false)
    }

    /// `decoded`: how many values go-yaml decodes for `node` (what one
    /// alias of it costs).
    fn push_node(
        &mut self,
        node: Node,
        anchor: usize,
        decoded: usize,
        alias: bool,
    ) -> Result<(), Fatal> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), decoded));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map(map)) => match map.pending_key.take() {
                None => self.take_key(node, alias),
                Some(key) => {
                    self.add_entry(key, node);
                    Ok(())
                }
            },
        }
    }

    fn take_key(&mut self, node: Node, alias: bool) -> Result<(), Fatal> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Seq(_) | Value::Map(_) => {
                return Err(Box::new(
                    Diagnostic::error(codes::COMPLEX_KEY, "a mapping key must be a plain value")
                        .at(node.span, "this key is a list or a mapping")
                    .help("write keys as plain strings; Cortex configuration keys are field names"),
                ));
            }
            // a non-string key keeps its text as written
            other => node
                .plain
                .as_deref()
                .map_or_else(|| shown_scalar(other), str::to_owned),
        };
        // decode.go `isMerge`: a scalar `<<` that is plain or tagged
        // `!!merge` (an alias of one is not a merge)
        let merge = !alias && node.plain.as_deref() == Some(MERGE_KEY);
        if merge {
            // go-yaml's `d.mapping` never decodes a merge key
            self.nodes = self.nodes.saturating_sub(1);
        }
        if let Some(Frame::Map(map)) = self.stack.last_mut() {
            map.pending_key = Some(PendingKey {
                text,
                span: node.span,
                value: node.value,
                merge,
            });
        }
        Ok(())
    }

    fn add_entry(&mut self, key: PendingKey, value: Node) {
        if key.merge {
            self.merge(key.span, value);
            return;
        }
        let Some(Frame::Map(map)) = self.stack.last_mut() else {
            return;
        };
        if let Some(first) = map.find(&key.value).filter(|&i| map.written[i]) {
            let first = &map.entries[first];
            let mut d = Diagnostic::error(
                codes::DUPLICATE_KEY,
                if key.text.is_empty() {
                    "duplicate empty (null) key".to_owned()
                } else {
                    format!("duplicate key `{}`", key.text)
                },
            )
            .at(key.span, "defined again here")
            .also(first.key_span.clone(), "first defined here")
            .help("remove one of them; Cortex would silently keep only the last value");
            if first.key != key.text {
                // `yes` and `on`, `1` and `01`: one key once resolved
                d = d.note(format!(
                    "Cortex's YAML reader (YAML 1.1) reads `{}` and `{}` as the same key, {}",
                    first.key,
                    key.text,
                    shown_key(&key.value)
                ));
            }
            self.diagnostics.push(d);
            return;
        }
        map.set(
            Entry {
                key: key.text,
                key_span: key.span,
                key_value: key.value,
                value,
            },
            true,
        );
    }

    /// decode.go `merge`: the mapping's entries are set at this point, over
    /// any key written before; a list of mappings is applied last to first,
    /// so that the first one wins.
    fn merge(&mut self, key_span: Span, value: Node) {
        if matches!(value.value, Value::Seq(_)) {
            // `d.merge` decodes the list's items, never the list itself
            self.nodes = self.nodes.saturating_sub(1);
        }
        let found = value.type_name();
        let sources: Vec<Node> = match value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) if items.iter().all(|n| matches!(n.value, Value::Map(_))) => items,
            _ => {
                self.diagnostics.push(
                    Diagnostic::error(codes::INVALID_MERGE, "a `<<` merge key needs a mapping")
                        .at(value.span.clone(), format!("found {found}"))
                        .also(key_span, "merge key")
                        .help("write `<<: *anchor` where the anchor names a mapping, or `<<: [*a, *b]`"),
                );
                return;
            }
        };
        let Some(Frame::Map(map)) = self.stack.last_mut() else {
            return;
        };
        for source in sources.into_iter().rev() {
            if let Value::Map(entries) = source.value {
                for entry in entries {
                    map.set(entry, false);
                }
            }
        }
    }

    /// go-yaml ignores every tag on a mapping or a list; one that does not
    /// say what the node is gets a warning.
    fn check_collection_tag(&mut self, tag: Option<&Tag>, expected: &str, span: &Span) {
        let Some(tag) = tag else { return };
        if full_tag(tag) != format!("{CORE_PREFIX}{expected}") {
            self.diagnostics.push(ignored_tag(tag, span));
        }
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&Tag>, span: &Span) -> Node {
        let node = |value, plain| Node {
            value,
            span: span.clone(),
            plain,
        };
        let Some(tag) = tag else {
            return if style == ScalarStyle::Plain {
                let value = resolve_plain(text);
                let keep = !matches!(value, Value::Str(_)) || text == MERGE_KEY;
                node(value, keep.then(|| text.into()))
            } else {
                node(Value::Str(text.to_owned()), None)
            };
        };
        let full = full_tag(tag);
        // `!!merge <<` is the merge key, exactly like a plain `<<`
        if full == format!("{CORE_PREFIX}merge") && text == MERGE_KEY {
            return node(Value::Str(text.to_owned()), Some(text.into()));
        }
        match resolve_tagged(&full, text) {
            Tagged::Value(value) => node(value, None),
            Tagged::Ignored => {
                // the non-specific tag `!` means "a string": nothing to say
                if full != "!" {
                    self.diagnostics.push(ignored_tag(tag, span));
                }
                node(Value::Str(text.to_owned()), None)
            }
            Tagged::Refused(why) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::TAG_MISMATCH,
                        format!("Cortex's YAML reader refuses this value: {why}"),
                    )
                    .at(span.clone(), format!("tagged {}", shown_tag(tag)))
                    .help("remove the tag, or write a value of the tagged type"),
                );
                node(Value::Str(text.to_owned()), None)
            }
        }
    }
}

/// The warning for a second `---` document.
fn later_documents(span: Span) -> Diagnostic {
    Diagnostic::warning(
        codes::MULTIPLE_DOCUMENTS,
        "the file holds more than one YAML document; Cortex reads only the first",
    )
    .at(
        span,
        "a second document starts here; nothing from here on is read",
    )
    .help("put every API in one list in the first document, or delete the rest")
}

/// The tag as go-yaml compares it: handle and suffix joined
/// (`tag:yaml.org,2002:int`, `!Ref`, `!`).
fn full_tag(tag: &Tag) -> String {
    format!("{}{}", tag.handle, tag.suffix)
}

fn ignored_tag(tag: &Tag, span: &Span) -> Diagnostic {
    Diagnostic::warning(
        codes::UNSUPPORTED_TAG,
        format!("the YAML tag `{}` is ignored by Cortex", shown_tag(tag)),
    )
    .at(span.clone(), "tagged value")
    .help("Cortex's YAML reader drops tags it does not know and reads the value as written; remove the tag")
}

/// A resolved non-string key in words.
fn shown_key(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Int(i) => format!("the integer {i}"),
        Value::Uint(u) => format!("the integer {u}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Str(s) => format!("the string \"{s}\""),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

/// A resolved scalar written back as text (for keys that were tagged).
fn shown_scalar(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

/// A tag as written: core tags come back from the parser expanded.
fn shown_tag(tag: &Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

/// The tab the scanner complained about: it reports the token before or
/// after the tab, so look at the indentation of that line and the next.
fn find_tab(text: &str, at: usize) -> Span {
    let line_start = line_start(text, at);
    let mut start = line_start;
    for line in text[line_start..].split_inclusive('\n').take(2) {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            return start + tab..start + tab + 1;
        }
        start += line.len();
    }
    at..at
}

/// An alias whose anchor is not defined, named, with the closest anchor
/// defined in the file as a suggestion.
fn unknown_alias(text: &str, at: usize) -> Diagnostic {
    let is_end = |c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}');
    let rest = text.get(at..).unwrap_or_default();
    let rest = rest.strip_prefix('*').unwrap_or(rest);
    let name = &rest[..rest.find(is_end).unwrap_or(rest.len())];
    let anchors: Vec<&str> = text
        .match_indices('&')
        .map(|(i, _)| {
            let after = &text[i + 1..];
            &after[..after.find(is_end).unwrap_or(after.len())]
        })
        .filter(|a| !a.is_empty())
        .collect();
    let d = Diagnostic::error(
        codes::UNKNOWN_ALIAS,
        format!("alias `*{name}` refers to an unknown anchor"),
    )
    .at(
        at..at + 1 + name.len(),
        format!("no anchor `&{name}` is defined before here"),
    );
    match crate::diag::suggest(name, anchors.iter().copied()) {
        Some(s) => d.help(format!("did you mean `*{s}`?")),
        None => d.help("define the anchor (`&name`) on a value before the alias that uses it"),
    }
}
