//! The project files as `cortex deploy` uploads them, and the fields of
//! cortex.yaml that name them.
//!
//! `cortex deploy` (`cli/cmd/deploy.go:150` `findProjectFiles`) walks the
//! directory holding cortex.yaml (`pkg/lib/files/files.go:829`
//! `ListDirRecursive`: lexical order, symlinks not followed) and leaves out
//! the configuration file itself, `cortex-debug-*`, hidden files, hidden
//! folders, `__pycache__` folders, `*.pyc`/`*.pyo`/`*.pyd`, and whatever
//! `.cortexignore` (gitignore syntax) lists; then it adds `.env` at the
//! root. It refuses a file or a project over 512 MiB, and zipping fails on
//! an entry that is not a readable file (a symlink to a directory, a broken
//! symlink). The operator then looks paths up by exact key in the unzipped
//! map (`pkg/operator/resources/validations.go:58` `HasFile`, `:63`
//! `HasDir`): no `./` or `..` is resolved.
//!
//! [`collect`] reproduces the walk and returns the sorted list of relative
//! paths the zip would hold ([`ProjectFiles::paths`]); the rules below look
//! fields up in it.

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::ApiCtx;
use crate::diag::{Diagnostic, codes};

/// `cli/cmd/deploy.go:47-48`: the largest file and the largest project
/// `cortex deploy` uploads.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_PROJECT_BYTES: u64 = 512 * 1024 * 1024;

/// What `cortex deploy` would upload from one project directory.
#[derive(Debug, Clone, Default)]
pub struct ProjectFiles {
    /// Relative paths with `/` separators, as the zip names them.
    paths: BTreeSet<String>,
    /// Files and folders (ending in `/`) the walk leaves out, with the
    /// reason (for help lines). Left-out folders are not walked.
    excluded: Vec<(String, &'static str)>,
    /// Why `cortex deploy` would fail on this directory, if it would.
    pub problems: Vec<String>,
    /// Texts already read by `head_text`: many APIs name one handler file.
    texts: Arc<Mutex<HashMap<PathBuf, Option<Arc<str>>>>>,
}

/// How much of a project file the rules read (a handler is far smaller).
pub const TEXT_BYTES: u64 = 1 << 20;

impl ProjectFiles {
    /// The sorted relative paths `cortex deploy` would zip.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(String::as_str)
    }

    /// Up to [`TEXT_BYTES`] + 1 bytes of `path` (under `project_dir`) as
    /// text, read once per run however many APIs name the file; `None` when
    /// it cannot be read.
    pub fn head_text(&self, project_dir: &Path, path: &str) -> Option<Arc<str>> {
        let full = project_dir.join(path);
        let mut texts = self
            .texts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        texts
            .entry(full)
            .or_insert_with_key(|full| read_head(full).map(Arc::from))
            .clone()
    }

    /// `HasFile`: an exact key.
    pub fn has_file(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    /// `HasDir`: some uploaded path starts with `path` + `/`.
    pub fn has_dir(&self, path: &str) -> bool {
        let prefix = if path.ends_with('/') {
            path.to_owned()
        } else {
            format!("{path}/")
        };
        self.paths
            .range(prefix.clone()..)
            .next()
            .is_some_and(|p| p.starts_with(&prefix))
    }

    /// Why a file on disk is not uploaded, when the walk left it out.
    pub fn exclusion(&self, path: &str) -> Option<&'static str> {
        self.excluded
            .iter()
            .find(|(p, _)| p == path || (p.ends_with('/') && path.starts_with(p.as_str())))
            .map(|(_, why)| *why)
    }
}

/// Walks `project_dir` as `cortex deploy` does; `config_name` is the file
/// name of cortex.yaml (left out of the upload).
/// The first [`TEXT_BYTES`] + 1 bytes of a file, in one sized read.
fn read_head(path: &Path) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let size = file.metadata().ok()?.len().min(TEXT_BYTES + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(size).ok()?);
    file.take(TEXT_BYTES + 1).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn collect(project_dir: &Path, config_name: &str) -> ProjectFiles {
    let root = if project_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        project_dir
    };
    let mut out = ProjectFiles::default();
    let ignore = cortexignore(root, &mut out.problems);
    // the walk applies the hidden-folder rule to the root too
    let root_name = std::fs::canonicalize(root)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    if root_name.is_some_and(|n| n.starts_with('.')) {
        out.problems.push(
            "the project directory's name starts with '.', so `cortex deploy` treats it as hidden and uploads none of it"
                .to_owned(),
        );
    } else {
        walk(root, config_name, ignore.as_ref(), &mut out);
    }
    // deploy.go:185: `.env` at the root is uploaded although hidden
    if root.join(".env").is_file() {
        out.paths.insert(".env".to_owned());
    }
    out
}

