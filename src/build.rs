//! `build`: plan every checked API and write the bundle. Runs only on a
//! check without errors, so every model in the plan was found valid.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::Checked;
use crate::diag::{Diagnostic, codes};
use crate::emit::{self, DeployTarget, Inputs, Origin, ProjectFile, WriteError};
use crate::models::sources::accelerator;
use crate::plan::{ApiPlan, plan_api};

/// Plans every API of a clean check.
pub fn plans(checked: &Checked) -> Vec<ApiPlan> {
    checked
        .apis
        .iter()
        .map(|config| {
            let models: Vec<_> = checked
                .models
                .iter()
                .filter(|m| m.api == config.name)
                .collect();
            plan_api(config, accelerator(config), &models)
        })
        .collect()
}

/// Renders and writes the bundle; returns the number of files written.
pub fn write_bundle(checked: &Checked, out: &Path) -> Result<usize, Box<Diagnostic>> {
    let config_path = Path::new(checked.source.name());
    let source_name = config_path.file_name().map_or_else(
        || checked.source.name().to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let internal = |why: String| {
        Box::new(
            Diagnostic::error(
                codes::INTERNAL,
                format!("the bundle could not be rendered: {why}"),
            )
            .at(0..0, "while building this file")
            .help("please report this with the input that triggers it"),
        )
    };
    let project = project_files(config_path, out).map_err(|why| {
        Box::new(
            Diagnostic::error(
                codes::PROJECT_READ_FAILED,
                format!("the project files could not be read: {why}"),
            )
            .at(0..0, "while zipping the project of this file")
            .help("`cortex deploy` zips every file next to cortex.yaml; check their permissions"),
        )
    })?;
    let submitted = submitted_specs(checked);
    let origins: Vec<Origin<'_>> = submitted
        .iter()
        .enumerate()
        .map(|(index, submitted)| Origin {
            file_name: &source_name,
            index,
            submitted,
        })
        .collect();
    // TEMPORARY: the fixed test cluster until `--cluster` is wired here
    let target = DeployTarget::test_target();
    let inputs = Inputs {
        target: &target,
        origins: &origins,
        project: &project,
        source_name: &source_name,
        source_text: checked.source.text(),
    };
    let bundle = emit::render(&plans(checked), &inputs).map_err(internal)?;
    let files = bundle.files.len();
    emit::write(&bundle, out).map_err(|e| {
        Box::new(match e {
            WriteError::NotABundle(dir) => Diagnostic::error(
                codes::OUTPUT_NOT_A_BUNDLE,
                format!("`{}` exists and is not a cortex-tfc bundle", dir.display()),
            )
            .at(0..0, "not written")
            .help("choose another output directory with -o, or remove this one"),
            WriteError::Io(why) => Diagnostic::error(
                codes::BUNDLE_WRITE_FAILED,
                format!("the bundle could not be written: {why}"),
            )
            .at(0..0, "not written")
            .help("the previous bundle, if any, is unchanged; check free space and permissions"),
        })
    })?;
    Ok(files)
}

/// Each API's mapping as written (`submitted_api_spec`), in file order.
fn submitted_specs(checked: &Checked) -> Vec<Value> {
    let root = crate::yaml::parse(checked.source.text(), crate::yaml::Limits::default())
        .root
        .map(|node| node.to_json());
    let items = match root {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    (0..checked.apis.len())
        .map(|i| items.get(i).cloned().unwrap_or(Value::Null))
        .collect()
}

/// TEMPORARY stand-in for the project-file collection (#10 adds the exact
/// list `cortex deploy` zips to `rules/project_files.rs`; the lead swaps it
/// in at merge). Follows `cli/cmd/deploy.go:150-191`: every file under the
/// config's directory except the config itself, hidden files and folders,
/// Python caches and what `.cortexignore` names (plain names and `dir/`
/// entries only), plus `.env`. The output directory is never included.
fn project_files(config: &Path, out: &Path) -> Result<Vec<ProjectFile>, String> {
    let root = match config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let ignored = cortex_ignore(&root);
    let out = std::fs::canonicalize(out).ok();
    let config = std::fs::canonicalize(config).ok();
    let mut files = Vec::new();
    let mut pending = vec![(root.clone(), String::new())];
    while let Some((dir, rel)) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("`{}`: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("`{}`: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let rel_path = format!("{rel}{name}");
            let canonical = std::fs::canonicalize(&path).ok();
            let is_dir = path.is_dir();
            let skip = (name.starts_with('.') && name != ".env")
                || name == "__pycache__"
                || name.ends_with(".pyc")
                || ignored
                    .iter()
                    .any(|i| i == &name || *i == format!("{name}/") && is_dir)
                || canonical.is_some() && (canonical == out || canonical == config);
            if skip {
                continue;
            }
            if is_dir {
                pending.push((path, format!("{rel_path}/")));
            } else if path.is_file() {
                let bytes =
                    std::fs::read(&path).map_err(|e| format!("`{}`: {e}", path.display()))?;
                files.push(ProjectFile {
                    path: rel_path,
                    bytes,
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn cortex_ignore(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join(".cortexignore"))
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
