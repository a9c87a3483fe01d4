//! Runs a parsed command and returns what to print and the exit code. The
//! binary's `main` only prints the result: one exit point.

use std::io::IsTerminal;

use crate::build;
use crate::check::{CheckOptions, Checked, Failure, ModelCheck, check_file};
use crate::cli::{
    BuildArgs, CheckArgs, Cli, ClusterArgs, ColorChoice, Command, CompletionsArgs, ExplainArgs,
    InspectArgs, OutputArgs, PublishArgs, StoreArgs,
};
use crate::cluster;
use crate::diag::Diagnostic;
use crate::diag::codes::{self, REGISTRY};
use crate::diag::render::{Format, Rendered, Report, render};
use crate::schema;
use std::sync::Arc;

use crate::store::dir::DirStore;
use crate::store::s3::{S3Options, S3Store};

/// Process exit codes (see README): invalid input and "could not check"
/// never share a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    InvalidInput = 1,
    Usage = 2,
    CouldNotFinish = 3,
}

pub struct Outcome {
    pub output: Rendered,
    pub exit: ExitCode,
    /// The checked document behind the output, when there is one. The
    /// binary exits without freeing it: for a big file that is many
    /// thousands of small allocations, which the OS takes back at once.
    pub checked: Option<Checked>,
}

pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Build(args) => build(&args),
        Command::Publish(args) => publish(&args),
        Command::Inspect(args) => inspect(&args),
        Command::Schema => text_outcome(schema::to_pretty_string(), ExitCode::Ok),
        Command::Explain(args) => explain(&args),
        Command::Completions(args) => completions(&args),
    }
}

/// Checks cortex.yaml, and with `--cluster` the cluster file first (a
/// missing cluster file is a usage error, like a missing cortex.yaml).
fn check_with_cluster(
    config: &std::path::Path,
    cluster_args: &ClusterArgs,
    store: &StoreArgs,
) -> Result<Checked, Failure> {
    let mut options = check_options(store);
    let loaded = match &cluster_args.cluster {
        Some(path) => {
            let mut loaded = cluster::check_file(path, &path.display().to_string())?;
            if let Some(config) = loaded.config.as_mut() {
                if let Some(bucket) = &cluster_args.bucket {
                    config.bucket = Some(bucket.clone());
                }
                config.account_id.clone_from(&cluster_args.account_id);
            }
            // the deploy checks assume a cluster Cortex would have created
            let cluster_ok = !loaded.diagnostics.iter().any(Diagnostic::is_error);
            options.cluster = loaded.config.clone().filter(|_| cluster_ok);
            options.cluster_given = true;
            Some(loaded)
        }
        None => None,
    };
    let mut checked = check_file(config, &config.display().to_string(), &options)?;
    if let Some(loaded) = loaded {
        checked.add_cluster_file(loaded);
    }
    Ok(checked)
}

/// `--account-id` is an AWS account id: twelve digits.
fn bad_account_flag(cluster_args: &ClusterArgs) -> Option<Outcome> {
    let id = cluster_args.account_id.as_deref()?;
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(usage_error(format!(
        "error: --account-id `{id}` is not an AWS account id (12 digits)\n"
    )))
}

/// `build` writes what the operator creates on one cluster: it needs the
/// cluster configuration (`check` runs without it).
fn build_needs_cluster(cluster_args: &ClusterArgs) -> Option<Outcome> {
    if cluster_args.cluster.is_some() {
        return None;
    }
    Some(usage_error(
        "error: `build` needs the cluster configuration (--cluster cluster.yaml): the bundle holds the cluster's name, region, bucket and node groups\n".to_owned(),
    ))
}

fn apis_checked(count: usize) -> String {
    match count {
        1 => "1 API checked".to_owned(),
        n => format!("{n} APIs checked"),
    }
}

fn usage_error(message: String) -> Outcome {
    Outcome {
        output: Rendered {
            stdout: Vec::new(),
            stderr: message.into_bytes(),
        },
        exit: ExitCode::Usage,
        checked: None,
    }
}

/// `--bucket` must be a name Cortex accepts for `bucket`.
fn bad_bucket_flag(cluster_args: &ClusterArgs) -> Option<Outcome> {
    let bucket = cluster_args.bucket.as_deref()?;
    if cluster::rules::strict_s3(bucket) {
        return None;
    }
    Some(usage_error(format!(
        "error: --bucket `{bucket}` is not a bucket name Cortex accepts (lower-case letters, digits and single dashes)\n"
    )))
}

