//! The cluster: Cortex 0.34's cluster configuration (`--cluster
//! cluster.yaml`) and the deploy checks that need it.
//!
//! - [`file`]: the file as written (serde + schemars: the JSON Schema that
//!   `schema::SchemaChecker` checks it against);
//! - [`rules`]: the field rules JSON Schema cannot express (instance table,
//!   names, spot, CIDRs, tags), codes `TFC60xx`;
//! - [`instances`]: Cortex's own instance table, compiled in;
//! - [`fit`]: `validateK8sCompute`, the per-API deploy checks, `TFC61xx`;
//! - [`placement`]: where each API can run and what it costs.
//!
//! [`ClusterConfig`] is the small typed result the rest of the compiler
//! uses (name, region, bucket, namespace, node groups with the names Cortex
//! gives them in EKS, image overrides). Every diagnostic about the cluster
//! file is marked [`InputFile::Cluster`], so renderers show that file.

pub mod file;
pub mod fit;
pub mod instances;
pub mod placement;
pub mod rules;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::check::Failure;
use crate::diag::{Diagnostic, InputFile, codes};
use crate::load::{LoadError, load};
use crate::schema::{SchemaChecker, repair};
use crate::source::SourceFile;
use crate::yaml::{self, Limits, Node, Value};
use file::{ClusterFile, NodeGroupFile};
use instances::{Instance, table};

/// The cluster configuration, with Cortex's defaults filled in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterConfig {
    pub cluster_name: String,
    pub region: String,
    /// The cluster's bucket: from the file or `--bucket`. `None` when
    /// neither names it: Cortex then derives it from the AWS account id
    /// (`<cluster_name>-<hash>`, cluster_config.go:846-849), which
    /// cortex-tfc never guesses.
    pub bucket: Option<String>,
    /// Namespace of the APIs' Kubernetes objects.
    pub namespace: String,
    pub istio_namespace: String,
    pub node_groups: Vec<NodeGroup>,
    /// Image overrides of Cortex's own components, by key (`image_operator`).
    pub image_overrides: BTreeMap<String, String>,
    /// The AWS tags of the file (`tags`): Cortex puts them on every resource
    /// it creates, the API queues included.
    pub tags: BTreeMap<String, String>,
    /// The AWS account (`--account-id`): Cortex reads it from the
    /// credentials; queue URLs and the operator's ID derive from it.
    #[serde(skip)]
    pub account_id: Option<String>,
}

/// One node group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeGroup {
    pub name: String,
    /// The EKS node group Cortex creates for it (see [`eks_node_group_name`]).
    pub eks_name: String,
    pub instance_type: String,
    pub min_instances: i64,
    pub max_instances: i64,
    pub spot: bool,
    /// Spot alternatives (never used by the deploy checks).
    pub instance_distribution: Vec<String>,
    /// The primary instance type in the region's table; `None` when the
    /// file names one Cortex does not sell there (already an error).
    #[serde(skip)]
    pub instance: Option<Instance>,
}

/// The name Cortex gives a node group in EKS, and in the node affinities
/// of the APIs placed on it: `cx-wd-<name>` on demand, `cx-ws-<name>` for
/// spot (manager/generate_eks.py:66 and :97 at v0.34.0).
pub fn eks_node_group_name(name: &str, spot: bool) -> String {
    let prefix = if spot { "cx-ws-" } else { "cx-wd-" };
    format!("{prefix}{name}")
}

/// Defaults of cluster_config.go's field table (:227-255, :456-468).
const DEFAULT_CLUSTER_NAME: &str = "cortex";
const DEFAULT_NAMESPACE: &str = "default";
const DEFAULT_ISTIO_NAMESPACE: &str = "istio-system";
const DEFAULT_MIN_INSTANCES: i64 = 1;
const DEFAULT_MAX_INSTANCES: i64 = 5;

