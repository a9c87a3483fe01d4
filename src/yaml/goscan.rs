//! The text walked as Cortex's YAML reader scans it, for what saphyr reads
//! differently: tabs, and the indentation of continuation lines.
//!
//! go-yaml v2 (libyaml's scanner) and `saphyr-parser` (YAML 1.2) disagree on
//! tabs both ways: go-yaml skips a tab after a key's `:` (`cpu:<TAB>1`),
//! which saphyr refuses, and refuses a tab where a block token may start
//! (after `- `, at the start of a line) or in the indentation below a
//! multi-line value, which saphyr accepts. This pass walks the text the way
//! go-yaml's scanner does, keeping only what decides a tab: the flow level,
//! whether a simple key may start, the block indentation stack and the
//! extent of each scalar (cortexlabs/yaml@581aea36a2e4 `scannerc.go`). It
//! finds the first tab go-yaml refuses, and the tabs go-yaml skips as
//! separation whitespace, which saphyr is then given as spaces (one byte
//! for one byte: spans do not move, and no scalar's value changes).
//!
//! go-yaml never looks at the indentation of a line inside brackets or
//! inside a quoted string (`scannerc.go:1474`: no unroll in flow context;
//! `scannerc.go:2322-2578`: a quoted scalar checks only for `---`/`...`),
//! where saphyr, following YAML 1.2, refuses a line indented no deeper than
//! the block around it (`labels: [a, b,` then `c]` under `labels`). The walk
//! notes how many spaces each such line lacks ([`Pad`]); they are inserted
//! only when saphyr refuses the text as written, and spans are mapped back
//! (a line's leading spaces are no part of any value there: they fold).
//!
//! The walk is a checker, not a parser: on anything go-yaml would refuse
//! for another reason (or that it does not need to follow), it stops and
//! leaves the rest of the text to saphyr as written.

/// Why go-yaml refuses a tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TabProblem {
    /// In the indentation of a line (`scannerc.go:1474` does not skip it;
    /// `scannerc.go:776` "found character that cannot start any token").
    LineStart,
    /// Right after a block indicator (`-`, `?`, or a `:` with no key on its
    /// line), where the next token may be a key (same lines).
    AfterIndicator(char),
    /// In the indentation of a line that continues a plain value, left of
    /// its block (`scannerc.go:2669-2673` "found a tab character that
    /// violates indentation").
    PlainIndent,
    /// In the indentation of a `|` / `>` block scalar
    /// (`scannerc.go:2290-2294` "found a tab character where an indentation
    /// space is expected").
    BlockScalarIndent,
}

/// A tab go-yaml refuses, by byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TabError {
    pub at: usize,
    pub problem: TabProblem,
}

/// At most this many spaces are inserted for continuation lines (a real
/// cortex.yaml needs a few dozen).
const MAX_PAD_BYTES: usize = 1 << 20;

/// Spaces a continuation line needs for saphyr to read it as go-yaml does:
/// `width` of them inserted at byte `at` (the line's first character that
/// is not a space or a tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pad {
    pub at: usize,
    pub width: usize,
}

/// Why go-yaml's first document ends before the end of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DocumentEnd {
    /// A token left of an indented root block (`  - name: a`, then
    /// `- name: b`): the block ends, and with it the document.
    LeftOfRoot,
    /// A `%` directive, which only a new document may start with.
    Directive,
}

/// What the walk found.
#[derive(Debug, Default)]
pub(super) struct Walk {
    /// The first tab go-yaml refuses (it stops there).
    pub error: Option<TabError>,
    /// Byte offsets of tabs go-yaml skips as separation whitespace.
    pub separators: Vec<usize>,
    /// Lines inside brackets or quotes indented less than saphyr accepts,
    /// in text order: only when asked for, and none past [`MAX_PAD_BYTES`].
    pub pads: Vec<Pad>,
    /// Where go-yaml's document ends without a `---` or `...`: the byte
    /// offset of the token that ends it, and why. go-yaml reads nothing
    /// from there on.
    pub end: Option<(usize, DocumentEnd)>,
    /// The document's first token (where its root starts).
    pub root_start: Option<usize>,
}

/// What the walk is asked for: the tabs always, the pads and where the
/// document ends when `pads` is set (without it, a text without tabs is not
/// walked at all).
#[derive(Debug, Clone, Copy)]
pub(super) struct Wanted {
    pub pads: bool,
}

