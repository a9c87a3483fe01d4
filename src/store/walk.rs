//! The local store's bucket walk: every file under a bucket directory, with
//! its key. A bucket of thousands of models is mostly system calls (open,
//! read entries, close, per directory), so the walk is shared out:
//!
//! 1. the top levels are read breadth-first until they fan out into enough
//!    subtrees to share (or end);
//! 2. the subtrees are then taken one at a time by every thread that works
//!    on the walk: the thread that started it, helper threads it starts,
//!    and any thread that needs the bucket while it is being walked
//!    ([`Walking::join`]), so a thread waiting for the index never idles.
//!
//! A directory is opened by name inside its parent's open descriptor, which
//! spares the kernel a lookup of the whole path; a parent stays open only
//! while its subdirectories wait to be read, and only in the top levels.
//! Subdirectories are read in key order, so the result never depends on the
//! file system's order or on the threads.
//!
//! A folder that cannot be walked (unreadable, nested deeper than
//! [`MAX_DEPTH`], a symbolic link back to a folder above it) does not stop
//! the walk: it is recorded with its key prefix ([`Broken`]), and the rest
//! of the bucket is walked as usual. The store then fails only the listings
//! and reads whose prefix covers it.
//! Nothing outside the store root is read: a symbolic link is followed only
//! when its real target is inside the root.

use std::ffi::CStr;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rustix::fs::{self, AtFlags, Dir, FileType, Mode, OFlags};

use super::StoreError;

/// Files found: key inside the bucket, real path.
pub type Files = Vec<(String, PathBuf)>;

/// Folders that could not be walked: key prefix inside the bucket (empty
/// for the bucket itself, else ending in `/`), and why.
pub type Broken = Vec<(String, StoreError)>;

/// What a walk found: every file it could reach, and the folders it could
/// not walk.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Files,
    pub broken: Broken,
}

/// How deep a mirror may nest (guards against link loops).
pub const MAX_DEPTH: usize = 64;

/// Subtrees the top levels fan out into before they are shared out. A
/// constant, not a function of the cores: where the breadth-first part ends
/// (and so which of two errors is met first) never depends on the machine.
const SUBTREES: usize = 32;

/// Directories shallower than this stay open while their subdirectories are
/// opened inside them; deeper ones are opened by path. Model trees are a
/// few levels deep; the bound keeps a deep mirror from holding a descriptor
/// per level on every thread.
const OPEN_PARENTS_ABOVE: usize = 8;

/// A bucket walk whose subtrees are shared out.
#[derive(Debug)]
pub struct Walking {
    root: PathBuf,
    subtrees: Vec<Folder>,
    next: AtomicUsize,
    progress: Mutex<Progress>,
    idle: Condvar,
}

#[derive(Default, Debug)]
struct Progress {
    /// Threads inside [`Walking::help`].
    busy: usize,
    /// Files above the subtrees, found breadth-first, and the folders
    /// there that could not be read.
    top: Walked,
    /// What each subtree gave, with the subtree's position.
    done: Vec<(usize, Walked)>,
}

impl Walking {
    /// Reads the top levels of `bucket` (its real path, inside `root`)
    /// until they fan out into enough subtrees to share.
    pub fn start(root: &Path, bucket: PathBuf) -> Self {
        let mut top = Walked::default();
        let mut level = vec![Folder::top(bucket)];
        while !level.is_empty() && level.len() < SUBTREES {
            let mut next = Vec::new();
            for folder in &level {
                next.extend(read_or_record(root, folder, &mut top));
            }
            level = next;
        }
        Self {
            root: root.to_path_buf(),
            subtrees: level,
            next: AtomicUsize::new(0),
            progress: Mutex::new(Progress {
                top,
                ..Progress::default()
            }),
            idle: Condvar::new(),
        }
    }

    /// Walks subtrees until none is left, with helper threads so that
    /// `threads` threads in all work on the walk (counting those already
    /// at it).
    pub fn join(&self, threads: usize) {
        let helpers = threads.saturating_sub(self.lock().busy + 1);
        std::thread::scope(|scope| {
            for _ in 0..helpers {
                // a helper that cannot be started leaves its share to the others
                let _ = std::thread::Builder::new().spawn_scoped(scope, || self.help());
            }
            self.help();
        });
    }

