//! What Cortex's YAML reader refuses before scanning a token: control
//! characters (cortexlabs/yaml@581aea36a2e4 `readerc.go:339-358`,
//! `yaml_parser_update_buffer`), and how far into the file it reads.

use crate::diag::{Diagnostic, codes};
use crate::source::{Encoding, Span};

/// Control characters reported one by one; the rest are counted.
pub(super) const MAX_REPORTED: usize = 20;

/// Bytes go-yaml decodes at once (`yamlprivateh.go:5`
/// `input_raw_buffer_size`).
const CHUNK: usize = 512;

/// Whether go-yaml's reader refuses `c` ("control characters are not
/// allowed"): it allows tab, LF, CR, printable ASCII, NEL, U+00A0 to
/// U+D7FF, U+E000 to U+FFFD and U+10000 up (`readerc.go:339-354`).
pub(super) fn refused(c: char) -> bool {
    !matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}'
        | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The byte offset in `text` where go-yaml's reader stops, when its
/// scanner needs no character past `needed`: the reader decodes the
/// original bytes in chunks of 512 (a character split by a chunk's end
/// starts the next one), and checks every character of each chunk it
/// decodes (`readerc.go:134-150`, `readerc.go:151-158`).
pub(super) fn read_end(text: &str, encoding: Encoding, needed: usize) -> usize {
    let (mut raw, utf16) = match encoding {
        Encoding::Utf8 => (0, false),
        Encoding::Utf8Bom => (3, false),
        Encoding::Utf16Le | Encoding::Utf16Be => (2, true),
    };
    let mut chunk_end = CHUNK;
    for (at, c) in text.char_indices() {
        let width = if utf16 {
            c.len_utf16() * 2
        } else {
            c.len_utf8()
        };
        if raw + width > chunk_end {
            if needed < at {
                return at;
            }
            chunk_end = raw + CHUNK;
        }
        raw += width;
    }
    text.len()
}

/// Every refused character before `end`: the first [`MAX_REPORTED`] as
/// errors, the count of the rest in a note on the last one.
pub(super) fn control_characters(text: &str, end: usize) -> Vec<Diagnostic> {
    let end = end.min(text.len());
    let mut found = text
        .get(..end)
        .unwrap_or(text)
        .char_indices()
        .filter(|&(_, c)| refused(c));
    let mut diagnostics: Vec<Diagnostic> = found
        .by_ref()
        .take(MAX_REPORTED)
        .map(|(at, c)| control_character(at..at + c.len_utf8(), c))
        .collect();
    let more = found.count();
    if more > 0
        && let Some(last) = diagnostics.pop()
    {
        diagnostics.push(last.note(format!(
            "{more} more control character{} after this one {} not shown",
            if more == 1 { "" } else { "s" },
            if more == 1 { "is" } else { "are" },
        )));
    }
    diagnostics
}

fn control_character(span: Span, c: char) -> Diagnostic {
    let code = u32::from(c);
    let name = match c {
        '\0' => " (NUL)",
        '\u{7}' => " (BEL)",
        '\u{8}' => " (backspace)",
        '\u{b}' => " (vertical tab)",
        '\u{c}' => " (form feed)",
        '\u{1b}' => " (escape)",
        '\u{7f}' => " (DEL)",
        '\u{fffe}' | '\u{ffff}' => " (a noncharacter)",
        _ => "",
    };
    Diagnostic::error(
        codes::CONTROL_CHARACTER,
        format!("control character U+{code:04X}{name} in the file"),
    )
    .at(span, "control character here")
    .help("Cortex's YAML reader refuses the whole file for it, even in a comment or a quoted string; delete it (in a double-quoted string, write it as an escape such as \"\\x07\")")
}