fn check(args: &CheckArgs) -> Outcome {
    if let Some(usage) = bad_bucket_flag(&args.cluster).or_else(|| bad_account_flag(&args.cluster))
    {
        return usage;
    }
    match check_with_cluster(&args.config, &args.cluster, &args.store) {
        Ok(checked) => {
            let subject = apis_checked(checked.apis.len());
            let report = Report {
                source: Some(&checked.source),
                cluster: checked.cluster_source.as_ref(),
                diagnostics: &checked.diagnostics,
                summary_subject: subject,
                placement: checked.placement.as_deref(),
            };
            let exit = exit_code(&checked, &args.output);
            let output = render(args.output.format, &report, use_color(&args.output));
            Outcome {
                output,
                exit,
                checked: Some(checked),
            }
        }
        Err(Failure::NotFound(d)) => failure(*d, &args.output, ExitCode::Usage),
        Err(Failure::Io(d)) => failure(*d, &args.output, ExitCode::CouldNotFinish),
    }
}

fn build(args: &BuildArgs) -> Outcome {
    if args.store.offline {
        return usage_error(
            "error: `build` needs the models (their versions go into the bundle); --offline cannot be used\n".to_owned(),
        );
    }
    if let Some(usage) = bad_bucket_flag(&args.cluster)
        .or_else(|| bad_account_flag(&args.cluster))
        .or_else(|| build_needs_cluster(&args.cluster))
    {
        return usage;
    }
    let mut checked = match check_with_cluster(&args.config, &args.cluster, &args.store) {
        Ok(checked) => checked,
        Err(Failure::NotFound(d)) => return failure(*d, &args.output, ExitCode::Usage),
        Err(Failure::Io(d)) => return failure(*d, &args.output, ExitCode::CouldNotFinish),
    };
    let mut summary = apis_checked(checked.apis.len());
    let denied =
        args.output.deny_warnings && checked.diagnostics.iter().any(Diagnostic::is_warning);
    if !checked.has_errors() && !denied {
        match build::write_bundle(&checked, &args.out) {
            Ok(files) => {
                summary.push_str(&format!("; wrote {} ({files} files)", args.out.display()))
            }
            Err(d) => checked.diagnostics.push(*d),
        }
    }
    let report = Report {
        source: Some(&checked.source),
        cluster: checked.cluster_source.as_ref(),
        diagnostics: &checked.diagnostics,
        summary_subject: summary,
        placement: checked.placement.as_deref(),
    };
    let output = render(args.output.format, &report, use_color(&args.output));
    Outcome {
        output,
        exit: exit_code(&checked, &args.output),
        checked: Some(checked),
    }
}

fn publish(args: &PublishArgs) -> Outcome {
    let options = S3Options::new(args.s3_endpoint.clone(), args.s3_timeout);
    match crate::publish::publish(&args.bundle, &options) {
        Ok(published) => {
            let mut stdout = String::new();
            for line in &published.lines {
                stdout.push_str(line);
                stdout.push('\n');
            }
            stdout.push_str("complete the deploy with:\n");
            stdout.push_str(&published.apply);
            stdout.push('\n');
            text_outcome(stdout, ExitCode::Ok)
        }
        Err(diagnostics) => {
            let exit = if diagnostics.iter().any(Diagnostic::is_could_not_check) {
                ExitCode::CouldNotFinish
            } else {
                ExitCode::Usage
            };
            failures(&diagnostics, &args.output, exit)
        }
    }
}