impl ClusterConfig {
    fn from_file(file: &ClusterFile) -> Self {
        Self {
            cluster_name: file
                .cluster_name
                .clone()
                .unwrap_or_else(|| DEFAULT_CLUSTER_NAME.to_owned()),
            region: file.region.clone(),
            bucket: file.bucket.clone().filter(|b| !b.is_empty()),
            namespace: file
                .namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()),
            istio_namespace: file
                .istio_namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_ISTIO_NAMESPACE.to_owned()),
            node_groups: file
                .node_groups
                .iter()
                .map(|ng| NodeGroup::from_file(ng, &file.region))
                .collect(),
            image_overrides: file
                .images()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            tags: file.tags.clone().unwrap_or_default(),
            account_id: None,
        }
    }

    pub fn node_group(&self, name: &str) -> Option<&NodeGroup> {
        self.node_groups.iter().find(|ng| ng.name == name)
    }
}

impl NodeGroup {
    fn from_file(ng: &NodeGroupFile, region: &str) -> Self {
        let spot = ng.spot == Some(true);
        Self {
            name: ng.name.clone(),
            eks_name: eks_node_group_name(&ng.name, spot),
            instance_type: ng.instance_type.clone(),
            min_instances: ng.min_instances.unwrap_or(DEFAULT_MIN_INSTANCES),
            max_instances: ng.max_instances.unwrap_or(DEFAULT_MAX_INSTANCES),
            spot,
            instance_distribution: ng
                .spot_config
                .as_ref()
                .and_then(|s| s.instance_distribution.clone())
                .unwrap_or_default(),
            instance: table().get(region, &ng.instance_type).cloned(),
        }
    }
}

