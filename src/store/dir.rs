//! A local mirror of S3: `s3://bucket/key` is `ROOT/bucket/key`. Only files
//! count as keys, as in S3. Nothing outside ROOT is ever read: `..` in a
//! path is refused, and a symbolic link is followed only when its target
//! stays inside ROOT.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, OsStr};
use std::future::Future;
use std::io::Read;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustix::fs::{self, AtFlags, Dir, FileType, Mode, OFlags};

use super::{ModelStore, Object, ReadOptions, S3Path, StoreError};
use crate::parallel::{cores, on_threads};

/// Keys of one bucket, each with the real path of its file.
type BucketIndex = BTreeMap<String, PathBuf>;

/// A bucket's index, built once by whoever asks first; anyone else asking
/// meanwhile waits for it.
type BucketCell = Arc<OnceLock<Result<Arc<BucketIndex>, StoreError>>>;

#[derive(Debug)]
pub struct DirStore {
    root: PathBuf,
    shown: String,
    /// Each bucket is walked once per run: every listing and read is then
    /// answered from its index, with no further path resolution.
    buckets: Mutex<HashMap<String, BucketCell>>,
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
        let failed = |e: std::io::Error| io_error(file, &e);
        // open, size, one read, close: the size bounds the read, so a file
        // that grows meanwhile is read as it was
        let opened = std::fs::File::open(file).map_err(failed)?;
        let size = opened.metadata().map_err(failed)?.len();
        if size > limit {
            return Err(StoreError::TooLarge { limit });
        }
        let mut bytes = vec![0; usize::try_from(size).unwrap_or(0)];
        (&opened).read_exact(&mut bytes).map_err(failed)?;
        Ok(bytes)
    }

    /// Starts indexing `buckets` in the background, so that the walk runs
    /// while the configuration is still being checked. Listings and reads
    /// wait for an index still being built; a bucket named here but never
    /// listed costs only the walk.
    pub fn warm(self: &Arc<Self>, buckets: Vec<String>) {
        let store = Arc::clone(self);
        // if no thread can be started, each bucket is indexed on first use
        let _ = std::thread::Builder::new()
            .name("store-warm".to_owned())
            .spawn(move || {
                for bucket in buckets {
                    let _ = store.bucket(&bucket);
                }
            });
    }

    /// The index of a bucket, built on first use.
    fn bucket(&self, bucket: &str) -> Result<Arc<BucketIndex>, StoreError> {
        refuse_escapes(bucket)?;
        let cell = Arc::clone(
            self.buckets
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(bucket.to_owned())
                .or_default(),
        );
        // the map is not locked while the bucket is walked: other buckets
        // are answered meanwhile
        cell.get_or_init(|| self.index(bucket).map(Arc::new))
            .clone()
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
        let walk = Walk { root: &self.root };
        let threads = cores();
        let mut files = Vec::new();
        let frontier = walk.frontier(Folder::top(real), threads, &mut files)?;
        let below = walk.subtrees(&frontier, threads)?;
        Ok(files
            .into_iter()
            .chain(below.into_iter().flatten())
            .collect())
    }
}

/// A directory still to read.
struct Folder {
    path: PathBuf,
    /// The open directory it is in: it is opened there by name, which
    /// spares the kernel a lookup of the whole path. None for the bucket
    /// and for a followed link (opened by their real paths).
    parent: Option<Arc<Dir>>,
    /// Its key prefix inside the bucket: empty or ending in `/`.
    rel: String,
    depth: usize,
}

impl Folder {
    fn top(path: PathBuf) -> Self {
        Self {
            path,
            parent: None,
            rel: String::new(),
            depth: 0,
        }
    }

    fn open(&self) -> Result<OwnedFd, StoreError> {
        let failed = |e: rustix::io::Errno| io_error(&self.path, &e.into());
        match &self.parent {
            Some(parent) => {
                let name = self.path.file_name().unwrap_or(self.path.as_os_str());
                fs::openat(parent.fd().map_err(failed)?, name, DIR_FLAGS, Mode::empty())
            }
            None => fs::open(&self.path, DIR_FLAGS, Mode::empty()),
        }
        .map_err(failed)
    }
}

/// What one directory holds, as far as the index cares.
enum Kind {
    Dir,
    File,
    Link,
    Other,
}

type Files = Vec<(String, PathBuf)>;

