//! A local mirror of S3: `s3://bucket/key` is `ROOT/bucket/key`. Only files
//! count as keys, as in S3. Nothing outside ROOT is ever read: `..` in a
//! path is refused, and a symbolic link is followed only when its target
//! stays inside ROOT.

use std::path::{Component, Path, PathBuf};

use super::{ModelStore, S3Path, StoreError};

#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
    shown: String,
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
        })
    }

    fn list_sync(&self, path: &S3Path) -> Result<Vec<String>, StoreError> {
        let bucket = self.inside(Path::new(&path.bucket))?;
        if self.contained(&bucket).is_none_or(|real| !real.is_dir()) {
            return Err(StoreError::NoSuchBucket);
        }
        let start = self.inside(&Path::new(&path.bucket).join(&path.prefix))?;
        let mut keys = Vec::new();
        // the prefix's own directory (or a parent of it) may be a link: only
        // a real path inside the store is walked
        if let Some(real) = self.contained(&start).filter(|p| p.is_dir()) {
            self.walk(&real, &mut keys)?;
        }
        keys.sort();
        Ok(keys)
    }

    /// Joins a store-relative path onto the root, refusing `..` and roots.
    fn inside(&self, relative: &Path) -> Result<PathBuf, StoreError> {
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(StoreError::Other {
                detail: format!("`{}` leaves the local store", relative.display()),
            });
        }
        Ok(self.root.join(relative))
    }

    /// Collects files under `start` as keys relative to it.
    fn walk(&self, start: &Path, keys: &mut Vec<String>) -> Result<(), StoreError> {
        let mut stack = vec![(start.to_path_buf(), String::new(), 0usize)];
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
                let path = entry.path();
                let Some(target) = self.resolve(&path)? else {
                    continue;
                };
                let key = format!("{rel}{name}");
                if target.is_dir() {
                    stack.push((target, format!("{key}/"), depth + 1));
                } else if target.is_file() {
                    keys.push(key);
                }
            }
        }
        Ok(())
    }

    /// The real path (all links resolved) when it lies inside the store.
    fn contained(&self, path: &Path) -> Option<PathBuf> {
        path.canonicalize()
            .ok()
            .filter(|real| real.starts_with(&self.root))
    }

    /// The real path of an entry, or `None` for a link that leaves the store.
    fn resolve(&self, path: &Path) -> Result<Option<PathBuf>, StoreError> {
        let meta = std::fs::symlink_metadata(path).map_err(|e| io_error(path, &e))?;
        if !meta.file_type().is_symlink() {
            return Ok(Some(path.to_path_buf()));
        }
        match path.canonicalize() {
            Ok(target) if target.starts_with(&self.root) => Ok(Some(target)),
            // dangling, or pointing outside the mirror: not part of the store
            _ => Ok(None),
        }
    }
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
        use std::io::Read;
        let path = self.inside(&Path::new(bucket).join(key))?;
        let Some(target) = self.contained(&path).filter(|p| p.is_file()) else {
            return Err(StoreError::NoSuchKey);
        };
        let file = std::fs::File::open(&target).map_err(|e| io_error(&target, &e))?;
        let mut bytes = Vec::new();
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&target, &e))?;
        if bytes.len() as u64 > limit {
            return Err(StoreError::TooLarge { limit });
        }
        Ok(bytes)
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