fn cortexignore(root: &Path, problems: &mut Vec<String>) -> Option<Gitignore> {
    let path = root.join(".cortexignore");
    if !path.is_file() {
        return None;
    }
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(format!(".cortexignore cannot be read: {e}"));
            return None;
        }
    };
    // Cortex reads it with go-gitignore's `NewFromFile` (`pkg/lib/files/
    // files.go:565-581`): no error handler, so a line it cannot parse is
    // skipped and the rest still apply, and a byte-order mark stays part
    // of the first line (which then matches nothing).
    let mut builder = GitignoreBuilder::new(root);
    for line in String::from_utf8_lossy(&bytes).split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // a pattern the matcher cannot compile is skipped, as Cortex skips it
        let _ = builder.add_line(None, line);
    }
    builder.build().ok()
}

/// Why the walk leaves an entry out, by the order of `findProjectFiles`'
/// ignore functions; `None` keeps it.
fn left_out(
    name: &str,
    relative: &str,
    is_dir: bool,
    config_name: &str,
    ignore: Option<&Gitignore>,
) -> Option<&'static str> {
    let depth_one = !relative.contains('/');
    if !is_dir && depth_one && name == config_name {
        return Some("it is the configuration file");
    }
    if name.starts_with("cortex-debug-") {
        return Some("`cortex deploy` leaves out cortex-debug-* files");
    }
    if name.starts_with('.') {
        return Some(if is_dir {
            "it is in a hidden folder, which `cortex deploy` does not upload"
        } else {
            "hidden files are not uploaded by `cortex deploy`"
        });
    }
    if is_dir && name == "__pycache__" {
        return Some("`cortex deploy` does not upload __pycache__ folders");
    }
    if !is_dir && [".pyc", ".pyo", ".pyd"].iter().any(|e| name.ends_with(e)) {
        return Some("`cortex deploy` does not upload compiled Python files");
    }
    if ignore.is_some_and(|g| g.matched(relative, is_dir).is_ignore()) {
        return Some(".cortexignore excludes it");
    }
    None
}

/// The walk itself: iterative, entries in byte order of their names (as
/// Go's `filepath.Walk`), symlinks not followed.
fn walk(root: &Path, config_name: &str, ignore: Option<&Gitignore>, out: &mut ProjectFiles) {
    let mut total: u64 = 0;
    // (directory on disk, its relative path)
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, relative)) = stack.pop() {
        let mut entries: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.filter_map(Result::ok).collect(),
            // the root is where cortex.yaml was read from: a failure to
            // list it is the caller's to report
            Err(_) if relative.is_empty() => continue,
            Err(e) => {
                out.problems
                    .push(format!("`{relative}` cannot be read: {e}"));
                continue;
            }
        };
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if relative.is_empty() {
                name.clone()
            } else {
                format!("{relative}/{name}")
            };
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            let is_dir = meta.is_dir();
            let why = left_out(&name, &path, is_dir, config_name, ignore);
            if is_dir {
                match why {
                    Some(why) => out.excluded.push((format!("{path}/"), why)),
                    None => subdirs.push((entry.path(), path)),
                }
                continue;
            }
            if let Some(why) = why {
                out.excluded.push((path, why));
                continue;
            }
            if let Some(problem) = not_zippable(&entry.path(), &meta) {
                out.problems.push(format!("`{path}` {problem}"));
                continue;
            }
            total = total.saturating_add(meta.len());
            if meta.len() > MAX_FILE_BYTES {
                out.problems.push(format!(
                    "`{path}` is larger than 512 MiB, the limit of `cortex deploy`"
                ));
            } else if total > MAX_PROJECT_BYTES {
                out.problems.push(format!(
                    "the project is larger than 512 MiB, the limit of `cortex deploy` (passed at `{path}`)"
                ));
                total = 0;
            }
            out.paths.insert(path);
        }
        // pushed in reverse so the first directory is walked first
        stack.extend(subdirs.into_iter().rev());
    }
}

/// Zipping reads each listed entry as a file (following symlinks).
fn not_zippable(path: &Path, meta: &std::fs::Metadata) -> Option<&'static str> {
    if !meta.file_type().is_symlink() {
        return None;
    }
    match std::fs::metadata(path) {
        Ok(target) if target.is_dir() => Some(
            "is a symlink to a directory: `cortex deploy` does not follow it and fails to zip it (\"not a file\")",
        ),
        Ok(_) => None,
        Err(_) => Some("is a broken symlink: `cortex deploy` fails to zip it"),
    }
}

