//! Parsers for the textual values of cortex.yaml that JSON Schema cannot
//! check: Kubernetes quantities, Go durations and container image
//! references. Shared by the rules (validation) and the plan (resolution).

pub mod duration;
pub mod image;
pub mod quantity;