/// The bucket walk. A bucket of thousands of models is mostly system calls
/// (open, read entries, close per directory), so the walk is cut in two:
/// the top levels breadth-first until there are enough subtrees to share,
/// then the subtrees on one thread per core, each taking the next subtree
/// when done. A directory stays open while its subdirectories wait to be
/// read: at most one per level of the depth-first part, and fewer than the
/// wanted subtrees in the breadth-first part.
struct Walk<'a> {
    root: &'a Path,
}

/// Enough subtrees to keep every thread busy when their sizes differ.
const SUBTREES_PER_THREAD: usize = 16;

impl Walk<'_> {
    /// Reads the top levels breadth-first, until they fan out into enough
    /// subtrees for `threads` (or end): the subtrees are returned unread.
    fn frontier(
        &self,
        top: Folder,
        threads: usize,
        files: &mut Files,
    ) -> Result<Vec<Folder>, StoreError> {
        let mut level = vec![top];
        while threads > 1 && !level.is_empty() && level.len() < threads * SUBTREES_PER_THREAD {
            let mut next = Vec::new();
            for folder in level {
                next.extend(self.read(&folder, files)?);
            }
            level = next;
        }
        Ok(level)
    }

    /// Walks the subtrees side by side.
    fn subtrees(&self, subtrees: &[Folder], threads: usize) -> Result<Vec<Files>, StoreError> {
        on_threads(subtrees, threads, |folder| {
            let mut files = Vec::new();
            self.subtree(folder, &mut files)?;
            Ok(files)
        })
        .into_iter()
        .collect()
    }

    /// Reads `folder` and everything below it, depth-first.
    fn subtree(&self, folder: &Folder, files: &mut Files) -> Result<(), StoreError> {
        for sub in self.read(folder, files)? {
            self.subtree(&sub, files)?;
        }
        Ok(())
    }

    /// Reads one directory: files go to `files`; its subdirectories are
    /// returned unread.
    fn read(&self, folder: &Folder, files: &mut Files) -> Result<Vec<Folder>, StoreError> {
        if folder.depth > MAX_DEPTH {
            return Err(StoreError::Other {
                detail: format!("`{}` nests too deep", folder.path.display()),
            });
        }
        let failed = |e: rustix::io::Errno| io_error(&folder.path, &e.into());
        let mut entries = Dir::new(folder.open()?).map_err(failed)?;
        let mut subs = Vec::new();
        let mut inside = Vec::new();
        while let Some(entry) = entries.read() {
            let entry = entry.map_err(failed)?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let path = folder.path.join(OsStr::from_bytes(name));
            let key = format!("{}{}", folder.rel, String::from_utf8_lossy(name));
            let kind = match entry.file_type() {
                FileType::Directory => Kind::Dir,
                FileType::RegularFile => Kind::File,
                FileType::Symlink => Kind::Link,
                FileType::Unknown => {
                    kind_at(entries.fd().map_err(failed)?, entry.file_name()).map_err(failed)?
                }
                _ => Kind::Other,
            };
            let below = |path: PathBuf| Folder {
                path,
                parent: None,
                rel: format!("{key}/"),
                depth: folder.depth + 1,
            };
            match kind {
                Kind::Dir => inside.push(below(path)),
                Kind::File => files.push((key, path)),
                // a link is followed only when its target stays inside the store
                Kind::Link => match path.canonicalize() {
                    Ok(target) if target.starts_with(self.root) => {
                        if target.is_dir() {
                            subs.push(below(target));
                        } else if target.is_file() {
                            files.push((key, target));
                        }
                    }
                    _ => {}
                },
                Kind::Other => {}
            }
        }
        if !inside.is_empty() {
            let dir = Arc::new(entries);
            for sub in &mut inside {
                sub.parent = Some(Arc::clone(&dir));
            }
        }
        subs.extend(inside);
        Ok(subs)
    }
}

