//! A local mirror of S3: `s3://bucket/key` is `ROOT/bucket/key`. Only files
//! count as keys, as in S3. Nothing outside ROOT is ever read: a bucket is
//! walked once into an index, every listing and read is a lookup of the key
//! in that index (so a key with `..` is a string that matches nothing, as a
//! key prefix in S3 that no object has), and a symbolic link is followed
//! only when its target stays inside ROOT.
//!
//! A folder the walk could not read (a link loop, nesting deeper than the
//! limit, no permission) fails only the listings and reads whose prefix
//! covers it; the rest of the bucket answers normally.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rustix::fs::{self, Mode, OFlags};

use super::walk::{Broken, Walking, io_error};
use super::{ModelStore, Object, ReadOptions, S3Path, StoreError};
use crate::parallel::{cores, on_threads};

/// One bucket: its keys, each with the real path of its file, and the
/// folders that could not be walked (sorted by key prefix).
#[derive(Debug, Default)]
struct BucketIndex {
    files: BTreeMap<String, PathBuf>,
    broken: Broken,
}

impl BucketIndex {
    /// The error of the first broken folder (in key order) that a listing
    /// of `prefix` covers: one under the prefix, or one the prefix lies in.
    fn broken_for_prefix(&self, prefix: &str) -> Option<&StoreError> {
        self.broken
            .iter()
            .find(|(folder, _)| folder.starts_with(prefix) || prefix.starts_with(folder.as_str()))
            .map(|(_, error)| error)
    }

