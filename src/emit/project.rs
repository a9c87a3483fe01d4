//! The project zip `cortex deploy` sends and the operator uploads to
//! `<cluster>/projects/<projectID>.zip` (`resources/resources.go:90-121`);
//! the downloader unzips it into `/mnt/project` (`operator/k8s.go:201-208`).
//!
//! Written by hand (stored entries, no compression): Python's `zipfile`,
//! which the downloader uses, reads it, and the bytes depend on the files
//! only: sorted paths, a fixed 1980-01-01 timestamp, mode 0644.

/// DOS date of 1980-01-01 (the epoch of the format), time 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// "made by" Unix (3), format version 2.0.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
const VERSION_NEEDED: u16 = 20;
/// Bit 11: file names are UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
/// A regular file, rw-r--r--, in the high half of the external attributes.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;

/// One file of the project: its path relative to the project root, with
/// `/` separators, and its bytes.
pub struct ProjectFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The zip of `files`, in path order. Fails only past the format's 32-bit
/// limits (Cortex refuses such projects long before, `cli/cmd/deploy.go`).
pub fn zip(files: &[ProjectFile]) -> Result<Vec<u8>, String> {
    let mut sorted: Vec<&ProjectFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = Vec::new();
    let mut central = Vec::new();
    for file in &sorted {
        let offset = u32_of(out.len(), "the project zip")?;
        let size = u32_of(file.bytes.len(), &file.path)?;
        let name_len = u16::try_from(file.path.len())
            .map_err(|_| format!("`{}`: file name too long for a zip", file.path))?;
        let crc = crc32fast::hash(&file.bytes);
        let common = |buf: &mut Vec<u8>| {
            put16(buf, VERSION_NEEDED);
            put16(buf, FLAG_UTF8);
            put16(buf, 0); // stored
            put16(buf, DOS_TIME);
            put16(buf, DOS_DATE);
            put32(buf, crc);
            put32(buf, size);
            put32(buf, size);
            put16(buf, name_len);
            put16(buf, 0); // no extra field
        };
        put32(&mut out, 0x0403_4b50);
        common(&mut out);
        out.extend_from_slice(file.path.as_bytes());
        out.extend_from_slice(&file.bytes);

        put32(&mut central, 0x0201_4b50);
        put16(&mut central, VERSION_MADE_BY);
        common(&mut central);
        put16(&mut central, 0); // comment
        put16(&mut central, 0); // disk
        put16(&mut central, 0); // internal attributes
        put32(&mut central, EXTERNAL_ATTRIBUTES);
        put32(&mut central, offset);
        central.extend_from_slice(file.path.as_bytes());
    }
    let entries = u16::try_from(sorted.len()).map_err(|_| "too many files for a zip".to_owned())?;
    let central_offset = u32_of(out.len(), "the project zip")?;
    let central_size = u32_of(central.len(), "the project zip")?;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, entries);
    put16(&mut out, entries);
    put32(&mut out, central_size);
    put32(&mut out, central_offset);
    put16(&mut out, 0);
    Ok(out)
}

fn u32_of(n: usize, what: &str) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("{what}: larger than a zip without zip64 can hold"))
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, bytes: &[u8]) -> ProjectFile {
        ProjectFile {
            path: path.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn same_files_in_any_order_give_the_same_bytes() {
        let a = zip(&[file("b.py", b"x"), file("a/handler.py", b"y")]).expect("zip");
        let b = zip(&[file("a/handler.py", b"y"), file("b.py", b"x")]).expect("zip");
        assert_eq!(a, b);
        assert_eq!(&a[..4], b"PK\x03\x04");
        // end of central directory: two entries
        let eocd = &a[a.len() - 22..];
        assert_eq!(&eocd[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([eocd[8], eocd[9]]), 2);
    }

    #[test]
    fn an_empty_project_is_an_empty_zip() {
        assert_eq!(zip(&[]).expect("zip").len(), 22);
    }
}