/// A directory is opened only as itself, never through a link swapped in.
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// For file systems whose directory entries carry no type.
fn kind_at(parent: BorrowedFd<'_>, name: &CStr) -> Result<Kind, rustix::io::Errno> {
    let stat = fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(match FileType::from_raw_mode(stat.st_mode) {
        FileType::Directory => Kind::Dir,
        FileType::RegularFile => Kind::File,
        FileType::Symlink => Kind::Link,
        _ => Kind::Other,
    })
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

    /// Local reads are system calls: they run on one thread per core, not
    /// on the runtime's single thread.
    fn read_each<O, T, F>(
        self: Arc<Self>,
        objects: Vec<O>,
        options: ReadOptions,
        digest: F,
    ) -> impl Future<Output = Vec<(O, T)>> + Send
    where
        O: Object + Send + Sync + 'static,
        T: Send + 'static,
        F: Fn(&O, Result<Vec<u8>, StoreError>) -> T + Send + Sync + 'static,
    {
        let threads = cores().min(options.concurrency);
        let digests = on_threads(&objects, threads, |object| {
            digest(
                object,
                self.get_sync(object.bucket(), object.key(), options.limit),
            )
        });
        std::future::ready(objects.into_iter().zip(digests).collect())
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

    /// Files the walk must find: `count` models, a few levels deep, so the
    /// walk fans out into shared subtrees; plus files at the top levels.
    fn wide_mirror(name: &str, count: usize) -> (PathBuf, Vec<String>) {
        let root =
            std::env::temp_dir().join(format!("cortex-tfc-dir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut keys = vec!["README".to_owned(), "models/top.txt".to_owned()];
        for i in 0..count {
            for file in [
                "1/saved_model.pb",
                "1/variables/variables.index",
                "2/saved_model.pb",
            ] {
                keys.push(format!("models/{}/m{i}/{file}", i % 7));
            }
        }
        for key in &keys {
            let path = root.join("b").join(key);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, key.as_bytes()).expect("write");
        }
        keys.sort();
        (root, keys)
    }

    #[test]
    fn the_shared_walk_finds_every_file_once() {
        let (root, keys) = wide_mirror("wide", 300);
        let store = DirStore::new(&root).expect("store");
        assert_eq!(list(&store, "s3://b/"), Ok(keys));
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn a_warmed_bucket_answers_like_a_cold_one() {
        let (root, keys) = wide_mirror("warm", 50);
        let store = Arc::new(DirStore::new(&root).expect("store"));
        store.warm(vec!["b".to_owned(), "missing".to_owned(), "..".to_owned()]);
        // waits for the warming walk if it is still running
        assert_eq!(list(&store, "s3://b/"), Ok(keys));
        assert_eq!(
            list(&store, "s3://missing/x"),
            Err(StoreError::NoSuchBucket)
        );
        let _ = std::fs::remove_dir_all(root);
    }

    /// An object to read in the tests: the key is also what is expected.
    struct Key(&'static str);

    impl Object for Key {
        fn bucket(&self) -> &str {
            "b"
        }
        fn key(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn read_each_digests_in_the_order_given() {
        let (root, _) = wide_mirror("reads", 40);
        let store = Arc::new(DirStore::new(&root).expect("store"));
        let wanted = [
            "models/3/m10/2/saved_model.pb",
            "nope",
            "README",
            "models/0/m0/1/saved_model.pb",
        ];
        let options = ReadOptions {
            limit: 1024,
            concurrency: 8,
            progress: "reading",
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let read = runtime.block_on(Arc::clone(&store).read_each(
            wanted.iter().map(|k| Key(k)).collect(),
            options,
            |key: &Key, bytes| (key.0, bytes.map(String::from_utf8)),
        ));
        let got: Vec<_> = read
            .into_iter()
            .map(|(key, digest)| (key.0, digest))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "models/3/m10/2/saved_model.pb",
                    (
                        "models/3/m10/2/saved_model.pb",
                        Ok(Ok("models/3/m10/2/saved_model.pb".to_owned()))
                    )
                ),
                ("nope", ("nope", Err(StoreError::NoSuchKey))),
                ("README", ("README", Ok(Ok("README".to_owned())))),
                (
                    "models/0/m0/1/saved_model.pb",
                    (
                        "models/0/m0/1/saved_model.pb",
                        Ok(Ok("models/0/m0/1/saved_model.pb".to_owned()))
                    )
                ),
            ]
        );
        let small = ReadOptions {
            limit: 3,
            ..options
        };
        let refused =
            runtime.block_on(store.read_each(vec![Key("README")], small, |_: &Key, bytes| bytes));
        assert_eq!(refused[0].1, Err(StoreError::TooLarge { limit: 3 }));
        let _ = std::fs::remove_dir_all(root);
    }
}
