//! A loaded input file: its name as the user gave it, its text, and the
//! line index used to turn byte offsets into 1-based line/column pairs.

use std::ops::Range;

/// Byte range into a [`SourceFile`]'s text.
pub type Span = Range<usize>;

/// One input file held in memory for the whole run.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
    encoding: Encoding,
}

/// How the file's bytes were encoded. The text is always UTF-8 without a
/// byte-order mark; Cortex's YAML reader decodes in 512-byte chunks of the
/// original bytes, which decides how far it reads (see `yaml::reader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Utf8,
    /// UTF-8 behind a byte-order mark (3 bytes, dropped from the text).
    Utf8Bom,
    /// UTF-16 little-endian behind its byte-order mark `FF FE`.
    Utf16Le,
    /// UTF-16 big-endian behind its byte-order mark `FE FF`.
    Utf16Be,
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            name: name.into(),
            text,
            line_starts,
            encoding: Encoding::Utf8,
        }
    }

    /// The same file, read from bytes in `encoding`.
    pub fn with_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Line/column of a byte offset (clamped to the text, snapped back to a
    /// character boundary so a bad offset can never panic).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index];
        let column = self.text[line_start..offset].chars().count() + 1;
        Position {
            line: line_index + 1,
            column,
        }
    }

    /// Byte offset of the start of a 1-based line (end of text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let f = SourceFile::new("c.yaml", "ab\né: x\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(3), Position { line: 2, column: 1 });
        // 'é' is two bytes; the ':' after it is column 2.
        assert_eq!(f.position(5), Position { line: 2, column: 2 });
        // inside a multi-byte character: snapped back, no panic
        assert_eq!(f.position(4), Position { line: 2, column: 1 });
        assert_eq!(f.position(1000).line, 3);
    }
}
