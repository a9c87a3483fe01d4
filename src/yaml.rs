//! Span-keeping YAML parse.
//!
//! Builds a small document tree from `saphyr-parser` events. Every node and
//! every mapping key keeps its byte span, so later stages can point at the
//! exact text. The builder is iterative (no recursion on input depth) and
//! enforces the input limits: nesting depth and the total number of nodes,
//! counting every copy an alias makes (alias bombs). Duplicate keys are
//! reported, all of them, with the first definition as a secondary label.
//!
//! Scalars are resolved with the YAML 1.2 core schema (`yes` is a string,
//! `1.0` a float); `<<` merge keys are honoured like Cortex's Go YAML reader.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use crate::diag::{Diagnostic, codes};
use crate::source::Span;

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

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_nodes: 250_000,
            max_commas: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    /// The key's resolved YAML type (`"a string"`, `"an integer"`, ...):
    /// `key` holds its text either way, and `handler.config` needs to
    /// know, since Cortex refuses non-string keys there.
    pub key_type: &'static str,
    pub value: Node,
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
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The JSON form of the document, for schema validation and decoding.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            // an integral float (`1.0`) is an integer to JSON Schema; make
            // it one for decoding too
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(*f as i64),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|e| 1 + e.value.size()).sum(),
            _ => 0,
        }
    }
}