/// Walks `text` as go-yaml's scanner does, up to the end of the first
/// document (where Cortex stops reading).
pub(super) fn scan(text: &str, wanted: Wanted) -> Walk {
    if !wanted.pads && !text.contains('\t') {
        return Walk::default();
    }
    let mut scan = Scan {
        b: text.as_bytes(),
        pos: 0,
        col: 0,
        line: 0,
        flow: 0,
        key_allowed: true,
        indent: -1,
        indents: Vec::new(),
        key: None,
        last: None,
        doc_started: false,
        separators: Vec::new(),
        want_pads: wanted.pads,
        pads: Vec::new(),
        pad_bytes: 0,
        end: None,
        root_start: None,
    };
    let error = match scan.run() {
        Err(Stop::Refused(e)) => Some(e),
        Ok(()) | Err(Stop::Unsure) => None,
    };
    // Hostile input can ask for quadratically many spaces (thousands of
    // lines under a deeply indented key): past the budget, none are given
    // and saphyr's refusal stands.
    let pads = if scan.pad_bytes > MAX_PAD_BYTES {
        Vec::new()
    } else {
        scan.pads
    };
    Walk {
        error,
        separators: scan.separators,
        pads,
        end: scan.end,
        root_start: scan.root_start,
    }
}

enum Stop {
    Refused(TabError),
    /// Something this walk does not follow: saphyr judges the rest.
    Unsure,
}

type Step = Result<(), Stop>;

/// The last block indicator that allows a key after it, with its line.
#[derive(Clone, Copy)]
struct Indicator {
    ch: char,
    line: usize,
}

struct Scan<'a> {
    b: &'a [u8],
    pos: usize,
    /// Column in characters, as go-yaml's marks count.
    col: usize,
    line: usize,
    flow: usize,
    /// go-yaml's `simple_key_allowed`.
    key_allowed: bool,
    /// go-yaml's `indent` and `indents`.
    indent: isize,
    indents: Vec<isize>,
    /// A possible simple key in block context: its column and line.
    key: Option<(usize, usize)>,
    last: Option<Indicator>,
    doc_started: bool,
    separators: Vec<usize>,
    want_pads: bool,
    pads: Vec<Pad>,
    /// The spaces the pads add up to.
    pad_bytes: usize,
    end: Option<(usize, DocumentEnd)>,
    root_start: Option<usize>,
}

