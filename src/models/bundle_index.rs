//! The shard count a SavedModel's `variables/variables.index` names.
//!
//! The index is a TensorFlow tensor bundle index
//! (`tensorflow/core/util/tensor_bundle/tensor_bundle.{h,cc}`): an SSTable
//! in LevelDB's table format whose entry with the empty key `""` is a
//! `BundleHeaderProto` (`tensor_bundle.proto`; field 1 `num_shards`).
//! TensorFlow restores the data files that header names,
//! `variables.data-0000k-of-<num_shards>` for every k < num_shards, and
//! ignores other data files.
//!
//! The empty key sorts first, so the header is the first entry of the first
//! data block: footer → index block → its first entry (the first data
//! block's handle) → that block's first entry. Only that path is read.
//! TensorFlow writes the index uncompressed (`BundleWriter::Finish` and
//! `MergeBundles` set `kNoCompression`), so a Snappy-compressed block is
//! reported as undecodable rather than decoded (no decompressor is carried
//! for a file TensorFlow never writes that way).

/// LevelDB's table magic number (`table/format.h`, `kTableMagicNumber`).
const MAGIC: u64 = 0xdb47_7524_8b80_fb57;
/// Footer: two block handles padded to 40 bytes, then the magic.
const FOOTER: usize = 48;
/// After each block: its compression type (1 byte) and masked CRC (4).
const TRAILER: usize = 5;

/// Why an index could not be decoded.
pub type Undecodable = String;

/// `BundleHeaderProto`, the fields needed.
#[derive(Clone, PartialEq, prost::Message)]
struct BundleHeader {
    #[prost(int32, tag = "1")]
    num_shards: i32,
}

/// The `num_shards` of the header of a `variables.index`.
pub fn num_shards(bytes: &[u8]) -> Result<u32, Undecodable> {
    let footer_at = bytes
        .len()
        .checked_sub(FOOTER)
        .ok_or_else(|| format!("{} bytes, shorter than a table footer", bytes.len()))?;
    let footer = &bytes[footer_at..];
    let mut magic = [0u8; 8];
    magic.copy_from_slice(&footer[40..]);
    if u64::from_le_bytes(magic) != MAGIC {
        return Err("not an SSTable (no table magic number at its end)".to_owned());
    }
    let mut at = 0;
    let _metaindex = handle(footer, &mut at)?;
    let index = handle(footer, &mut at)?;
    let index_block = block(bytes, index, "index block")?;
    let (_, first_handle) = first_entry(index_block, "index block")?;
    let mut at = 0;
    let data = handle(first_handle, &mut at)?;
    let data_block = block(bytes, data, "first data block")?;
    let (key, value) = first_entry(data_block, "first data block")?;
    if !key.is_empty() {
        return Err("the first entry is not the bundle header (key \"\")".to_owned());
    }
    let header = <BundleHeader as prost::Message>::decode(value)
        .map_err(|e| format!("the bundle header is not a BundleHeaderProto: {e}"))?;
    u32::try_from(header.num_shards)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("the bundle header names {} shards", header.num_shards))
}

/// A block handle: offset and size, two varints.
fn handle(bytes: &[u8], at: &mut usize) -> Result<(u64, u64), Undecodable> {
    Ok((varint(bytes, at)?, varint(bytes, at)?))
}

/// The contents of the block at `(offset, size)`, without its trailer.
fn block<'a>(
    bytes: &'a [u8],
    (offset, size): (u64, u64),
    what: &str,
) -> Result<&'a [u8], Undecodable> {
    let range = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(size).ok())
        .and_then(|(offset, size)| {
            let end = offset.checked_add(size)?;
            (end.checked_add(TRAILER)? <= bytes.len()).then_some((offset, end))
        });
    let Some((start, end)) = range else {
        return Err(format!("the {what} lies outside the file"));
    };
    match bytes[end] {
        0 => Ok(&bytes[start..end]),
        1 => Err(format!(
            "the {what} is Snappy-compressed (TensorFlow writes indexes uncompressed)"
        )),
        other => Err(format!(
            "the {what} has the unknown compression type {other}"
        )),
    }
}

