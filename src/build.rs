//! `build`: plan every checked API and write the bundle. Runs only on a
//! check without errors, so every model in the plan was found valid.

use std::path::Path;

use crate::check::Checked;
use crate::diag::{Diagnostic, codes};
use crate::emit::{self, WriteError};
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
    let source_name = Path::new(checked.source.name()).file_name().map_or_else(
        || checked.source.name().to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut bundle =
        emit::render(&plans(checked), &source_name, checked.source.text()).map_err(|why| {
            Box::new(
                Diagnostic::error(
                    codes::INTERNAL,
                    format!("the bundle could not be rendered: {why}"),
                )
                .at(0..0, "while building this file")
                .help("please report this with the input that triggers it"),
            )
        })?;
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
