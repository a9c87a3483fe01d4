//! cortex-tfc: compiles Cortex 0.34 AsyncAPI deployments of TensorFlow models.
//!
//! The pipeline, one module per stage (see README "Design notes"):
//! `load` → `yaml` (span-keeping parse) → `rules::scope` → `schema` →
//! decode into `config` → `rules`; every stage reports `diag::Diagnostic`s,
//! rendered once by `diag::render`. `check` runs the stages; `commands`
//! maps a CLI command to output and an exit code.

pub mod build;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod diag;
pub mod emit;
pub mod inspect;
pub mod load;
pub mod models;
pub mod parallel;
pub mod plan;
pub mod publish;
pub mod rules;
pub mod schema;
pub mod source;
pub mod store;
pub mod values;
pub mod yaml;