    /// The error of the broken folder that `key` would lie in.
    fn broken_for_key(&self, key: &str) -> Option<&StoreError> {
        self.broken
            .iter()
            .find(|(folder, _)| key.starts_with(folder.as_str()))
            .map(|(_, error)| error)
    }
}

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
        let index = self.bucket(&path.bucket)?;
        // no file on disk has such a key: the prefix lists nothing, as in S3
        if !mirrorable(&path.prefix) {
            return Ok(Vec::new());
        }
        if let Some(error) = index.broken_for_prefix(&path.prefix) {
            return Err(error.clone());
        }
        Ok(index
            .files
            .range(path.prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&path.prefix))
            .map(|(key, _)| key[path.prefix.len()..].to_owned())
            .filter(|key| !key.is_empty())
            .collect())
    }

    fn get_sync(&self, bucket: &str, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        self.open_sync(bucket, key, limit)?.read()
    }

    /// Opens the file of `bucket`/`key` and sizes it, refusing it past
    /// `limit` bytes; nothing is read yet.
    fn open_sync(&self, bucket: &str, key: &str, limit: u64) -> Result<Opened, StoreError> {
        let index = self.bucket(bucket)?;
        if !mirrorable(key) {
            return Err(StoreError::NoSuchKey);
        }
        if let Some(error) = index.broken_for_key(key) {
            return Err(error.clone());
        }
        let path = index.files.get(key).ok_or(StoreError::NoSuchKey)?;
        // open (never through a link: the index holds real paths) and size;
        // the size bounds the read, so a file that grows meanwhile is read
        // as it was
        let file = fs::open(path, FILE_FLAGS, Mode::empty())
            .map(std::fs::File::from)
            .map_err(|e| io_error(path, e))?;
        let metadata = file.metadata().map_err(|e| io_error(path, e))?;
        let id = FileId::of(&metadata);
        if id.size > limit {
            return Err(StoreError::TooLarge { limit });
        }
        Ok(Opened {
            file,
            id,
            path: path.clone(),
        })
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
        // `.` is ROOT itself and `..` its parent: never buckets
        if bucket.is_empty() || !mirrorable(bucket) || bucket.contains('/') {
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

    /// Walks a bucket: every file, keyed by its path relative to the
    /// bucket, and the folders that could not be walked.
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
        let walking = Arc::new(Walking::start(&self.root, real));
        cell.set(Indexing::Walking(Arc::clone(&walking)));
        walking.join(threads);
        let walked = walking.finish();
        Ok(BucketIndex {
            files: walked.files.into_iter().collect(),
            broken: walked.broken,
        })
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

/// Whether a key (or key prefix, ending in `/`) could name files of the
/// mirror: a file's key is made of its folder and file names, so it never
/// has an empty, `.` or `..` segment. S3 keys may (`a/../m/` is a literal
/// prefix there); the mirror cannot hold them, so they match nothing.
fn mirrorable(key: &str) -> bool {
    let key = key.strip_suffix('/').unwrap_or(key);
    key.is_empty() || key.split('/').all(|s| !matches!(s, "" | "." | ".."))
}

/// Which file an open descriptor reads. Two keys with the same identity
/// (hard links, or links to one file) read the same bytes: a file written
/// to between the two reads would show another size or modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
}

impl FileId {
    fn of(metadata: &std::fs::Metadata) -> Self {
        Self {
            dev: metadata.dev(),
            ino: metadata.ino(),
            size: metadata.size(),
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
        }
    }
}

/// A file of the mirror, open and sized, not read yet.
struct Opened {
    file: std::fs::File,
    id: FileId,
    path: PathBuf,
}

impl Opened {
    /// The whole file, in one read of the size taken when it was opened.
    fn read(self) -> Result<Vec<u8>, StoreError> {
        let mut bytes = vec![0; usize::try_from(self.id.size).unwrap_or(0)];
        (&self.file)
            .read_exact(&mut bytes)
            .map_err(|e| io_error(&self.path, e))?;
        Ok(bytes)
    }
}

/// Digests already made in one [`ModelStore::read_each`], by file: a file
/// that several keys name is read and digested once.
struct Digested<T>(Mutex<HashMap<FileId, T>>);

impl<T: Clone> Digested<T> {
    fn get(&self, id: &FileId) -> Option<T> {
        self.lock().get(id).cloned()
    }

    fn keep(&self, id: FileId, digest: &T) {
        self.lock().insert(id, digest.clone());
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<FileId, T>> {
        // a digest is inserted whole or not at all: a poisoned map is sound
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
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
    /// on the runtime's single thread. A file that several keys name (hard
    /// links, as a mirror of many copies of one export often holds) is read
    /// and digested once; each key gets a copy of its digest.
    async fn read_each<O, T, F>(
        self: Arc<Self>,
        objects: Vec<O>,
        options: ReadOptions,
        digest: F,
    ) -> Vec<(O, T)>
    where
        O: Object + Send + Sync + 'static,
        T: Clone + Send + 'static,
        F: Fn(Result<Vec<u8>, StoreError>) -> T + Send + Sync + 'static,
    {
        let threads = cores().min(options.concurrency);
        let digested = Digested(Mutex::new(HashMap::new()));
        let digests = on_threads(&objects, threads, |object| {
            let opened = match self.open_sync(object.bucket(), object.key(), options.limit) {
                Ok(opened) => opened,
                Err(error) => return digest(Err(error)),
            };
            if let Some(seen) = digested.get(&opened.id) {
                return seen;
            }
            let id = opened.id;
            match opened.read() {
                Ok(bytes) => {
                    let made = digest(Ok(bytes));
                    digested.keep(id, &made);
                    made
                }
                // a failed read is not shared: another key may read it
                Err(error) => digest(Err(error)),
            }
        });
        objects.into_iter().zip(digests).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::walk::MAX_DEPTH;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
        let _ = std::fs::remove_dir_all(root);
    }

    /// In S3, `s3://b/a/../m/` is the literal key prefix `a/../m/` (Cortex's
    /// SplitS3Path and ListS3Prefix pass it verbatim). No file of the mirror
    /// has such a key, so it lists nothing and reads nothing, as in S3 where
    /// no object has it; nothing outside ROOT is touched.
    #[test]
    fn dot_segments_are_literal_keys_that_match_nothing() {
        let root = mirror("dots");
        let outside = root.with_file_name(format!(
            "{}-secret",
            root.file_name().and_then(|n| n.to_str()).unwrap_or("x")
        ));
        std::fs::write(&outside, b"x").expect("outside file");
        let store = DirStore::new(&root).expect("store");
        for prefix in [
            "s3://b/iris/../iris/nn/",
            "s3://b/../../etc/",
            "s3://b/./iris/nn/",
            "s3://b/iris//nn/",
            "s3://b/iris/nn/1/./",
        ] {
            assert_eq!(list(&store, prefix), Ok(vec![]), "{prefix}");
        }
        let secret = outside
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        for key in [
            "iris/../iris/nn/1/saved_model.pb".to_owned(),
            "./iris/nn/1/saved_model.pb".to_owned(),
            format!("../../{secret}"),
        ] {
            let read = runtime.block_on(store.get("b", &key, 1024));
            assert_eq!(read, Err(StoreError::NoSuchKey), "{key}");
        }
        // `.` is ROOT, `..` its parent: never buckets
        for bucket in ["s3://../x/", "s3://./b/", "s3://../"] {
            assert_eq!(
                list(&store, bucket),
                Err(StoreError::NoSuchBucket),
                "{bucket}"
            );
        }
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_file(outside);
    }

    /// A folder nested deeper than the limit, beside valid models.
    fn too_deep(root: &Path, at: &str) {
        let deep: PathBuf = std::iter::repeat_n("x", MAX_DEPTH + 2).collect();
        std::fs::create_dir_all(root.join(at).join(deep)).expect("deep");
    }

    /// A symbolic link loop or a too-deep folder in one part of the bucket
    /// fails the listings and reads that cover it, and only those.
    #[cfg(unix)]
    #[test]
    fn a_broken_folder_fails_only_what_covers_it() {
        let root = mirror("broken");
        std::fs::create_dir_all(root.join("b/loop/m")).expect("loop dir");
        std::fs::write(root.join("b/loop/m/saved_model.pb"), b"x").expect("file");
        std::os::unix::fs::symlink(root.join("b/loop"), root.join("b/loop/m/back")).expect("link");
        too_deep(&root, "b/deep/m");
        std::fs::write(root.join("b/deep/m/saved_model.pb"), b"x").expect("file");
        let store = DirStore::new(&root).expect("store");
        // the valid model beside them
        assert_eq!(
            list(&store, "s3://b/iris/nn/"),
            Ok(vec![
                "1/saved_model.pb".to_owned(),
                "1/variables/variables.index".to_owned()
            ])
        );
        assert_eq!(list(&store, "s3://b/iris/nn-leg/"), Ok(vec![]));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let read = runtime.block_on(store.get("b", "iris/nn/1/saved_model.pb", 1024));
        assert_eq!(read, Ok(b"x".to_vec()));
        // the models under the broken folders, and any prefix above them
        for (prefix, expected) in [
            ("s3://b/loop/m/", "is a symbolic link loop"),
            ("s3://b/loop/", "is a symbolic link loop"),
            ("s3://b/loop/m/back/x/", "is a symbolic link loop"),
            ("s3://b/deep/m/", "nests deeper than 64 folders"),
            ("s3://b/", "nests deeper than 64 folders"),
        ] {
            match list(&store, prefix) {
                Err(StoreError::Other { detail }) => {
                    assert!(detail.contains(expected), "{prefix}: {detail}");
                }
                other => panic!("{prefix}: expected an error, got {other:?}"),
            }
        }
        let read = runtime.block_on(store.get("b", "loop/m/back/saved_model.pb", 1024));
        assert!(matches!(read, Err(StoreError::Other { .. })), "{read:?}");
        // beside the broken folder, not under it: read as usual
        let read = runtime.block_on(store.get("b", "loop/m/saved_model.pb", 1024));
        assert_eq!(read, Ok(b"x".to_vec()));
        let _ = std::fs::remove_dir_all(root);
    }

    /// An unreadable folder (not for root, who reads everything).
    #[cfg(unix)]
    #[test]
    fn an_unreadable_folder_fails_only_what_covers_it() {
        use std::os::unix::fs::PermissionsExt;
        let root = mirror("unreadable");
        let locked = root.join("b/locked/m");
        std::fs::create_dir_all(&locked).expect("dir");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::read_dir(&locked).is_ok() {
            // running as root: the folder is readable after all
            let _ = std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755));
            let _ = std::fs::remove_dir_all(root);
            return;
        }
        let store = DirStore::new(&root).expect("store");
        assert!(matches!(
            list(&store, "s3://b/locked/m/"),
            Err(StoreError::Other { .. })
        ));
        assert_eq!(
            list(&store, "s3://b/iris/nn-legacy/"),
            Ok(vec!["saved_model.pb".to_owned()])
        );
        let _ = std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755));
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
            |bytes| bytes.map(String::from_utf8),
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
                    Ok(Ok("models/3/m10/2/saved_model.pb".to_owned()))
                ),
                ("nope", Err(StoreError::NoSuchKey)),
                ("README", Ok(Ok("README".to_owned()))),
                (
                    "models/0/m0/1/saved_model.pb",
                    Ok(Ok("models/0/m0/1/saved_model.pb".to_owned()))
                ),
            ]
        );
        let small = ReadOptions {
            limit: 3,
            ..options
        };
        let refused = runtime.block_on(store.read_each(vec![Key("README")], small, |bytes| bytes));
        assert_eq!(refused[0].1, Err(StoreError::TooLarge { limit: 3 }));
        let _ = std::fs::remove_dir_all(root);
    }

    /// Hard links of one file are read and digested once; a copy with the
    /// same bytes is another file, digested on its own.
    #[test]
    fn hard_links_are_digested_once() {
        let root = mirror("links");
        let original = root.join("b/iris/nn/1/saved_model.pb");
        for link in ["b/a/1/saved_model.pb", "b/c/1/saved_model.pb"] {
            let path = root.join(link);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::hard_link(&original, path).expect("link");
        }
        std::fs::copy(&original, root.join("b/iris/nn-legacy/saved_model.pb")).expect("copy");
        let store = Arc::new(DirStore::new(&root).expect("store"));
        let options = ReadOptions {
            limit: 1024,
            concurrency: 1,
            progress: "reading",
        };
        let digests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&digests);
        let keys = [
            "a/1/saved_model.pb",
            "iris/nn/1/saved_model.pb",
            "iris/nn-legacy/saved_model.pb",
            "c/1/saved_model.pb",
        ];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let read = runtime.block_on(store.read_each(
            keys.iter().map(|k| Key(k)).collect(),
            options,
            move |bytes| {
                counted.fetch_add(1, Ordering::Relaxed);
                bytes
            },
        ));
        assert_eq!(digests.load(Ordering::Relaxed), 2);
        let got: Vec<_> = read
            .into_iter()
            .map(|(key, bytes)| (key.0, bytes))
            .collect();
        assert_eq!(
            got,
            keys.iter()
                .map(|k| (*k, Ok(b"x".to_vec())))
                .collect::<Vec<_>>()
        );
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
                too_deep(&root, &format!("b/{broken}"));
            }
            let store = DirStore::new(&root).expect("store");
            let cold = list(&store, "s3://b/");
            match &cold {
                Err(StoreError::Other { detail }) => {
                    assert!(detail.contains("/d05/"), "{detail}");
                    assert!(detail.contains("nests deeper than"), "{detail}");
                }
                other => panic!("expected the depth error, got {other:?}"),
            }
            // walked by the one warming thread, then joined: the same error
            let warmed = Arc::new(DirStore::new(&root).expect("store"));
            warmed.warm("b");
            assert_eq!(list(&warmed, "s3://b/"), cold);
            // each broken subtree answers for itself; the others list
            assert!(
                matches!(list(&store, "s3://b/d30/"), Err(StoreError::Other { detail }) if detail.contains("/d30/"))
            );
            assert_eq!(list(&store, "s3://b/d12/"), Ok(vec![]));
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
