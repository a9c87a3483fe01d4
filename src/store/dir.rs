//! A local mirror of S3: `s3://bucket/key` is `ROOT/bucket/key`. Only files
//! count as keys, as in S3. Nothing outside ROOT is ever read: `..` in a
//! path is refused, and a symbolic link is followed only when its target
//! stays inside ROOT.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rustix::fs::{self, Mode, OFlags};

use super::walk::{Walking, io_error};
use super::{ModelStore, Object, ReadOptions, S3Path, StoreError};
use crate::parallel::{cores, on_threads};

/// Keys of one bucket, each with the real path of its file.
type BucketIndex = BTreeMap<String, PathBuf>;

type Indexed = Result<Arc<BucketIndex>, StoreError>;

/// A bucket's index: built once, by whoever asks first. Anyone else asking
/// meanwhile helps walk it, then waits for it.
#[derive(Default, Debug)]
struct BucketCell {
    state: Mutex<Indexing>,
    changed: Condvar,
}

#[derive(Default, Debug)]
enum Indexing {
    #[default]
    NotStarted,
    /// The top levels are being read: the walk cannot be joined yet.
    Starting,
    Walking(Arc<Walking>),
    Done(Indexed),
}

#[derive(Debug)]
pub struct DirStore {
    root: PathBuf,
    shown: String,
    /// Each bucket is walked once per run: every listing and read is then
    /// answered from its index, with no further path resolution.
    buckets: Mutex<HashMap<String, Arc<BucketCell>>>,
}

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
        // open (never through a link: the index holds real paths), size,
        // one read, close; the size bounds the read, so a file that grows
        // meanwhile is read as it was
        let failed = |e: std::io::Error| io_error(file, e);
        let opened = fs::open(file, FILE_FLAGS, Mode::empty())
            .map(std::fs::File::from)
            .map_err(|e| io_error(file, e))?;
        let size = opened.metadata().map_err(failed)?.len();
        if size > limit {
            return Err(StoreError::TooLarge { limit });
        }
        let mut bytes = vec![0; usize::try_from(size).unwrap_or(0)];
        (&opened).read_exact(&mut bytes).map_err(failed)?;
        Ok(bytes)
    }

    /// Starts indexing `bucket` in the background, so that the walk runs
    /// while the configuration is still being parsed and checked. It walks
    /// on this one thread (the caller is busy meanwhile); whoever needs the
    /// bucket later joins in. A bucket warmed but never listed costs only
    /// the walk.
    pub fn warm(self: &Arc<Self>, bucket: &str) {
        let store = Arc::clone(self);
        let bucket = bucket.to_owned();
        // if no thread can be started, the bucket is indexed on first use
        let _ = std::thread::Builder::new()
            .name("store-warm".to_owned())
            .spawn(move || {
                let _ = store.bucket_with(&bucket, 1);
            });
    }

    /// The index of a bucket, built on first use with one thread per core.
    fn bucket(&self, bucket: &str) -> Indexed {
        self.bucket_with(bucket, cores())
    }

    /// The index of a bucket. The first caller starts the walk; it and any
    /// caller arriving while it runs walk with up to `threads` threads in
    /// all; then everyone has the index.
    fn bucket_with(&self, bucket: &str, threads: usize) -> Indexed {
        refuse_escapes(bucket)?;
        if bucket.is_empty() || bucket == "." {
            return Err(StoreError::NoSuchBucket);
        }
        let cell = Arc::clone(
            self.buckets
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(bucket.to_owned())
                .or_default(),
        );
        let mut state = cell.lock();
        loop {
            match &*state {
                Indexing::Done(indexed) => return indexed.clone(),
                Indexing::NotStarted => {
                    *state = Indexing::Starting;
                    drop(state);
                    let indexing = Started(&cell);
                    let indexed = self.index(bucket, &cell, threads).map(Arc::new);
                    indexing.finish(indexed.clone());
                    return indexed;
                }
                Indexing::Starting => state = cell.wait(state),
                Indexing::Walking(walking) => {
                    let walking = Arc::clone(walking);
                    drop(state);
                    walking.join(threads);
                    state = cell.lock();
                    while !matches!(*state, Indexing::Done(_)) {
                        state = cell.wait(state);
                    }
                }
            }
        }
    }

    /// Walks a bucket: every file, keyed by its path relative to the bucket.
    fn index(
        &self,
        bucket: &str,
        cell: &BucketCell,
        threads: usize,
    ) -> Result<BucketIndex, StoreError> {
        let dir = self.root.join(bucket);
        let real = dir
            .canonicalize()
            .ok()
            .filter(|real| real.starts_with(&self.root) && real.is_dir());
        let Some(real) = real else {
            return Err(StoreError::NoSuchBucket);
        };
        let walking = Arc::new(Walking::start(&self.root, real)?);
        cell.set(Indexing::Walking(Arc::clone(&walking)));
        walking.join(threads);
        Ok(walking.finish()?.into_iter().collect())
    }
}