fn inspect(args: &InspectArgs) -> Outcome {
    let usage = |why: String| usage_error(format!("error: {why}\n"));
    if args.store.offline {
        return usage("`inspect` reads the model; --offline cannot be used".to_owned());
    }
    let target = match crate::inspect::target(&args.model) {
        Ok(t) => t,
        Err(why) => return usage(why),
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return usage("cannot start the I/O runtime".to_owned());
    };
    let result = runtime.block_on(async {
        match (target, &check_options(&args.store).models) {
            (crate::inspect::Target::Local(dir), _) => {
                let (store, path) = crate::inspect::local_store(&dir)?;
                crate::inspect::inspect(Arc::new(store), &path, &args.model).await
            }
            (crate::inspect::Target::Store(path), ModelCheck::Local(root)) => {
                let store = DirStore::new(root)
                    .map_err(|e| Diagnostic::error(codes::STORE_FAILED, e.to_string()))?;
                crate::inspect::inspect(Arc::new(store), &path, &args.model).await
            }
            (crate::inspect::Target::Store(path), ModelCheck::S3(options)) => {
                crate::inspect::inspect(
                    Arc::new(S3Store::connect(options).await),
                    &path,
                    &args.model,
                )
                .await
            }
            (crate::inspect::Target::Store(_), ModelCheck::Offline) => {
                Err(Box::new(Diagnostic::error(codes::STORE_FAILED, "offline")))
            }
        }
    });
    match result {
        Ok(inspection) => {
            // inspect reports a model, not diagnostics: machine formats get its JSON
            let stdout = match args.output.format {
                Format::Json | Format::Sarif | Format::Github => {
                    let mut bytes = serde_json::to_vec_pretty(&inspection).unwrap_or_default();
                    bytes.push(b'\n');
                    bytes
                }
                Format::Human => crate::inspect::human(&inspection).into_bytes(),
            };
            Outcome {
                output: Rendered {
                    stdout,
                    stderr: Vec::new(),
                },
                exit: ExitCode::Ok,
                checked: None,
            }
        }
        Err(d) => {
            let exit = if d.is_could_not_check() {
                ExitCode::CouldNotFinish
            } else {
                ExitCode::InvalidInput
            };
            failure(*d, &args.output, exit)
        }
    }
}

fn exit_code(checked: &crate::check::Checked, output: &OutputArgs) -> ExitCode {
    let warnings = checked.diagnostics.iter().any(Diagnostic::is_warning);
    if checked
        .diagnostics
        .iter()
        .any(|d| d.code == codes::OUTPUT_NOT_A_BUNDLE)
    {
        ExitCode::Usage
    } else if checked.is_incomplete() {
        ExitCode::CouldNotFinish
    } else if checked.has_errors() || (output.deny_warnings && warnings) {
        ExitCode::InvalidInput
    } else {
        ExitCode::Ok
    }
}

fn check_options(store: &StoreArgs) -> CheckOptions {
    let models = if store.offline {
        ModelCheck::Offline
    } else if let Some(dir) = &store.store {
        ModelCheck::Local(dir.clone())
    } else {
        ModelCheck::S3(S3Options::new(store.s3_endpoint.clone(), store.s3_timeout))
    };
    CheckOptions {
        models,
        concurrency: usize::try_from(store.concurrency)
            .unwrap_or(crate::check::DEFAULT_CONCURRENCY),
        ..CheckOptions::default()
    }
}

fn failure(diagnostic: Diagnostic, output: &OutputArgs, exit: ExitCode) -> Outcome {
    failures(&[diagnostic], output, exit)
}

/// Diagnostics of a run that checked no file (a missing input, a tool or
/// AWS failure).
fn failures(diagnostics: &[Diagnostic], output: &OutputArgs, exit: ExitCode) -> Outcome {
    let report = Report {
        source: None,
        diagnostics,
        summary_subject: String::new(),
        ..Report::default()
    };
    Outcome {
        output: render(output.format, &report, use_color(output)),
        exit,
        checked: None,
    }
}

fn explain(args: &ExplainArgs) -> Outcome {
    let Some(code) = &args.code else {
        let list: String = REGISTRY
            .iter()
            .map(|i| format!("{}  {}\n", i.code, i.title))
            .collect();
        return text_outcome(list, ExitCode::Ok);
    };
    match codes::lookup(code) {
        Some(info) => text_outcome(
            format!("{}: {}\n\n{}\n", info.code, info.title, info.explanation),
            ExitCode::Ok,
        ),
        None => Outcome {
            output: Rendered {
                stdout: Vec::new(),
                stderr: format!(
                    "error: unknown diagnostic code `{code}`; `cortex-tfc explain` lists them all\n"
                )
                .into_bytes(),
            },
            exit: ExitCode::Usage,
            checked: None,
        },
    }
}

fn completions(args: &CompletionsArgs) -> Outcome {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "cortex-tfc", &mut script);
    Outcome {
        output: Rendered {
            stdout: script,
            stderr: Vec::new(),
        },
        exit: ExitCode::Ok,
        checked: None,
    }
}

fn text_outcome(text: String, exit: ExitCode) -> Outcome {
    Outcome {
        output: Rendered {
            stdout: text.into_bytes(),
            stderr: Vec::new(),
        },
        exit,
        checked: None,
    }
}

fn use_color(output: &OutputArgs) -> bool {
    match output.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            output.format == Format::Human
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}