/// The cluster file after checking: the source (for rendering), the
/// config when it decoded, and every problem found.
pub struct LoadedCluster {
    pub source: SourceFile,
    pub config: Option<ClusterConfig>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and checks the cluster file at `path`.
pub fn check_file(path: &Path, shown_name: &str) -> Result<LoadedCluster, Failure> {
    let mark = |d: Box<Diagnostic>| Box::new(d.in_file(InputFile::Cluster));
    match load(path, shown_name) {
        Ok(source) => Ok(check_source(source)),
        Err(LoadError::NotFound(d)) => Err(Failure::NotFound(mark(d))),
        Err(LoadError::Io(d)) => Err(Failure::Io(mark(d))),
        Err(LoadError::Invalid(invalid)) => {
            let (source, d) = *invalid;
            Ok(LoadedCluster {
                source,
                config: None,
                diagnostics: vec![d.in_file(InputFile::Cluster)],
            })
        }
    }
}

/// Checks already-loaded cluster file text.
pub fn check_source(source: SourceFile) -> LoadedCluster {
    let parsed = yaml::parse_observed(
        source.text(),
        source.encoding(),
        Limits::default(),
        &mut |_| {},
    );
    let mut diagnostics = parsed.diagnostics;
    let fatal = diagnostics
        .iter()
        .any(|d| d.is_error() && !yaml::read_anyway(d));
    let mut config = None;
    if !fatal {
        match parsed
            .root
            .as_ref()
            .filter(|r| matches!(r.value, Value::Map(_)))
        {
            Some(root) => {
                let (file, found) = check_document(root);
                diagnostics.extend(found);
                config = file.as_ref().map(ClusterConfig::from_file);
            }
            None => diagnostics.push(not_a_mapping(parsed.root.as_ref())),
        }
    }
    for d in &mut diagnostics {
        d.file = InputFile::Cluster;
    }
    crate::diag::sort_for_output(&mut diagnostics);
    LoadedCluster {
        source,
        config,
        diagnostics,
    }
}

/// Checks text as a cluster file named `cluster.yaml` (tests).
pub fn check_text(text: &str) -> LoadedCluster {
    check_source(SourceFile::new("cluster.yaml", text))
}

fn not_a_mapping(root: Option<&Node>) -> Diagnostic {
    let (span, found) = match root {
        Some(r) if !r.span.is_empty() => (r.span.start..r.span.start, r.type_name()),
        _ => (0..0, "nothing"),
    };
    Diagnostic::error(
        codes::CLUSTER_FILE_NOT_MAPPING,
        format!("the cluster configuration must be a mapping of keys, found {found}"),
    )
    .at(span, "expected `key: value` lines")
    .help("start with `region: us-east-1` and a `node_groups:` list")
}

/// Schema, then decoding, then the field rules.
fn check_document(root: &Node) -> (Option<ClusterFile>, Vec<Diagnostic>) {
    let checker = match SchemaChecker::for_document::<ClusterFile>() {
        Ok(c) => c,
        Err(why) => return (None, vec![Diagnostic::error(codes::INTERNAL, why)]),
    };
    let mut json = root.to_json();
    let report = checker.check_json(root, &json, None);
    repair(&mut json, &report.repairs);
    let mut diagnostics = report.diagnostics;
    let file = match serde_json::from_value::<ClusterFile>(json) {
        Ok(file) => file,
        // a required field failed the schema: already reported
        Err(_) if !diagnostics.is_empty() => return (None, diagnostics),
        Err(e) => {
            diagnostics.push(
                Diagnostic::error(
                    codes::INTERNAL,
                    format!("the cluster file passed the schema but could not be decoded: {e}"),
                )
                .at(root.span.start..root.span.start, "this file"),
            );
            return (None, diagnostics);
        }
    };
    diagnostics.extend(rules::run(&rules::ClusterCtx { file: &file, root }));
    (Some(file), diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_node_group_names_are_cortex_s() {
        let text = "region: us-west-2\nnode_groups:\n  - name: cpu\n    instance_type: m5.large\n  - name: gpu-spot\n    instance_type: g4dn.xlarge\n    spot: true\n";
        let loaded = check_text(text);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let config = loaded.config.expect("decodes");
        assert_eq!(config.cluster_name, "cortex");
        assert_eq!(config.namespace, "default");
        assert_eq!(config.bucket, None);
        let names: Vec<&str> = config
            .node_groups
            .iter()
            .map(|n| n.eks_name.as_str())
            .collect();
        assert_eq!(names, ["cx-wd-cpu", "cx-ws-gpu-spot"]);
        assert_eq!(
            (
                config.node_groups[0].min_instances,
                config.node_groups[0].max_instances
            ),
            (1, 5)
        );
    }

    /// (code, spanned text) of each diagnostic.
    fn found(text: &str) -> Vec<(&'static str, String)> {
        let loaded = check_text(text);
        assert!(
            loaded
                .diagnostics
                .iter()
                .all(|d| d.file == InputFile::Cluster)
        );
        loaded
            .diagnostics
            .iter()
            .map(|d| {
                let span = d.primary.as_ref().map(|l| l.span.clone()).unwrap_or(0..0);
                (d.code.as_str(), text[span].to_owned())
            })
            .collect()
    }

    #[test]
    fn schema_errors_land_on_the_cluster_file() {
        let text = "region: us-west-2\nnode_group:\n  - name: cpu\nnode_groups:\n  - name: cpu\n    instance_type: m5.large\n    min_instances: null\n    max_instances: many\n    instance_volume_type: gp3\n";
        assert_eq!(
            found(text),
            vec![
                ("TFC1001", "node_group".to_owned()),
                // an explicit null is "cannot be null", on the key
                ("TFC1010", "min_instances".to_owned()),
                ("TFC1003", "many".to_owned()),
                ("TFC1004", "gp3".to_owned()),
            ]
        );
        let unknown = &check_text(text).diagnostics[0];
        assert_eq!(unknown.help.as_deref(), Some("did you mean `node_groups`?"));
    }

    #[test]
    fn nulls_follow_cortex_s_field_table() {
        // bucket: TreatNullAsEmpty; tags: ConvertNullToEmpty; spot_config,
        // instance_volume_iops: AllowExplicitNull (cluster_config.go:256-262,
        // :488-494, :502-506, :553-558); cluster_name: null is refused
        let ok = "region: us-west-2\nbucket: null\ntags: null\nnode_groups:\n  - name: cpu\n    instance_type: m5.large\n    spot_config: null\n    instance_volume_iops: null\n";
        assert_eq!(found(ok), vec![]);
        let bad = "region: us-west-2\ncluster_name: null\nnode_groups: null\n";
        assert_eq!(
            found(bad),
            vec![
                ("TFC1010", "cluster_name".to_owned()),
                ("TFC1010", "node_groups".to_owned())
            ]
        );
    }

    #[test]
    fn missing_region_and_non_mapping_files() {
        assert_eq!(
            found("node_groups: []\n"),
            vec![("TFC1002", "node_groups".to_owned())]
        );
        assert_eq!(found("- a\n"), vec![("TFC6001", "".to_owned())]);
        assert_eq!(found(""), vec![("TFC6001", "".to_owned())]);
    }
}