impl BucketCell {
    fn lock(&self) -> MutexGuard<'_, Indexing> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait<'a>(&self, state: MutexGuard<'a, Indexing>) -> MutexGuard<'a, Indexing> {
        self.changed
            .wait(state)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self, state: Indexing) {
        *self.lock() = state;
        self.changed.notify_all();
    }
}

/// The bucket being indexed by this thread. Should the walk unwind, the
/// cell still ends up done, so that no other thread waits forever.
struct Started<'a>(&'a BucketCell);

impl Started<'_> {
    fn finish(self, indexed: Indexed) {
        self.0.set(Indexing::Done(indexed));
        std::mem::forget(self);
    }
}

impl Drop for Started<'_> {
    fn drop(&mut self) {
        self.0.set(Indexing::Done(Err(StoreError::Other {
            detail: "the local store walk stopped unexpectedly".to_owned(),
        })));
    }
}

const FILE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

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

impl ModelStore for DirStore {
    async fn known_buckets(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }

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
    async fn read_each<O, T, F>(
        self: Arc<Self>,
        objects: Vec<O>,
        options: ReadOptions,
        digest: F,
    ) -> Vec<(O, T)>
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
        objects.into_iter().zip(digests).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::walk::MAX_DEPTH;

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
        for bucket in ["b", "missing", ".."] {
            store.warm(bucket);
        }
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

    #[test]
    fn threads_asking_at_once_share_one_walk() {
        let (root, keys) = wide_mirror("shared", 120);
        let store = Arc::new(DirStore::new(&root).expect("store"));
        store.warm("b");
        let listings: Vec<_> = std::thread::scope(|scope| {
            let askers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| list(&store, "s3://b/")))
                .collect();
            askers
                .into_iter()
                .map(|t| t.join().expect("asker"))
                .collect()
        });
        for listing in listings {
            assert_eq!(listing, Ok(keys.clone()));
        }
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn of_two_broken_subtrees_the_first_is_always_reported() {
        for attempt in 0..3 {
            let root = std::env::temp_dir().join(format!(
                "cortex-tfc-dir-deep-{attempt}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&root);
            for top in 0..40 {
                std::fs::create_dir_all(root.join(format!("b/d{top:02}"))).expect("mkdir");
            }
            for broken in ["d05", "d30"] {
                let deep: PathBuf = std::iter::repeat_n("x", MAX_DEPTH + 2).collect();
                std::fs::create_dir_all(root.join("b").join(broken).join(deep)).expect("deep");
            }
            let store = DirStore::new(&root).expect("store");
            let cold = list(&store, "s3://b/");
            match &cold {
                Err(StoreError::Other { detail }) => {
                    assert!(detail.contains("/d05/"), "{detail}");
                    assert!(detail.contains("nests too deep"), "{detail}");
                }
                other => panic!("expected the depth error, got {other:?}"),
            }
            // walked by the one warming thread, then joined: the same error
            let warmed = Arc::new(DirStore::new(&root).expect("store"));
            warmed.warm("b");
            assert_eq!(list(&warmed, "s3://b/"), cold);
            let _ = std::fs::remove_dir_all(root);
        }
    }

    #[test]
    fn odd_buckets_and_names_never_reach_the_index() {
        use std::os::unix::ffi::OsStrExt;
        let root = mirror("odd");
        let bad = root
            .join("b/iris/nn/1")
            .join(std::ffi::OsStr::from_bytes(b"bad\xff"));
        std::fs::write(bad, b"x").expect("non-UTF-8 name");
        let deep: PathBuf = (0..20).map(|i| format!("l{i}")).collect();
        let bottom = root.join("b/deep").join(&deep).join("saved_model.pb");
        std::fs::create_dir_all(bottom.parent().expect("parent")).expect("deep dirs");
        std::fs::write(&bottom, b"x").expect("deep file");
        let store = DirStore::new(&root).expect("store");
        // `.` is the store itself, not a bucket
        assert_eq!(list(&store, "s3://./b/"), Err(StoreError::NoSuchBucket));
        let keys = list(&store, "s3://b/").expect("listing");
        assert!(!keys.iter().any(|k| k.contains("bad")), "{keys:?}");
        let expected = format!("deep/{}/saved_model.pb", deep.display());
        assert!(keys.contains(&expected), "{keys:?}");
        let _ = std::fs::remove_dir_all(root);
    }
}
