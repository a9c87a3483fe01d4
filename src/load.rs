//! Reading the configuration file: size limit, encoding (UTF-8, or UTF-16
//! with a byte-order mark), and the errors that
//! mean "could not read" rather than "your config is wrong".

use std::io::Read;
use std::path::Path;

use crate::diag::{Diagnostic, codes};
use crate::source::{Encoding, SourceFile};

/// Largest cortex.yaml accepted (a real one is a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Why a file could not be turned into a [`SourceFile`].
#[derive(Debug)]
pub enum LoadError {
    /// The path does not exist: a usage error.
    NotFound(Box<Diagnostic>),
    /// The file exists but could not be read.
    Io(Box<Diagnostic>),
    /// The bytes are not a usable input; the source (lossy text) lets the
    /// diagnostic show where.
    Invalid(Box<(SourceFile, Diagnostic)>),
}

pub fn load(path: &Path, shown_name: &str) -> Result<SourceFile, LoadError> {
    let unreadable = |verb: &str, e: std::io::Error| {
        let d = Box::new(Diagnostic::error(
            codes::FILE_UNREADABLE,
            format!("cannot {verb} `{shown_name}`: {e}"),
        ));
        if e.kind() == std::io::ErrorKind::NotFound {
            LoadError::NotFound(d)
        } else {
            LoadError::Io(d)
        }
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable("open", e))?;
    let mut bytes = Vec::new();
    // read one byte past the limit to know it was passed, never the whole file
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable("read", e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let diagnostic = Diagnostic::error(
            codes::FILE_TOO_LARGE,
            format!(
                "`{shown_name}` is larger than {} MiB",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        )
        .at(0..0, "file starts here")
        .help("a cortex.yaml is a few kilobytes; check that this is the right file");
        return Err(LoadError::Invalid(Box::new((
            SourceFile::new(shown_name, ""),
            diagnostic,
        ))));
    }
    from_bytes(shown_name, bytes)
}

/// Decodes the file as Cortex's YAML reader does
/// (cortexlabs/yaml@581aea36a2e4 `readerc.go:25-52`
/// `yaml_parser_determine_encoding`): UTF-16 behind its byte-order mark
/// (`FF FE` little-endian, `FE FF` big-endian), otherwise UTF-8 with its
/// byte-order mark dropped. UTF-16 is transcoded: lines and columns count
/// characters, so positions are the same in the file the user edits.
pub fn from_bytes(shown_name: &str, bytes: Vec<u8>) -> Result<SourceFile, LoadError> {
    match bytes.as_slice() {
        [0xFF, 0xFE, body @ ..] => return from_utf16(shown_name, body, Encoding::Utf16Le),
        [0xFE, 0xFF, body @ ..] => return from_utf16(shown_name, body, Encoding::Utf16Be),
        _ => {}
    }
    match String::from_utf8(bytes) {
        // A UTF-8 byte-order mark is not content: drop it so columns on the
        // first line count from the first visible character.
        Ok(text) => Ok(match text.strip_prefix('\u{feff}') {
            Some(rest) => SourceFile::new(shown_name, rest).with_encoding(Encoding::Utf8Bom),
            None => SourceFile::new(shown_name, text),
        }),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // the lossy text is identical up to the first bad byte
            let diagnostic = Diagnostic::error(
                codes::NOT_UTF8,
                format!("`{shown_name}` is not valid UTF-8"),
            )
            .at(at..at, "invalid byte here")
            .help("save the file as UTF-8");
            Err(LoadError::Invalid(Box::new((
                SourceFile::new(shown_name, text),
                diagnostic,
            ))))
        }
    }
}

/// UTF-16 after its byte-order mark. A lone surrogate or an odd last byte
/// fails the read (`readerc.go:254-320`); the diagnostic points at it in
/// the transcoded text, the same line and column as in the file.
fn from_utf16(shown_name: &str, body: &[u8], encoding: Encoding) -> Result<SourceFile, LoadError> {
    let pairs = body.chunks_exact(2);
    let odd_byte = !pairs.remainder().is_empty();
    let units = pairs.map(|pair| {
        let bytes = [pair[0], pair[1]];
        if encoding == Encoding::Utf16Be {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        }
    });
    let mut text = String::with_capacity(body.len());
    let mut bad: Option<(usize, &str)> = None;
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => {
                bad.get_or_insert((text.len(), "a surrogate without its pair"));
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    if odd_byte {
        bad.get_or_insert((text.len(), "the file ends in the middle of a character"));
    }
    let Some((at, why)) = bad else {
        return Ok(SourceFile::new(shown_name, text).with_encoding(encoding));
    };
    let diagnostic = Diagnostic::error(
        codes::NOT_UTF8,
        format!("`{shown_name}` is not valid UTF-16: {why}"),
    )
    .at(at..at, "invalid character here")
    .help("re-save the file (UTF-8 is the usual encoding for cortex.yaml)");
    Err(LoadError::Invalid(Box::new((
        SourceFile::new(shown_name, text).with_encoding(encoding),
        diagnostic,
    ))))
}
