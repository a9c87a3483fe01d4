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
    /// Print the JSON Schema of cortex.yaml.
    Schema,
    /// Print the long explanation of a diagnostic code (all codes without one).
    Explain(ExplainArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Path to cortex.yaml.
    pub config: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format: `human` diagnostics on stderr, or `json` on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Colour human output: `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as TFC2031.
    pub code: Option<String>,
}
