//! Command-line definitions (clap derive). Parsing only; the commands run
//! in `commands.rs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::render::Format;

/// Compiler and pre-deploy checker for Cortex 0.34 AsyncAPIs with the TensorFlow handler.
#[derive(Debug, Parser)]
#[command(name = "cortex-tfc", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check cortex.yaml against the JSON Schema and every Cortex 0.34 rule.
    Check(CheckArgs),
    /// Check, then write the deployable bundle (TF Serving configs, k8s manifests, worker specs).
    Build(BuildArgs),
    /// Upload a bundle's S3 objects and create its queue, as Cortex's operator would; prints the `kubectl apply` that completes the deploy.
    Publish(PublishArgs),
    /// Show a model's versions and signatures (inputs, outputs, dtypes, shapes).
    Inspect(InspectArgs),
    /// Print the JSON Schema of cortex.yaml.
    Schema,
    /// Print the long explanation of a diagnostic code (all codes without one).
    Explain(ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Path to cortex.yaml.
    pub config: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Path to cortex.yaml.
    pub config: PathBuf,
    /// Output directory; replaced atomically, and only if it is a bundle or empty.
    #[arg(short, long, value_name = "DIR", default_value = "cortex-bundle")]
    pub out: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// A bundle written by `build`.
    pub bundle: PathBuf,
    /// S3-compatible endpoint URL (implies path-style addressing); SQS
    /// follows AWS_ENDPOINT_URL_SQS.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// Timeout of one AWS request attempt, a Go duration.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub s3_timeout: std::time::Duration,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The model: s3://bucket/prefix (through the store options) or a local directory.
    pub model: String,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The cluster the APIs are deployed to.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Cortex 0.34 cluster configuration (cluster.yaml): checks it, and runs
    /// the deploy checks that need it (node groups, instance fit), with
    /// placement and cost per API.
    #[arg(long, value_name = "CLUSTER_YAML")]
    pub cluster: Option<PathBuf>,
    /// The cluster's S3 bucket, when cluster.yaml leaves it to Cortex (which
    /// derives it from the AWS account id; cortex-tfc never guesses it).
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub bucket: Option<String>,
    /// The AWS account id (12 digits) the cluster runs in: Cortex reads it
    /// from the credentials, and the bundle's queue URL holds it. Needed by
    /// `build`.
    #[arg(long, value_name = "ID", requires = "cluster")]
    pub account_id: Option<String>,
}

/// Where models are checked: real S3 by default (standard AWS chain).
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Resolve s3://bucket/key as DIR/bucket/key on local disk instead of S3.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["s3_endpoint", "offline"])]
    pub store: Option<PathBuf>,
    /// S3-compatible endpoint URL (implies path-style addressing).
    #[arg(long, value_name = "URL", conflicts_with = "offline")]
    pub s3_endpoint: Option<String>,
    /// Timeout of one S3 request attempt, a Go duration (failed attempts are
    /// retried with backoff, 5 attempts in all).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout, conflicts_with = "offline")]
    pub s3_timeout: std::time::Duration,
    /// Do not check model files (a warning says what was not checked).
    #[arg(long)]
    pub offline: bool,
    /// Store listings in flight at once.
    #[arg(long, value_name = "N", default_value_t = crate::check::DEFAULT_CONCURRENCY as u64, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub concurrency: u64,
}

#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format: `human` diagnostics on stderr; `json`, `sarif` (SARIF 2.1.0)
    /// or `github` (Actions workflow commands) on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors: exit 1 (and `build` writes nothing).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Colour human output: `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let nanos = crate::values::duration::parse(text)?;
    u64::try_from(nanos)
        .ok()
        .filter(|n| *n > 0)
        .map(std::time::Duration::from_nanos)
        .ok_or_else(|| "the timeout must be positive".to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as TFC2031.
    pub code: Option<String>,
}