impl Scan<'_> {
    fn at(&self, k: usize) -> u8 {
        self.b.get(self.pos + k).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    /// go-yaml `is_break`: CR, LF, NEL, LS, PS (`yamlprivateh.go`).
    fn break_len(&self, k: usize) -> usize {
        let rest = self.b.get(self.pos + k..).unwrap_or_default();
        match rest {
            [b'\r', b'\n', ..] => 2,
            [b'\r' | b'\n', ..] => 1,
            [0xC2, 0x85, ..] => 2,
            [0xE2, 0x80, 0xA8 | 0xA9, ..] => 3,
            _ => 0,
        }
    }

    fn is_break(&self, k: usize) -> bool {
        self.break_len(k) > 0
    }

    fn is_blank(&self, k: usize) -> bool {
        matches!(self.at(k), b' ' | b'\t')
    }

    /// go-yaml `is_blankz`: blank, break or the end.
    fn is_blankz(&self, k: usize) -> bool {
        self.is_blank(k) || self.is_break(k) || self.pos + k >= self.b.len()
    }

    /// Moves over one character (never a line break).
    fn skip(&mut self) {
        let width = match self.at(0) {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        self.pos = (self.pos + width).min(self.b.len());
        self.col += 1;
    }

    fn skip_line(&mut self) {
        self.pos += self.break_len(0).max(1);
        self.pos = self.pos.min(self.b.len());
        self.col = 0;
        self.line += 1;
    }

    fn tab_separator(&mut self) {
        self.separators.push(self.pos);
    }

    fn roll(&mut self, column: usize) {
        let column = column as isize;
        if self.flow == 0 && self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
        }
    }

    fn unroll(&mut self, column: isize) {
        if self.flow > 0 {
            return;
        }
        while self.indent > column {
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    /// `save_simple_key`, for the block context (the only one where a
    /// key's column matters).
    fn save_key(&mut self) {
        if self.key_allowed && self.flow == 0 {
            self.key = Some((self.col, self.line));
        }
    }

    fn doc_indicator(&self) -> bool {
        self.col == 0
            && (self.b.get(self.pos..self.pos + 3) == Some(b"---")
                || self.b.get(self.pos..self.pos + 3) == Some(b"..."))
            && self.is_blankz(3)
    }

    /// `fetch_next_token`, over the whole first document.
    fn run(&mut self) -> Step {
        loop {
            self.skip_to_next_token();
            if self.key.is_some_and(|(_, line)| line != self.line) {
                self.key = None;
            }
            let in_root = self.indent >= 0;
            self.unroll(self.col as isize);
            if self.at_end() {
                return Ok(());
            }
            if in_root && self.indent < 0 && !self.doc_indicator() {
                // left of the root block: go-yaml's parser ends the document
                // at this token and Unmarshal never asks for more
                self.end = Some((self.pos, DocumentEnd::LeftOfRoot));
                return Ok(());
            }
            let c = self.at(0);
            if self.col == 0 && c == b'%' && self.doc_started {
                self.end = Some((self.pos, DocumentEnd::Directive));
                return Ok(());
            }
            if self.col == 0 && c == b'%' {
                // a directive: nothing in it decides a tab
                while !self.is_break(0) && !self.at_end() {
                    self.skip();
                }
                continue;
            }
            if self.doc_indicator() {
                // Cortex reads one document: stop where it ends
                if c == b'.' || self.doc_started {
                    return Ok(());
                }
                self.doc_started = true;
                self.unroll(-1);
                self.key = None;
                self.key_allowed = false;
                self.pos += 3;
                self.col += 3;
                continue;
            }
            self.doc_started = true;
            self.root_start.get_or_insert(self.pos);
            match c {
                b'[' | b'{' => {
                    self.save_key();
                    self.flow += 1;
                    self.key_allowed = true;
                    self.skip();
                }
                b']' | b'}' => {
                    self.flow = self.flow.saturating_sub(1);
                    self.key_allowed = false;
                    self.skip();
                }
                b',' if self.flow > 0 => {
                    self.key_allowed = true;
                    self.skip();
                }
                b'-' if self.is_blankz(1) => {
                    if self.flow > 0 || !self.key_allowed {
                        return Err(Stop::Unsure);
                    }
                    self.roll(self.col);
                    self.key = None;
                    self.key_allowed = true;
                    self.indicator('-');
                    self.skip();
                }
                b'?' if self.flow > 0 || self.is_blankz(1) => {
                    if self.flow == 0 {
                        if !self.key_allowed {
                            return Err(Stop::Unsure);
                        }
                        self.roll(self.col);
                        self.indicator('?');
                    }
                    self.key = None;
                    self.key_allowed = self.flow == 0;
                    self.skip();
                }
                b':' if self.flow > 0 || self.is_blankz(1) => {
                    match self.key.take() {
                        Some((column, _)) => {
                            self.roll(column);
                            self.key_allowed = false;
                        }
                        None if self.flow == 0 => {
                            // a complex value (`scannerc.go:1321-1339`)
                            if !self.key_allowed {
                                return Err(Stop::Unsure);
                            }
                            self.roll(self.col);
                            self.key_allowed = true;
                            self.indicator(':');
                        }
                        None => self.key_allowed = false,
                    }
                    self.skip();
                }
                b'*' | b'&' => {
                    self.save_key();
                    self.key_allowed = false;
                    self.skip();
                    while self.at(0).is_ascii_alphanumeric() || matches!(self.at(0), b'-' | b'_') {
                        self.skip();
                    }
                }
                b'!' => {
                    self.save_key();
                    self.key_allowed = false;
                    while !self.is_blankz(0) && !matches!(self.at(0), b'{' | b'}') {
                        self.skip();
                    }
                }
                b'|' | b'>' if self.flow == 0 => {
                    self.key = None;
                    self.key_allowed = true;
                    self.block_scalar()?;
                }
                b'\'' | b'"' => {
                    self.save_key();
                    self.key_allowed = false;
                    self.quoted(c)?;
                }
                b'\t' => {
                    let problem = match self.last {
                        Some(last) if last.line == self.line => TabProblem::AfterIndicator(last.ch),
                        _ => TabProblem::LineStart,
                    };
                    return Err(Stop::Refused(TabError {
                        at: self.pos,
                        problem,
                    }));
                }
                _ if self.plain_start() => {
                    self.save_key();
                    self.key_allowed = false;
                    self.plain()?;
                }
                _ => return Err(Stop::Unsure),
            }
        }
    }

    fn indicator(&mut self, ch: char) {
        self.last = Some(Indicator {
            ch,
            line: self.line,
        });
    }

    /// `scan_to_next_token`: spaces always, tabs where no simple key may
    /// start or in flow context (`scannerc.go:1474`), comments, breaks.
    fn skip_to_next_token(&mut self) {
        let mut new_line = false;
        loop {
            if self.col == 0 && self.b.get(self.pos..self.pos + 3) == Some(b"\xEF\xBB\xBF") {
                self.skip();
            }
            loop {
                match self.at(0) {
                    b' ' if !self.at_end() => self.skip(),
                    b'\t' if self.flow > 0 || !self.key_allowed => {
                        self.tab_separator();
                        self.skip();
                    }
                    _ => break,
                }
            }
            if self.at(0) == b'#' {
                while !self.is_break(0) && !self.at_end() {
                    self.skip();
                }
            }
            if !self.is_break(0) {
                if new_line && self.flow > 0 {
                    self.pad_continuation();
                }
                return;
            }
            self.skip_line();
            new_line = true;
            if self.flow == 0 {
                self.key_allowed = true;
            }
        }
    }

    /// At the first character of a line inside brackets or a quoted
    /// string: go-yaml reads it at any indentation; saphyr wants it right of
    /// the block around (a plain scalar in brackets: deeper than its
    /// `indent`; any other token and a quoted line: at least its `indent`,
    /// which is one deeper after a mapping's `:`), so one column right of
    /// go-yaml's block indentation satisfies both. A `---` or `...` at
    /// column 0 ends the document for go-yaml: it is left where it is.
    fn pad_continuation(&mut self) {
        if !self.want_pads || self.at_end() || self.is_break(0) || self.doc_indicator() {
            return;
        }
        let wanted = self.indent + 1;
        let col = self.col as isize;
        if col < wanted {
            let width = (wanted - col).unsigned_abs();
            self.pad_bytes = self.pad_bytes.saturating_add(width);
            self.pads.push(Pad {
                at: self.pos,
                width,
            });
        }
    }

    /// The plain-scalar condition of `fetch_next_token` (`scannerc.go:758-773`;
    /// the fork lets `@` start one too).
    fn plain_start(&self) -> bool {
        let c = self.at(0);
        !(self.is_blankz(0) || b"-?:,[]{}#&*!|>'\"%`".contains(&c))
            || (c == b'-' && !self.is_blank(1))
            || (self.flow == 0 && matches!(c, b'?' | b':') && !self.is_blankz(1))
    }

    /// `scan_plain_scalar` (`scannerc.go:2580-2715`).
    fn plain(&mut self) -> Step {
        let indent = self.indent + 1;
        let mut leading_blanks = false;
        // tabs after content on the current line: content if more follows
        let mut pending: Vec<usize> = Vec::new();
        loop {
            if self.doc_indicator() || self.at(0) == b'#' {
                break;
            }
            while !self.is_blankz(0) {
                let c = self.at(0);
                if (c == b':' && self.is_blankz(1)) || (self.flow > 0 && b",?[]{}".contains(&c)) {
                    break;
                }
                leading_blanks = false;
                pending.clear();
                self.skip();
            }
            if !(self.is_blank(0) || self.is_break(0)) {
                break;
            }
            self.between_runs(&mut leading_blanks, &mut pending, Some(indent))?;
            if self.flow == 0 && (self.col as isize) < indent {
                break;
            }
        }
        self.separators.append(&mut pending);
        if leading_blanks {
            self.key_allowed = true;
        }
        Ok(())
    }

    /// `scan_flow_scalar` (`scannerc.go:2322-2578`): tabs inside are content
    /// or folded away; those around line breaks are not content.
    fn quoted(&mut self, quote: u8) -> Step {
        self.skip();
        let mut leading_blanks = false;
        let mut pending: Vec<usize> = Vec::new();
        loop {
            if self.doc_indicator() || self.at_end() {
                return Err(Stop::Unsure);
            }
            while !self.is_blankz(0) {
                let c = self.at(0);
                leading_blanks = false;
                pending.clear();
                if quote == b'\'' && c == b'\'' && self.at(1) == b'\'' {
                    self.skip();
                    self.skip();
                } else if c == quote {
                    self.skip();
                    return Ok(());
                } else if quote == b'"' && c == b'\\' && self.is_break(1) {
                    self.skip();
                    self.skip_line();
                    leading_blanks = true;
                    break;
                } else if quote == b'"' && c == b'\\' {
                    self.skip();
                    if !self.at_end() {
                        self.skip();
                    }
                } else {
                    self.skip();
                }
            }
            self.between_runs(&mut leading_blanks, &mut pending, None)?;
        }
    }

    /// The blanks and line breaks between two runs of a scalar's text,
    /// folded alike in quoted and plain scalars (`scannerc.go:2512-2559`,
    /// `:2661-2699`): a tab after a line break separates; one before it is
    /// pending until a break shows it was not content. For a plain scalar,
    /// `indent` is its block's: a tab left of it on a new line is refused.
    fn between_runs(
        &mut self,
        leading_blanks: &mut bool,
        pending: &mut Vec<usize>,
        indent: Option<isize>,
    ) -> Step {
        while self.is_blank(0) || self.is_break(0) {
            if self.is_blank(0) {
                if self.at(0) == b'\t' {
                    if *leading_blanks && indent.is_some_and(|i| (self.col as isize) < i) {
                        return Err(Stop::Refused(TabError {
                            at: self.pos,
                            problem: TabProblem::PlainIndent,
                        }));
                    }
                    if *leading_blanks {
                        self.tab_separator();
                    } else {
                        pending.push(self.pos);
                    }
                }
                self.skip();
            } else {
                // whitespace before a line break is never content
                self.separators.append(pending);
                *leading_blanks = true;
                self.skip_line();
            }
        }
        // a new line of a quoted string, or of a plain one in brackets
        if *leading_blanks && (indent.is_none() || self.flow > 0) {
            self.pad_continuation();
        }
        Ok(())
    }

    /// `scan_block_scalar` (`scannerc.go:2120-2268`).
    fn block_scalar(&mut self) -> Step {
        self.skip();
        let mut increment: isize = 0;
        let digit = |c: u8| c.is_ascii_digit().then(|| isize::from(c - b'0'));
        if matches!(self.at(0), b'+' | b'-') {
            self.skip();
            if let Some(d) = digit(self.at(0)) {
                increment = d;
                self.skip();
            }
        } else if let Some(d) = digit(self.at(0)) {
            increment = d;
            self.skip();
            if matches!(self.at(0), b'+' | b'-') {
                self.skip();
            }
        }
        if increment == 0 && self.b.get(self.pos.saturating_sub(1)) == Some(&b'0') {
            // `|0` is refused by go-yaml for its own reason
            return Err(Stop::Unsure);
        }
        while self.is_blank(0) {
            if self.at(0) == b'\t' {
                self.tab_separator();
            }
            self.skip();
        }
        if self.at(0) == b'#' {
            while !self.is_break(0) && !self.at_end() {
                self.skip();
            }
        }
        if !self.is_break(0) && !self.at_end() {
            return Err(Stop::Unsure);
        }
        if self.is_break(0) {
            self.skip_line();
        }
        let mut indent = if increment > 0 {
            if self.indent >= 0 {
                self.indent + increment
            } else {
                increment
            }
        } else {
            0
        };
        self.block_breaks(&mut indent)?;
        while self.col as isize == indent && !self.at_end() {
            while !self.is_break(0) && !self.at_end() {
                self.skip();
            }
            if self.at_end() {
                break;
            }
            self.skip_line();
            self.block_breaks(&mut indent)?;
        }
        Ok(())
    }

    /// `scan_block_scalar_breaks` (`scannerc.go:2270-2320`).
    fn block_breaks(&mut self, indent: &mut isize) -> Step {
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || (self.col as isize) < *indent) && self.at(0) == b' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.col as isize);
            if (*indent == 0 || (self.col as isize) < *indent) && self.at(0) == b'\t' {
                return Err(Stop::Refused(TabError {
                    at: self.pos,
                    problem: TabProblem::BlockScalarIndent,
                }));
            }
            if !self.is_break(0) {
                break;
            }
            self.skip_line();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        Ok(())
    }
}
