//! The local store's bucket walk: every file under a bucket directory, with
//! its key. A bucket of thousands of models is mostly system calls (open,
//! read entries, close, per directory), so the walk is shared out:
//!
//! 1. the top levels are read breadth-first until they fan out into enough
//!    subtrees to share (or end);
//! 2. the subtrees are then taken one at a time by every thread that works
//!    on the walk: the thread that started it, helper threads it starts,
//!    and any thread that needs the bucket while it is being walked
//!    ([`Walking::help`]), so a thread waiting for the index never idles.
//!
//! Below the top, a directory is opened by name inside its parent's open
//! descriptor, which spares the kernel a lookup of the whole path. A
//! directory stays open only while its subdirectories wait to be read.
//! Nothing outside the store root is read: a symbolic link is followed only
//! when its real target is inside the root.

use std::ffi::{CStr, OsStr};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rustix::fs::{self, AtFlags, Dir, FileType, Mode, OFlags};

use super::StoreError;

/// Files found: key inside the bucket, real path.
pub type Files = Vec<(String, PathBuf)>;

/// How deep a mirror may nest (guards against link loops).
pub const MAX_DEPTH: usize = 64;

/// Enough subtrees to keep every thread busy when their sizes differ.
const SUBTREES_PER_THREAD: usize = 16;

/// A bucket walk whose subtrees are shared out.
#[derive(Debug)]
pub struct Walking {
    root: PathBuf,
    /// Files above the subtrees, found breadth-first.
    top: Files,
    subtrees: Vec<Folder>,
    next: AtomicUsize,
    progress: Mutex<Progress>,
    idle: Condvar,
}

#[derive(Default, Debug)]
struct Progress {
    /// Threads inside [`Walking::help`].
    busy: usize,
    /// Each subtree's files, with the subtree's position.
    done: Vec<(usize, Result<Files, StoreError>)>,
}

impl Walking {
    /// Reads the top levels of `bucket` (its real path, inside `root`)
    /// until they fan out into enough subtrees for `threads` threads.
    pub fn start(root: &Path, bucket: PathBuf, threads: usize) -> Result<Self, StoreError> {
        let mut top = Vec::new();
        let mut level = vec![Folder::top(bucket)];
        let wanted = threads.max(2) * SUBTREES_PER_THREAD;
        while !level.is_empty() && level.len() < wanted {
            let mut next = Vec::new();
            for folder in &level {
                next.extend(read(root, folder, &mut top)?);
            }
            level = next;
        }
        Ok(Self {
            root: root.to_path_buf(),
            top,
            subtrees: level,
            next: AtomicUsize::new(0),
            progress: Mutex::new(Progress::default()),
            idle: Condvar::new(),
        })
    }

    /// Walks subtrees until none is left to take.
    pub fn help(&self) {
        let _busy = Busy::enter(self);
        let mut done = Vec::new();
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(folder) = self.subtrees.get(index) else {
                break;
            };
            let mut files = Vec::new();
            let walked = subtree(&self.root, folder, &mut files).map(|()| files);
            done.push((index, walked));
        }
        self.lock().done.extend(done);
    }

    /// Waits for every thread still walking, then gives every file (in
    /// subtree order, so the first error is always the same one).
    pub fn finish(self: Arc<Self>) -> Result<Files, StoreError> {
        let mut progress = self.lock();
        while progress.busy > 0 {
            progress = self
                .idle
                .wait(progress)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let mut done = std::mem::take(&mut progress.done);
        drop(progress);
        if done.len() < self.subtrees.len() {
            return Err(StoreError::Other {
                detail: "the local store walk stopped before its end".to_owned(),
            });
        }
        done.sort_unstable_by_key(|(index, _)| *index);
        let mut files = self.top.clone();
        for (_, walked) in done {
            files.extend(walked?);
        }
        Ok(files)
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
fn subtree(root: &Path, folder: &Folder, files: &mut Files) -> Result<(), StoreError> {
    for sub in read(root, folder, files)? {
        subtree(root, &sub, files)?;
    }
    Ok(())
}

/// Reads one directory: files go to `files`; its subdirectories are
/// returned unread.
fn read(root: &Path, folder: &Folder, files: &mut Files) -> Result<Vec<Folder>, StoreError> {
    if folder.depth > MAX_DEPTH {
        return Err(StoreError::Other {
            detail: format!("`{}` nests too deep", folder.path.display()),
        });
    }
    let failed = |e: rustix::io::Errno| io_error(&folder.path, e);
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
                Ok(target) if target.starts_with(root) => {
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

fn io_error(path: &Path, e: rustix::io::Errno) -> StoreError {
    StoreError::Other {
        detail: format!(
            "cannot read `{}`: {}",
            path.display(),
            std::io::Error::from(e)
        ),
    }
}
