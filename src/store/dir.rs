//! A local mirror of S3: `s3://bucket/key` is `ROOT/bucket/key`. Only files
//! count as keys, as in S3. Nothing outside ROOT is ever read: `..` in a
//! path is refused, and a symbolic link is followed only when its target
//! stays inside ROOT.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{ModelStore, S3Path, StoreError};

/// Keys of one bucket, each with the real path of its file.
type BucketIndex = BTreeMap<String, PathBuf>;

#[derive(Debug)]
pub struct DirStore {
    root: PathBuf,
    shown: String,
    /// Each bucket is walked once per run: every listing and read is then
    /// answered from its index, with no further path resolution.
    buckets: Mutex<HashMap<String, Result<Arc<BucketIndex>, StoreError>>>,
}

/// How deep a mirror may nest (guards against link loops).
const MAX_DEPTH: usize = 64;

impl DirStore {
    pub fn new(root: &Path) -> Result<Self, StoreError> {
        let canonical = root.canonicalize().map_err(|e| StoreError::Other {
            detail: format!("the local store `{}` cannot be opened: {e}", root.display()),
        })?;
        if !canonical.is_dir() {
            return Err(StoreError::Other {
                detail: format!("the local store `{}` is not a directory", root.display()),
            });
        }
        Ok(Self {
            root: canonical,
            shown: root.display().to_string(),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn list_sync(&self, path: &S3Path) -> Result<Vec<String>, StoreError> {
        refuse_escapes(&path.prefix)?;
        let index = self.bucket(&path.bucket)?;
        Ok(index
            .range(path.prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&path.prefix))
            .map(|(key, _)| key[path.prefix.len()..].to_owned())
            .filter(|key| !key.is_empty())
            .collect())
    }

    fn get_sync(&self, bucket: &str, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        refuse_escapes(key)?;
        let index = self.bucket(bucket)?;
        let file = index.get(key).ok_or(StoreError::NoSuchKey)?;
        let size = std::fs::metadata(file)
            .map_err(|e| io_error(file, &e))?
            .len();
        if size > limit {
            return Err(StoreError::TooLarge { limit });
        }
        // sized by the file: one read for a file that does not change
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let opened = std::fs::File::open(file).map_err(|e| io_error(file, &e))?;
        opened
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(file, &e))?;
        if bytes.len() as u64 > limit {
            return Err(StoreError::TooLarge { limit });
        }
        Ok(bytes)
    }

    /// The index of a bucket, built on first use.
    fn bucket(&self, bucket: &str) -> Result<Arc<BucketIndex>, StoreError> {
        refuse_escapes(bucket)?;
        let cached = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(bucket)
            .cloned();
        if let Some(found) = cached {
            return found;
        }
        let built = self.index(bucket).map(Arc::new);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets.entry(bucket.to_owned()).or_insert(built).clone()
    }

    /// Walks a bucket: every file, keyed by its path relative to the bucket.
    fn index(&self, bucket: &str) -> Result<BucketIndex, StoreError> {
        let dir = self.root.join(bucket);
        let real = dir
            .canonicalize()
            .ok()
            .filter(|real| real.starts_with(&self.root) && real.is_dir());
        let Some(real) = real else {
            return Err(StoreError::NoSuchBucket);
        };
        let mut index = BucketIndex::new();
        let mut stack = vec![(real, String::new(), 0usize)];
        while let Some((dir, rel, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(StoreError::Other {
                    detail: format!("`{}` nests too deep", dir.display()),
                });
            }
            let entries = std::fs::read_dir(&dir).map_err(|e| io_error(&dir, &e))?;
            for entry in entries {
                let entry = entry.map_err(|e| io_error(&dir, &e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let kind = entry.file_type().map_err(|e| io_error(&entry.path(), &e))?;
                let key = format!("{rel}{name}");
                let (path, is_dir, is_file) = if kind.is_symlink() {
                    // a link is followed only when its target stays inside the store
                    match entry.path().canonicalize() {
                        Ok(target) if target.starts_with(&self.root) => {
                            let (d, f) = (target.is_dir(), target.is_file());
                            (target, d, f)
                        }
                        _ => continue,
                    }
                } else {
                    (entry.path(), kind.is_dir(), kind.is_file())
                };
                if is_dir {
                    stack.push((path, format!("{key}/"), depth + 1));
                } else if is_file {
                    index.insert(key, path);
                }
            }
        }
        Ok(index)
    }
}

/// Store paths are S3 keys: `..` and absolute parts never reach the disk.
fn refuse_escapes(path: &str) -> Result<(), StoreError> {
    let escapes = Path::new(path)
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(StoreError::Other {
            detail: format!("`{path}` leaves the local store"),
        });
    }
    Ok(())
}

fn io_error(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Other {
        detail: format!("cannot read `{}`: {e}", path.display()),
    }
}

impl ModelStore for DirStore {
    async fn list(&self, path: &S3Path) -> Result<Vec<String>, StoreError> {
        self.list_sync(path)
    }

    async fn get(&self, bucket: &str, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        self.get_sync(bucket, key, limit)
    }

    fn describe(&self) -> String {
        format!("local mirror {}", self.shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(name: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("cortex-tfc-dir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for file in [
            "b/iris/nn/1/saved_model.pb",
            "b/iris/nn-legacy/saved_model.pb",
            "b/iris/nn/1/variables/variables.index",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, b"x").expect("write");
        }
        std::fs::create_dir_all(root.join("b/iris/nn/2")).expect("empty dir");
        root
    }

    fn list(store: &DirStore, url: &str) -> Result<Vec<String>, StoreError> {
        store.list_sync(&S3Path::parse(url).expect("url"))
    }

    #[test]
    fn lists_files_under_the_prefix_only() {
        let root = mirror("prefix");
        let store = DirStore::new(&root).expect("store");
        assert_eq!(
            list(&store, "s3://b/iris/nn"),
            Ok(vec![
                "1/saved_model.pb".to_owned(),
                "1/variables/variables.index".to_owned()
            ])
        );
        assert_eq!(list(&store, "s3://b/missing/"), Ok(vec![]));
        assert_eq!(
            list(&store, "s3://nobucket/x"),
            Err(StoreError::NoSuchBucket)
        );
        assert!(matches!(
            list(&store, "s3://b/../../etc"),
            Err(StoreError::Other { .. })
        ));
        let _ = std::fs::remove_dir_all(root);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_leaving_the_store_are_ignored() {
        let root = mirror("links");
        let outside =
            std::env::temp_dir().join(format!("cortex-tfc-outside-{}", std::process::id()));
        std::fs::create_dir_all(&outside).expect("outside");
        std::fs::write(outside.join("secret"), b"x").expect("secret");
        std::os::unix::fs::symlink(&outside, root.join("b/iris/nn/escape")).expect("link out");
        std::os::unix::fs::symlink(root.join("b/iris/nn-legacy"), root.join("b/iris/nn/inside"))
            .expect("link in");
        let store = DirStore::new(&root).expect("store");
        let keys = list(&store, "s3://b/iris/nn/").expect("listing");
        assert!(keys.contains(&"inside/saved_model.pb".to_owned()));
        assert!(!keys.iter().any(|k| k.contains("secret")), "{keys:?}");
        // the prefix itself being a link out of the store
        assert_eq!(list(&store, "s3://b/iris/nn/escape/"), Ok(vec![]));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let read = runtime.block_on(store.get("b", "iris/nn/escape/secret", 1024));
        assert_eq!(read, Err(StoreError::NoSuchKey));
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(outside);
    }
}