/// The result of parsing: the document (absent after a fatal error) and
/// every problem found on the way.
#[derive(Debug)]
pub struct Parsed {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one YAML document. `text` must be the whole file; spans are byte
/// offsets into it.
pub fn parse(text: &str, limits: Limits) -> Parsed {
    parse_observed(text, limits, &mut |_| {})
}

/// [`parse`], showing every scalar to `observe` as soon as it is read, so
/// that a later stage can start on what it needs before the whole document
/// is parsed.
pub fn parse_observed(text: &str, limits: Limits, observe: &mut dyn FnMut(&str)) -> Parsed {
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
    let offsets = CharOffsets::new(text);
    let mut builder = Builder::new(text, limits, &offsets, observe);
    // The parser is third-party code fed with untrusted bytes: if it ever
    // panics, report an internal error instead of crashing.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        builder.run(Parser::new_from_str(text))
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
    Parsed { root, diagnostics }
}

/// Maps the parser's character indexes to byte offsets.
struct CharOffsets {
    /// Byte offset of each character; empty when the text is ASCII.
    bytes: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let bytes = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
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

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        /// Keys merged in through `<<`; explicit keys win over them.
        merged: Vec<Entry>,
        pending_key: Option<(String, Span, &'static str)>,
        /// Index of each key, once the mapping is large enough to need it.
        index: HashMap<String, usize>,
        start: Span,
        anchor: usize,
    },
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
    documents: usize,
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
            documents: 0,
            root: None,
            diagnostics: Vec::new(),
        }
    }

    fn run<'i>(
        &mut self,
        events: impl Iterator<Item = Result<(Event<'i>, saphyr_parser::Span), ScanError>>,
    ) -> Result<Option<Node>, Fatal> {
        for event in events {
            let (event, span) = event.map_err(|e| self.scan_error(&e))?;
            let span = self.offsets.span(span);
            match event {
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(Box::new(
                            Diagnostic::error(
                                codes::MULTIPLE_DOCUMENTS,
                                "the file holds more than one YAML document",
                            )
                            .at(span, "a second document starts here")
                            .help("put every API in one list, in one document"),
                        ));
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    (self.observe)(&text);
                    let value = self.scalar(&text, style, tag.as_deref(), &span)?;
                    self.count(1, &span)?;
                    self.push_node(Node { value, span }, anchor)?;
                }
                Event::Alias(id) => {
                    let Some((node, size)) = self.anchors.get(&id).cloned() else {
                        return Err(Box::new(unknown_alias(self.text, span.start)));
                    };
                    self.count(size, &span)?;
                    // The copy keeps the anchor's spans: diagnostics about
                    // aliased values point at the text that wrote them.
                    self.push_node(node, 0)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", &span)?;
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
                    self.check_collection_tag(tag.as_deref(), "map", &span)?;
                    self.open(
                        Frame::Map {
                            entries: Vec::new(),
                            merged: Vec::new(),
                            pending_key: None,
                            index: HashMap::new(),
                            start: span.clone(),
                            anchor,
                        },
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
            Diagnostic::error(
                codes::NESTING_TOO_DEEP,
                format!(
                    "lists and mappings are nested more than {} levels deep",
                    self.limits.max_depth
                ),
            )
            .at(at..at, "too deep here")
            .help("no Cortex field needs this much nesting; check for runaway brackets")
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
                Frame::Seq { start, .. } | Frame::Map { start, .. } => start,
            };
            (!start.is_empty()).then_some(start)
        })
    }

    fn count(&mut self, nodes: usize, span: &Span) -> Result<(), Fatal> {
        self.nodes = self.nodes.saturating_add(nodes);
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
        self.count(1, span)?;
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
        let (value, start, anchor, last_end) = match frame {
            Frame::Seq {
                items,
                start,
                anchor,
            } => {
                let last = items.last().map(|n| n.span.end);
                (Value::Seq(items), start, anchor, last)
            }
            Frame::Map {
                mut entries,
                merged,
                start,
                anchor,
                ..
            } => {
                let last = entries.last().map(|e| e.value.span.end);
                for entry in merged {
                    if !entries.iter().any(|e| e.key == entry.key) {
                        entries.push(entry);
                    }
                }
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
        };
        self.push_node(node, anchor)
    }

    fn push_node(&mut self, node: Node, anchor: usize) -> Result<(), Fatal> {
        if anchor != 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
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
            Some(Frame::Map { pending_key, .. }) => match pending_key.take() {
                None => self.take_key(node),
                Some((key, key_span, key_type)) => {
                    self.add_entry(key, key_span, key_type, node);
                    Ok(())
                }
            },
        }
    }

    fn take_key(&mut self, node: Node) -> Result<(), Fatal> {
        let key_type = node.type_name();
        let key = match node.value {
            Value::Str(s) => s,
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Seq(_) | Value::Map(_) => {
                return Err(Box::new(
                    Diagnostic::error(codes::COMPLEX_KEY, "a mapping key must be a plain value")
                        .at(node.span, "this key is a list or a mapping")
                    .help("write keys as plain strings; Cortex configuration keys are field names"),
                ));
            }
        };
        if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
            *pending_key = Some((key, node.span, key_type));
        }
        Ok(())
    }

    fn add_entry(&mut self, key: String, key_span: Span, key_type: &'static str, value: Node) {
        if key == MERGE_KEY {
            self.merge(key_span, value);
            return;
        }
        let Some(Frame::Map { entries, index, .. }) = self.stack.last_mut() else {
            return;
        };
        // Small mappings are scanned; large ones get an index so a
        // 100k-key mapping stays linear.
        let existing = if entries.len() < 16 {
            entries.iter().position(|e| e.key == key)
        } else {
            if index.is_empty() {
                for (i, e) in entries.iter().enumerate() {
                    index.entry(e.key.clone()).or_insert(i);
                }
            }
            index.get(&key).copied()
        };
        if let Some(first) = existing {
            let first_span = entries[first].key_span.clone();
            self.diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE_KEY,
                    if key.is_empty() {
                        "duplicate empty (null) key".to_owned()
                    } else {
                        format!("duplicate key `{key}`")
                    },
                )
                .at(key_span, "defined again here")
                .also(first_span, "first defined here")
                .help("remove one of them; Cortex would silently keep only the last value"),
            );
            return;
        }
        if !index.is_empty() {
            index.insert(key.clone(), entries.len());
        }
        entries.push(Entry {
            key,
            key_span,
            key_type,
            value,
        });
    }

    fn merge(&mut self, key_span: Span, value: Node) {
        let found = value.type_name();
        let sources: Vec<Node> = match value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) if items.iter().all(|n| matches!(n.value, Value::Map(_))) => items,
            _ => {
                self.diagnostics.push(
                    Diagnostic::error(codes::INVALID_MERGE, "a `<<` merge key needs a mapping")
                        .at(value.span.clone(), format!("found {found}"))
                        .also(key_span, "merge key")
                        .help("write `<<: *anchor` where the anchor names a mapping"),
                );
                return;
            }
        };
        let Some(Frame::Map { merged, .. }) = self.stack.last_mut() else {
            return;
        };
        // Earlier sources win over later ones, as the YAML merge spec says.
        for source in sources {
            if let Value::Map(entries) = source.value {
                for entry in entries {
                    if !merged.iter().any(|e| e.key == entry.key) {
                        merged.push(entry);
                    }
                }
            }
        }
    }

    fn check_collection_tag(
        &self,
        tag: Option<&Tag>,
        expected: &str,
        span: &Span,
    ) -> Result<(), Fatal> {
        match tag {
            None => Ok(()),
            Some(tag) if tag.is_yaml_core_schema() && tag.suffix == expected => Ok(()),
            Some(tag) => Err(unsupported_tag(tag, span)),
        }
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: &Span,
    ) -> Result<Value, Fatal> {
        let Some(tag) = tag else {
            return Ok(if style == ScalarStyle::Plain {
                resolve_plain(text)
            } else {
                Value::Str(text.to_owned())
            });
        };
        if !tag.is_yaml_core_schema() {
            // A lone `!` is the non-specific tag: "treat as a string".
            if tag.handle == "!" && tag.suffix.is_empty() {
                return Ok(Value::Str(text.to_owned()));
            }
            return Err(unsupported_tag(tag, span));
        }
        let resolved = resolve_plain(text);
        let value = match (tag.suffix.as_str(), resolved) {
            ("str", _) => Value::Str(text.to_owned()),
            ("null", v @ Value::Null)
            | ("bool", v @ Value::Bool(_))
            | ("int", v @ Value::Int(_))
            | ("float", v @ Value::Float(_)) => v,
            ("float", Value::Int(i)) => Value::Float(i as f64),
            _ => return Err(unsupported_tag(tag, span)),
        };
        Ok(value)
    }
}