    /// Walks subtrees until none is left to take.
    fn help(&self) {
        let _busy = Busy::enter(self);
        let mut done = Vec::new();
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(folder) = self.subtrees.get(index) else {
                break;
            };
            let mut walked = Walked::default();
            subtree(&self.root, folder, &mut walked);
            done.push((index, walked));
        }
        self.lock().done.extend(done);
    }

    /// Waits for every thread still walking, then gives every file found
    /// and every folder that could not be walked, the latter sorted by key
    /// prefix. A subtree whose walker is gone (it unwound) is a broken
    /// folder of its own: only what lies under it is in doubt.
    pub fn finish(&self) -> Walked {
        let mut progress = self.lock();
        while progress.busy > 0 {
            progress = self
                .idle
                .wait(progress)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let mut walked = std::mem::take(&mut progress.top);
        let mut done = std::mem::take(&mut progress.done);
        drop(progress);
        done.sort_unstable_by_key(|(index, _)| *index);
        let mut done = done.into_iter().peekable();
        for (index, folder) in self.subtrees.iter().enumerate() {
            match done.next_if(|(i, _)| *i == index) {
                Some((_, subtree)) => {
                    walked.files.extend(subtree.files);
                    walked.broken.extend(subtree.broken);
                }
                None => walked.broken.push((
                    folder.rel.clone(),
                    StoreError::Other {
                        detail: format!(
                            "the local store walk stopped before `{}`",
                            folder.path.display()
                        ),
                    },
                )),
            }
        }
        walked.broken.sort_by(|a, b| a.0.cmp(&b.0));
        walked
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Counts a thread in [`Walking::help`], and out again even if it unwinds:
/// [`Walking::finish`] must never wait for a thread that is gone.
struct Busy<'a>(&'a Walking);

impl<'a> Busy<'a> {
    fn enter(walking: &'a Walking) -> Self {
        walking.lock().busy += 1;
        Self(walking)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let mut progress = self.0.lock();
        progress.busy -= 1;
        if progress.busy == 0 {
            self.0.idle.notify_all();
        }
    }
}

/// A directory still to read.
#[derive(Debug)]
struct Folder {
    path: PathBuf,
    /// The open directory it is in: it is opened there by name. None for
    /// the bucket and for a followed link (opened by their real paths).
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
        let failed = |e: rustix::io::Errno| io_error(&self.path, e);
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

/// What one directory entry is, as far as the index cares.
enum Kind {
    Dir,
    File,
    Link,
    Other,
}

/// Reads `folder` and everything below it, depth-first.
fn subtree(root: &Path, folder: &Folder, walked: &mut Walked) {
    for sub in read_or_record(root, folder, walked) {
        subtree(root, &sub, walked);
    }
}

/// Reads one directory (see [`read`]); one that cannot be read is recorded
/// as broken, with what was found in it before it failed, and has no
/// subdirectories to walk.
fn read_or_record(root: &Path, folder: &Folder, walked: &mut Walked) -> Vec<Folder> {
    match read(root, folder, walked) {
        Ok(subs) => subs,
        Err(error) => {
            walked.broken.push((folder.rel.clone(), error));
            Vec::new()
        }
    }
}

/// Reads one directory: files go to `walked`, and so do links that loop
/// back to a folder being walked (as broken folders); its subdirectories
/// are returned unread.
fn read(root: &Path, folder: &Folder, walked: &mut Walked) -> Result<Vec<Folder>, StoreError> {
    if folder.depth > MAX_DEPTH {
        return Err(StoreError::Other {
            detail: format!(
                "`{}` nests deeper than {MAX_DEPTH} folders",
                folder.path.display()
            ),
        });
    }
    let failed = |e: rustix::io::Errno| io_error(&folder.path, e);
    let mut entries = Dir::new(folder.open()?).map_err(failed)?;
    let mut subs = Vec::new();
    let mut inside = Vec::new();
    while let Some(entry) = entries.read() {
        let entry = entry.map_err(failed)?;
        let bytes = entry.file_name().to_bytes();
        // S3 keys are UTF-8: a name that is not cannot be one
        let Ok(name) = std::str::from_utf8(bytes) else {
            continue;
        };
        if name == "." || name == ".." {
            continue;
        }
        let path = folder.path.join(name);
        let mut key = String::with_capacity(folder.rel.len() + name.len());
        key.push_str(&folder.rel);
        key.push_str(name);
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
            Kind::File => walked.files.push((key, path)),
            // a link is followed only when its target stays inside the store
            Kind::Link => match path.canonicalize() {
                // the folder being read is real (the bucket and every link
                // target are canonical): a link to it or to a folder above
                // it would be walked again and again
                Ok(target) if target.is_dir() && folder.path.starts_with(&target) => {
                    walked.broken.push((
                        format!("{key}/"),
                        StoreError::Other {
                            detail: format!(
                                "`{}` is a symbolic link loop (to `{}`)",
                                path.display(),
                                target.display()
                            ),
                        },
                    ));
                }
                Ok(target) if target.starts_with(root) => {
                    if target.is_dir() {
                        subs.push(below(target));
                    } else if target.is_file() {
                        walked.files.push((key, target));
                    }
                }
                _ => {}
            },
            Kind::Other => {}
        }
    }
    if !inside.is_empty() && folder.depth < OPEN_PARENTS_ABOVE {
        let dir = Arc::new(entries);
        for sub in &mut inside {
            sub.parent = Some(Arc::clone(&dir));
        }
    }
    subs.extend(inside);
    // in key order, not the file system's: which error comes first must
    // not depend on where the mirror was copied to
    subs.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    Ok(subs)
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

/// A file or directory of the mirror that could not be read.
pub(super) fn io_error(path: &Path, e: impl Into<std::io::Error>) -> StoreError {
    StoreError::Other {
        detail: format!("cannot read `{}`: {}", path.display(), e.into()),
    }
}