/// The first key and value of a block (the first entry shares nothing with
/// an earlier key).
fn first_entry<'a>(block: &'a [u8], what: &str) -> Result<(&'a [u8], &'a [u8]), Undecodable> {
    let restarts_at = block
        .len()
        .checked_sub(4)
        .ok_or_else(|| format!("the {what} is too short"))?;
    let mut count = [0u8; 4];
    count.copy_from_slice(&block[restarts_at..]);
    let entries_end = usize::try_from(u32::from_le_bytes(count))
        .ok()
        .and_then(|n| n.checked_mul(4))
        .and_then(|n| restarts_at.checked_sub(n))
        .ok_or_else(|| format!("the {what} has a bad restart count"))?;
    let entries = &block[..entries_end];
    let mut at = 0;
    let shared = varint(entries, &mut at)?;
    let key_len = varint(entries, &mut at)?;
    let value_len = varint(entries, &mut at)?;
    if shared != 0 {
        return Err(format!("the {what}'s first entry shares a key prefix"));
    }
    let key = take(entries, &mut at, key_len)
        .ok_or_else(|| format!("the {what}'s first key runs past the block"))?;
    let value = take(entries, &mut at, value_len)
        .ok_or_else(|| format!("the {what}'s first value runs past the block"))?;
    Ok((key, value))
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, len: u64) -> Option<&'a [u8]> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    let taken = bytes.get(*at..end)?;
    *at = end;
    Some(taken)
}

/// A little-endian base-128 varint of at most 64 bits.
fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, Undecodable> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&byte) = bytes.get(*at) else {
            return Err("a number runs past its block".to_owned());
        };
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a number longer than 64 bits".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/savedmodels");
        std::fs::read(root.join(path)).expect("fixture")
    }

    /// Real exports: one shard (TF 2.3-style graph export, TF 2.21 export),
    /// two shards (variables on two devices, sharded Saver: MergeBundles).
    #[test]
    fn real_indexes_name_their_shard_count() {
        assert_eq!(
            num_shards(&fixture("tf23-two-shards/variables/variables.index")),
            Ok(2)
        );
        assert_eq!(
            num_shards(&fixture("tf23-one-signature/variables/variables.index")),
            Ok(1)
        );
        assert_eq!(
            num_shards(&fixture("one-signature/variables/variables.index")),
            Ok(1)
        );
    }

    #[test]
    fn broken_indexes_are_undecodable_never_a_panic() {
        let real = fixture("tf23-one-signature/variables/variables.index");
        assert!(num_shards(b"x").is_err());
        assert!(num_shards(&[0; 48]).is_err());
        // every truncation and every single-byte change: an answer, no panic
        for cut in 0..real.len() {
            let _ = num_shards(&real[..cut]);
            let _ = num_shards(&real[cut..]);
        }
        for at in 0..real.len() {
            for byte in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut changed = real.clone();
                changed[at] = byte;
                let _ = num_shards(&changed);
            }
        }
        // the first data block's trailer marked Snappy
        let footer = &real[real.len() - FOOTER..];
        let mut at = 0;
        let _metaindex = handle(footer, &mut at).expect("metaindex");
        let index = handle(footer, &mut at).expect("index");
        let (_, first) =
            first_entry(block(&real, index, "index").expect("index"), "index").expect("entry");
        let (offset, size) = handle(first, &mut 0).expect("data handle");
        let mut snappy = real.clone();
        snappy[usize::try_from(offset + size).expect("small")] = 1;
        assert!(
            num_shards(&snappy).is_err_and(|e| e.contains("Snappy")),
            "{:?}",
            num_shards(&snappy)
        );
    }
}