/// A tag as written: core tags come back from the parser expanded.
fn shown_tag(tag: &Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

fn unsupported_tag(tag: &Tag, span: &Span) -> Fatal {
    Box::new(
        Diagnostic::error(
            codes::UNSUPPORTED_TAG,
            format!("unsupported YAML tag `{}`", shown_tag(tag)),
        )
        .at(span.clone(), "tagged value")
        .help("remove the tag; only the core tags !!str, !!int, !!float, !!bool, !!null, !!map and !!seq fit their values"),
    )
}

/// The tab the scanner complained about: it reports the token before or
/// after the tab, so look at the indentation of that line and the next.
fn find_tab(text: &str, at: usize) -> Span {
    let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
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

/// YAML 1.2 core-schema resolution of a plain scalar.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(value) = resolve_int(text) {
        return value;
    }
    if is_core_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text.to_owned())
}

fn resolve_int(text: &str) -> Option<Value> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(oct) = text.strip_prefix("0o") {
        (oct, 8)
    } else {
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some(match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            // Beyond int64: keep the magnitude as a float rather than fail.
            Err(_) => Value::Float(text.parse::<f64>().ok()?),
        });
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some(match i64::from_str_radix(digits, radix) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::Str(text.to_owned()),
    })
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        Some(f) => digits(int_part) && digits(f) && !(int_part.is_empty() && f.is_empty()),
        None => !int_part.is_empty() && digits(int_part),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        let parsed = parse(text, Limits::default());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        parsed.root.expect("a document")
    }

    fn first_code(text: &str, limits: Limits) -> &'static str {
        let parsed = parse(text, limits);
        parsed
            .diagnostics
            .first()
            .map_or("none", |d| d.code.as_str())
    }

    #[test]
    fn resolves_core_schema_scalars() {
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("True"), Value::Bool(true));
        assert_eq!(resolve_plain("yes"), Value::Str("yes".into()));
        assert_eq!(resolve_plain("-12"), Value::Int(-12));
        assert_eq!(resolve_plain("0x1f"), Value::Int(31));
        assert_eq!(resolve_plain("1.5e3"), Value::Float(1500.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("500m"), Value::Str("500m".into()));
        assert_eq!(resolve_plain("1e"), Value::Str("1e".into()));
        assert_eq!(resolve_plain("."), Value::Str(".".into()));
    }

    #[test]
    fn keeps_spans_of_keys_and_values_in_bytes() {
        let text = "- name: \"é-x\"\n  kind: AsyncAPI\n";
        let root = parse_ok(text);
        let Value::Seq(items) = &root.value else {
            panic!("a list")
        };
        let kind = items[0].entry("kind").expect("kind");
        assert_eq!(&text[kind.key_span.clone()], "kind");
        assert_eq!(&text[kind.value.span.clone()], "AsyncAPI");
        let name = items[0].get("name").expect("name");
        assert_eq!(&text[name.span.clone()], "\"é-x\"");
    }

    #[test]
    fn flow_collections_span_their_brackets() {
        let text = "a: {b: [1, 2]}\n";
        let root = parse_ok(text);
        let a = root.get("a").expect("a");
        assert_eq!(&text[a.span.clone()], "{b: [1, 2]}");
        assert_eq!(&text[a.get("b").expect("b").span.clone()], "[1, 2]");
    }

    #[test]
    fn reports_every_duplicate_key_with_the_first_definition() {
        let text = "a: 1\nb: 2\na: 3\nb: 4\n";
        let parsed = parse(text, Limits::default());
        assert_eq!(parsed.diagnostics.len(), 2);
        let d = &parsed.diagnostics[0];
        assert_eq!(d.code, codes::DUPLICATE_KEY);
        assert_eq!(d.primary.as_ref().map(|l| l.span.clone()), Some(10..11));
        assert_eq!(d.secondary[0].span, 0..1);
        // the first value is kept
        assert_eq!(
            parsed
                .root
                .and_then(|r| r.get("a").cloned())
                .map(|n| n.value),
            Some(Value::Int(1))
        );
    }

    #[test]
    fn merge_keys_fill_in_missing_fields_only() {
        let root = parse_ok("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n");
        let item = root.get("item").expect("item");
        assert_eq!(item.get("x").map(|n| &n.value), Some(&Value::Int(1)));
        assert_eq!(item.get("y").map(|n| &n.value), Some(&Value::Int(3)));
        assert!(item.get("<<").is_none());
    }

    #[test]
    fn alias_bomb_hits_the_node_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert_eq!(first_code(&text, Limits::default()), "TFC0012");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(first_code(&text, Limits::default()), "TFC0011");
    }

    #[test]
    fn input_errors_have_codes() {
        let limits = Limits::default();
        assert_eq!(first_code("a:\n\tb: 1\n", limits), "TFC0005");
        assert_eq!(first_code("a: [1, 2\nb: 3\n", limits), "TFC0004");
        assert_eq!(first_code("- a\n---\n- b\n", limits), "TFC0006");
        assert_eq!(first_code("a: !Ref x\n", limits), "TFC0014");
        assert_eq!(first_code("a: *nope\n", limits), "TFC0015");
        assert_eq!(first_code("? [a]\n: 1\n", limits), "TFC0013");
        assert_eq!(first_code("a:\n  <<: 3\n", limits), "TFC0016");
    }

    #[test]
    fn core_tags_convert_values() {
        let root = parse_ok("a: !!str 123\nb: !!float 1\n");
        assert_eq!(
            root.get("a").map(|n| &n.value),
            Some(&Value::Str("123".into()))
        );
        assert_eq!(root.get("b").map(|n| &n.value), Some(&Value::Float(1.0)));
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn a_huge_flow_list_is_refused_before_parsing() {
        let text = format!("- [{}]\n", vec!["1"; 200_000].join(","));
        let parsed = parse(&text, Limits::default());
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].code, codes::ALIAS_BUDGET);
        let at = parsed.diagnostics[0].primary.as_ref().map(|l| l.span.start);
        assert_eq!(at, text.match_indices(',').nth(100_000).map(|(i, _)| i));
    }
}
