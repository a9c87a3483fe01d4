//! `build`: plan every checked API and write the bundle. Runs only on a
//! check without errors, so every model in the plan was found valid.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::Checked;
use crate::diag::{Diagnostic, codes};
use crate::emit::{self, DeployTarget, Inputs, Origin, ProjectFile, WriteError};
use crate::models::sources::accelerator;
use crate::plan::{ApiPlan, plan_api};
use crate::rules::project_files;

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
    let project = read_project(config_path, &source_name, out).map_err(|why| {
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
    let target = deploy_target(checked)?;
    let inputs = Inputs {
        target: &target,
        origins: &origins,
        project: &project,
        source_name: &source_name,
        source_text: checked.source.text(),
    };
    let mut bundle = emit::render(&plans(checked), &inputs).map_err(internal)?;
    add_cluster(&mut bundle, checked);
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

/// With `--cluster`, bundle.json also records the cluster (name, region,
/// bucket, namespaces, node groups with their EKS names, image overrides)
/// and each API's placement and cost, as `--format json` shows them.
fn add_cluster(bundle: &mut emit::Bundle, checked: &Checked) {
    let Some(cluster) = &checked.cluster else {
        return;
    };
    let Some(bytes) = bundle.files.get_mut("bundle.json") else {
        return;
    };
    let Ok(serde_json::Value::Object(mut manifest)) = serde_json::from_slice(bytes) else {
        return;
    };
    let to_json = |v| serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    manifest.insert("cluster".to_owned(), to_json(cluster));
    manifest.insert(
        "placement".to_owned(),
        serde_json::to_value(&checked.placement).unwrap_or(serde_json::Value::Null),
    );
    if let Ok(mut text) = serde_json::to_vec_pretty(&manifest) {
        text.push(b'\n');
        *bytes = text;
    }
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

/// The files `cortex deploy` zips (`rules::project_files::collect`, the list
/// the project-file rules checked), read for the project zip. The output
/// directory is left out when it lies inside the project, so a bundle never
/// zips an earlier bundle.
fn read_project(config: &Path, config_name: &str, out: &Path) -> Result<Vec<ProjectFile>, String> {
    let root = match config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let out = std::fs::canonicalize(out).ok();
    let collected = project_files::collect(&root, config_name);
    let mut files = Vec::new();
    for rel in collected.paths() {
        let path = root.join(rel);
        if out
            .as_ref()
            .is_some_and(|out| std::fs::canonicalize(&path).is_ok_and(|p| p.starts_with(out)))
        {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("`{}`: {e}", path.display()))?;
        files.push(ProjectFile {
            path: rel.to_owned(),
            bytes,
        });
    }
    Ok(files)
}

/// What the bundle needs from the cluster, from `--cluster` (and
/// `--bucket`): Cortex's operator takes the same values from its cluster
/// configuration.
fn deploy_target(checked: &Checked) -> Result<DeployTarget, Box<Diagnostic>> {
    match &checked.cluster {
        Some(cluster) => DeployTarget::from_cluster(cluster).map_err(|why| {
            Box::new(
                Diagnostic::error(codes::BUILD_NEEDS_CLUSTER_VALUE, why)
                    .at(0..0, "while building this file")
                    .help("name the bucket in cluster.yaml (`bucket:`) or with --bucket, and pass --account-id"),
            )
        }),
        // `build` refuses to run without --cluster (a usage error), and a
        // cluster file with errors stops the build before this point
        None => Err(Box::new(
            Diagnostic::error(codes::INTERNAL, "no cluster configuration to build for")
                .at(0..0, "while building this file")
                .help("please report this with the input that triggers it"),
        )),
    }
}