/// The project as a whole cannot be uploaded: one diagnostic per problem,
/// on the first API's name (the problem is not in any one field).
pub fn upload_problems(apis: &[ApiCtx<'_>]) -> Vec<Diagnostic> {
    let Some(first) = apis.first() else {
        return Vec::new();
    };
    first
        .project
        .problems
        .iter()
        .map(|problem| {
            Diagnostic::error(
                codes::PROJECT_NOT_UPLOADABLE,
                format!("`cortex deploy` would fail on the project directory: {problem}"),
            )
            .at(first.name_span(), "deployed from this project")
            .help(format!(
                "fix it in {}, or list it in .cortexignore",
                shown_dir(first.project_dir)
            ))
        })
        .collect()
}

/// Where a path that is not uploaded would be, for the help line.
pub enum ProjectPath {
    /// The path, normalised, relative to the project directory.
    Inside(String),
    /// Absolute, `~`, or climbing out of the project with `..`.
    Outside,
}

/// Normalises a project-relative path without touching the disk (only to
/// explain a failed exact lookup, or for dependency files, which the worker
/// opens as ordinary paths).
pub fn resolve(raw: &str) -> ProjectPath {
    if raw.starts_with('~') || Path::new(raw).is_absolute() {
        return ProjectPath::Outside;
    }
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(raw).components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return ProjectPath::Outside;
                }
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return ProjectPath::Outside,
        }
    }
    ProjectPath::Inside(parts.join("/"))
}

pub fn outside(api: &ApiCtx<'_>, field: &str, raw: &str) -> Diagnostic {
    api.error(
        codes::PATH_OUTSIDE_PROJECT,
        field,
        format!("{field} `{raw}` is not inside the project directory"),
        "must be relative to the directory of cortex.yaml",
    )
    .help("paths are relative to the directory holding cortex.yaml; move it into the project")
}

/// `validations.go:880`: the operator looks `handler.path` up by exact key.
pub fn handler_file(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let raw = &api.config.handler.path;
    let field = "handler.path";
    if api.project.has_file(raw) {
        return Vec::new();
    }
    let normalised = match resolve(raw) {
        ProjectPath::Outside => return vec![outside(api, field, raw)],
        ProjectPath::Inside(p) => p,
    };
    let help = if normalised != *raw && api.project.has_file(&normalised) {
        format!(
            "Cortex looks the path up exactly as written, without resolving `.` or `..`: write `{normalised}`"
        )
    } else if let Some(why) = api.project.exclusion(&normalised) {
        format!("the file is there but is not uploaded: {why}")
    } else {
        format!(
            "paths are relative to {}, the directory holding cortex.yaml",
            shown_dir(api.project_dir)
        )
    };
    vec![
        api.error(
            codes::PROJECT_FILE_MISSING,
            field,
            format!("handler.path `{raw}` is not among the files `cortex deploy` uploads"),
            "file not found",
        )
        .help(help),
    ]
}

/// Dependency files are not checked by Cortex (the worker skips a missing
/// one without a word), so only paths the user wrote are looked at, and any
/// problem is a warning.
pub fn dependency_files(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(deps) = &api.config.handler.dependencies else {
        return Vec::new();
    };
    [("pip", &deps.pip), ("conda", &deps.conda), ("shell", &deps.shell)]
        .into_iter()
        .filter_map(|(key, value)| Some((format!("handler.dependencies.{key}"), value.as_deref()?)))
        .filter_map(|(field, raw)| {
            let why = match resolve(raw) {
                ProjectPath::Outside => "is outside the project directory, which is all `cortex deploy` uploads".to_owned(),
                ProjectPath::Inside(p) if api.project.has_file(&p) => return None,
                ProjectPath::Inside(p) => match api.project.exclusion(&p) {
                    Some(why) => format!("is not uploaded: {why}"),
                    None => "does not exist in the project".to_owned(),
                },
            };
            Some(
                api.warning(codes::DEPENDENCY_FILE_MISSING, &field, format!("{field} `{raw}` {why}"), "file not uploaded")
                    .help("Cortex skips a missing dependency file without a word; fix the path or remove the field"),
            )
        })
        .collect()
}

