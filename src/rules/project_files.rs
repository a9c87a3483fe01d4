//! Files named in cortex.yaml that must be in the project directory (the
//! directory holding cortex.yaml, which Cortex uploads).

use std::path::{Component, Path, PathBuf};

use super::ApiCtx;
use crate::diag::{Diagnostic, codes};

pub enum ProjectPath {
    /// The path joined onto the project directory.
    Inside(PathBuf),
    /// Absolute, `~`, or climbing out of the project with `..`.
    Outside,
}

/// Resolves a project-relative path without touching the disk.
pub fn resolve(project_dir: &Path, raw: &str) -> ProjectPath {
    if raw.starts_with('~') || Path::new(raw).is_absolute() {
        return ProjectPath::Outside;
    }
    let mut depth: usize = 0;
    for component in Path::new(raw).components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return ProjectPath::Outside,
            },
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return ProjectPath::Outside,
        }
    }
    ProjectPath::Inside(project_dir.join(raw))
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

pub fn handler_file(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let raw = &api.config.handler.path;
    let field = "handler.path";
    match resolve(api.project_dir, raw) {
        ProjectPath::Outside => vec![outside(api, field, raw)],
        ProjectPath::Inside(path) if path.is_file() => Vec::new(),
        ProjectPath::Inside(_) => vec![
            api.error(
                codes::PROJECT_FILE_MISSING,
                field,
                format!("handler.path `{raw}` does not exist in the project"),
                "file not found",
            )
            .help(format!(
                "paths are relative to {}, the directory holding cortex.yaml",
                shown_dir(api.project_dir)
            )),
        ],
    }
}

/// Dependency files are optional in Cortex (a missing default file is
/// skipped), so only paths the user wrote are checked, and a missing one is
/// a warning: Cortex would silently install nothing.
pub fn dependency_files(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(deps) = &api.config.handler.dependencies else {
        return Vec::new();
    };
    [("pip", &deps.pip), ("conda", &deps.conda), ("shell", &deps.shell)]
        .into_iter()
        .filter_map(|(key, value)| Some((format!("handler.dependencies.{key}"), value.as_deref()?)))
        .filter_map(|(field, raw)| match resolve(api.project_dir, raw) {
            ProjectPath::Outside => Some(outside(api, &field, raw)),
            ProjectPath::Inside(path) if path.is_file() => None,
            ProjectPath::Inside(_) => Some(
                api.warning(codes::DEPENDENCY_FILE_MISSING, &field, format!("{field} `{raw}` does not exist in the project"), "file not found")
                    .help("Cortex skips a missing dependency file without a word; fix the path or remove the field"),
            ),
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

    #[test]
    fn handler_file_must_exist_in_the_project() {
        let text = api_yaml("", "");
        assert!(run_rule(&text, handler_file).is_empty());
        let text = api_yaml("", "").replace("path: handler.py", "path: nope.py");
        assert_eq!(
            found(&text, &run_rule(&text, handler_file)),
            [("TFC2007", "nope.py")]
        );
        let text = api_yaml("", "").replace("path: handler.py", "path: ../x/handler.py");
        assert_eq!(
            found(&text, &run_rule(&text, handler_file)),
            [("TFC2038", "../x/handler.py")]
        );
    }

    #[test]
    fn written_dependency_files_must_exist() {
        let text = api_yaml(
            "    dependencies:\n      pip: requirements.txt\n      conda: missing.txt\n      shell: /etc/passwd\n",
            "",
        );
        let diags = run_rule(&text, dependency_files);
        assert_eq!(
            found(&text, &diags),
            [("TFC2008", "missing.txt"), ("TFC2038", "/etc/passwd")]
        );
        assert!(!diags[0].is_error());
    }

    #[test]
    fn resolve_refuses_escapes() {
        let dir = Path::new("/p");
        assert!(matches!(resolve(dir, "a/../b.py"), ProjectPath::Inside(_)));
        assert!(matches!(resolve(dir, "a/../../b.py"), ProjectPath::Outside));
        assert!(matches!(resolve(dir, "/b.py"), ProjectPath::Outside));
    }
}
