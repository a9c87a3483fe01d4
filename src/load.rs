//! Reading the configuration file: size limit, UTF-8, and the errors that
//! mean "could not read" rather than "your config is wrong".

use std::io::Read;
use std::path::Path;

use crate::diag::{Diagnostic, codes};
use crate::source::SourceFile;

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

pub fn from_bytes(shown_name: &str, bytes: Vec<u8>) -> Result<SourceFile, LoadError> {
    match String::from_utf8(bytes) {
        // A UTF-8 byte-order mark is not content: drop it so columns on the
        // first line count from the first visible character.
        Ok(text) => Ok(SourceFile::new(
            shown_name,
            text.strip_prefix('\u{feff}').unwrap_or(&text),
        )),
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