/// The project directory as shown in messages (`.` for the current one).
pub fn shown_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    /// A scratch project directory, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str, files: &[&str]) -> Self {
            let dir =
                std::env::temp_dir().join(format!("tfc-project-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            for f in files {
                let path = dir.join(f);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(&path, "x").expect("write");
            }
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    // cli/cmd/deploy.go:150 findProjectFiles and its ignore functions
    // (pkg/lib/files/files.go:505-580)
    #[test]
    fn collect_leaves_out_what_cortex_deploy_leaves_out() {
        let p = Scratch::new(
            "walk",
            &[
                "cortex.yaml",
                "other.yaml",
                "handler.py",
                ".env",
                ".secret",
                ".git/config",
                "src/__pycache__/m.cpython-38.pyc",
                "src/m.py",
                "src/m.pyc",
                "cortex-debug-1.tgz",
                "data/big.bin",
                "data/keep.txt",
                "logs/a.log",
            ],
        );
        std::fs::write(p.0.join(".cortexignore"), "data/*.bin\nlogs/\n").expect("write");
        let files = collect(&p.0, "cortex.yaml");
        assert_eq!(
            files.paths().collect::<Vec<_>>(),
            [
                ".env",
                "data/keep.txt",
                "handler.py",
                "other.yaml",
                "src/m.py"
            ]
        );
        assert!(files.problems.is_empty(), "{:?}", files.problems);
        assert!(files.has_dir("src") && files.has_dir("src/") && !files.has_dir("sr"));
        assert_eq!(
            files.exclusion("data/big.bin"),
            Some(".cortexignore excludes it")
        );
    }

    /// go-gitignore's `NewFromFile` (pkg/lib/files/files.go:565-581) has no
    /// error handler: a line it cannot parse is skipped, and a UTF-8
    /// byte-order mark stays in the first pattern. Found by running
    /// Cortex's CLI code on these files: both deploy `handler.py`.
    #[test]
    fn cortexignore_is_read_as_go_gitignore_reads_it() {
        let p = Scratch::new("ignore-quirks", &["handler.py", "data/a.bin"]);
        std::fs::write(p.0.join(".cortexignore"), "\\\r\ndata/\n").expect("write");
        let files = collect(&p.0, "cortex.yaml");
        assert!(files.problems.is_empty(), "{:?}", files.problems);
        assert_eq!(files.paths().collect::<Vec<_>>(), ["handler.py"]);
        std::fs::write(p.0.join(".cortexignore"), "\u{feff}handler.py\n").expect("write");
        let files = collect(&p.0, "cortex.yaml");
        assert!(files.has_file("handler.py"));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_a_directory_fails_the_upload() {
        let p = Scratch::new("symlink", &["handler.py", "lib/a.py"]);
        std::os::unix::fs::symlink(p.0.join("lib"), p.0.join("linked")).expect("symlink");
        std::os::unix::fs::symlink(p.0.join("handler.py"), p.0.join("alias.py")).expect("symlink");
        let files = collect(&p.0, "cortex.yaml");
        assert!(files.has_file("alias.py"));
        assert_eq!(files.problems.len(), 1);
        assert!(files.problems[0].contains("`linked` is a symlink to a directory"));
    }

    // pkg/operator/resources/validations.go:58 HasFile: an exact key
    #[test]
    fn handler_path_is_looked_up_exactly() {
        let text = api_yaml("", "");
        assert!(run_rule(&text, handler_file).is_empty());
        for (written, shown) in [
            ("nope.py", "nope.py"),
            ("./handler.py", "./handler.py"),
            ("src/../handler.py", "src/../handler.py"),
        ] {
            let text = api_yaml("", "").replace("path: handler.py", &format!("path: {written}"));
            assert_eq!(
                found(&text, &run_rule(&text, handler_file)),
                [("TFC2007", shown)]
            );
        }
        let text = api_yaml("", "").replace("path: handler.py", "path: ./handler.py");
        let help = run_rule(&text, handler_file)[0]
            .help
            .clone()
            .unwrap_or_default();
        assert!(help.contains("write `handler.py`"), "{help}");
        let text = api_yaml("", "").replace("path: handler.py", "path: ../x/handler.py");
        assert_eq!(
            found(&text, &run_rule(&text, handler_file)),
            [("TFC2038", "../x/handler.py")]
        );
    }

    #[test]
    fn written_dependency_files_are_warnings_only() {
        let text = api_yaml(
            "    dependencies:\n      pip: ./requirements.txt\n      conda: missing.txt\n      shell: /etc/passwd\n",
            "",
        );
        let diags = run_rule(&text, dependency_files);
        assert_eq!(
            found(&text, &diags),
            [("TFC2008", "missing.txt"), ("TFC2008", "/etc/passwd")]
        );
        assert!(diags.iter().all(|d| !d.is_error()));
    }

    #[test]
    fn resolve_refuses_escapes() {
        assert!(matches!(resolve("a/../b.py"), ProjectPath::Inside(p) if p == "b.py"));
        assert!(matches!(resolve("a/../../b.py"), ProjectPath::Outside));
        assert!(matches!(resolve("/b.py"), ProjectPath::Outside));
    }
}
