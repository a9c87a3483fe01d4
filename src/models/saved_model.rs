//! The parts of `saved_model.pb` cortex-tfc reads, decoded with prost from
//! message structs written here for just those fields. Every other field
//! (node attributes with their constant tensors, the saver, collections) is
//! skipped by the decoder without being kept: of the graph only each node's
//! op type survives decoding. Field numbers are TensorFlow's
//! (`saved_model.proto`, `meta_graph.proto`, `graph.proto`, `node_def.proto`,
//! `function.proto`, `op_def.proto`, `tensor_shape.proto`), checked on real
//! exports.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct SavedModel {
    #[prost(message, repeated, tag = "2")]
    pub meta_graphs: Vec<MetaGraphDef>,
}

#[derive(Clone, PartialEq, Message)]
pub struct MetaGraphDef {
    #[prost(message, optional, tag = "1")]
    pub meta_info_def: Option<MetaInfoDef>,
    #[prost(message, optional, tag = "2")]
    pub graph_def: Option<GraphDef>,
    #[prost(btree_map = "string, message", tag = "5")]
    pub signature_def: BTreeMap<String, SignatureDef>,
}

#[derive(Clone, PartialEq, Message)]
pub struct MetaInfoDef {
    #[prost(string, repeated, tag = "4")]
    pub tags: Vec<String>,
}

/// `GraphDef`: the nodes and the function library, nothing else.
#[derive(Clone, PartialEq, Message)]
pub struct GraphDef {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeDef>,
    #[prost(message, optional, tag = "2")]
    pub library: Option<FunctionLibrary>,
}

/// `NodeDef`: only the op type (the name, inputs and attributes, where
/// constants live, are skipped).
#[derive(Clone, PartialEq, Message)]
pub struct NodeDef {
    #[prost(string, tag = "2")]
    pub op: String,
}

/// `FunctionDefLibrary`: the functions (gradients are skipped).
#[derive(Clone, PartialEq, Message)]
pub struct FunctionLibrary {
    #[prost(message, repeated, tag = "1")]
    pub function: Vec<FunctionDef>,
}

#[derive(Clone, PartialEq, Message)]
pub struct FunctionDef {
    #[prost(message, optional, tag = "1")]
    pub signature: Option<OpDef>,
    #[prost(message, repeated, tag = "3")]
    pub node_def: Vec<NodeDef>,
}

/// `OpDef`: a function's signature; only its name (a node may call a
/// function of the library by that name).
#[derive(Clone, PartialEq, Message)]
pub struct OpDef {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct SignatureDef {
    #[prost(btree_map = "string, message", tag = "1")]
    pub inputs: BTreeMap<String, TensorInfo>,
    #[prost(btree_map = "string, message", tag = "2")]
    pub outputs: BTreeMap<String, TensorInfo>,
    #[prost(string, tag = "3")]
    pub method_name: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct TensorInfo {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int32, tag = "2")]
    pub dtype: i32,
    #[prost(message, optional, tag = "3")]
    pub tensor_shape: Option<TensorShape>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TensorShape {
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<Dim>,
    #[prost(bool, tag = "3")]
    pub unknown_rank: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct Dim {
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// Signature keys TensorFlow adds that are not user signatures. TF Serving
/// 2.3 returns them like any other key (`get_model_metadata_impl.cc:54`
/// copies the whole `signature_def` map), so Cortex counts them; they are
/// named apart only to explain that in messages.
pub const INTERNAL_SIGNATURES: [&str; 2] = ["__saved_model_init_op", "__saved_model_train_op"];

/// The signature key TensorFlow gives the init op.
pub const INIT_OP_KEY: &str = "__saved_model_init_op";

pub fn decode(bytes: &[u8]) -> Result<SavedModel, String> {
    SavedModel::decode(bytes).map_err(|e| e.to_string())
}

impl SavedModel {
    /// The MetaGraph TF Serving loads: the first whose tag SET equals
    /// `{serve}` (TensorFlow's `FindMetaGraphDef` compares sets, and Cortex
    /// starts TF Serving without `--saved_model_tags`, so `{serve}` is asked
    /// for). A graph tagged `{serve, gpu}` is not it.
    pub fn serving_graph(&self) -> Option<&MetaGraphDef> {
        self.meta_graphs.iter().find(|g| {
            let tags: BTreeSet<&str> = g.tags().iter().map(String::as_str).collect();
            tags.len() == 1 && tags.contains("serve")
        })
    }

    /// The tag set of every MetaGraph, for messages.
    pub fn tag_sets(&self) -> Vec<Vec<String>> {
        self.meta_graphs.iter().map(|g| g.tags().to_vec()).collect()
    }
}

impl MetaGraphDef {
    fn tags(&self) -> &[String] {
        self.meta_info_def.as_ref().map_or(&[], |m| &m.tags)
    }

    /// Every op type the graph and the functions of its library use, less
    /// the names of those functions (a node may call one as its op).
    pub fn op_types(&self) -> BTreeSet<&str> {
        let Some(graph) = &self.graph_def else {
            return BTreeSet::new();
        };
        let functions = graph.library.iter().flat_map(|l| &l.function);
        let defined: BTreeSet<&str> = functions
            .clone()
            .filter_map(|f| f.signature.as_ref().map(|s| s.name.as_str()))
            .collect();
        graph
            .node
            .iter()
            .chain(functions.flat_map(|f| &f.node_def))
            .map(|n| n.op.as_str())
            .filter(|op| !defined.contains(op))
            .collect()
    }
}

/// The op types TensorFlow 2.3.0 registers (so TF Serving 2.3.0, the base
/// of Cortex 0.34's CPU and GPU serving images, can load), one a line.
const TF_2_3_OPS: &str = include_str!("../../data/tf-2.3.0-ops.txt");

/// [`TF_2_3_OPS`] as a set, built once per process: every model read is
/// checked against it, and building it (1,300 lines) costs far more than
/// checking one model's ops (P1: two thirds of all instructions when it was
/// built per model).
static KNOWN_TF_2_3_OPS: LazyLock<BTreeSet<&'static str>> = LazyLock::new(|| {
    TF_2_3_OPS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// The ops of `used` that TensorFlow 2.3.0 does not register, sorted.
/// Internal ops (`_Arg`, `_Retval`, ...) are not in the list and are let
/// through.
pub fn ops_missing_in_tf_2_3<'a>(used: &BTreeSet<&'a str>) -> Vec<&'a str> {
    let known = &*KNOWN_TF_2_3_OPS;
    used.iter()
        .copied()
        .filter(|op| !op.is_empty() && !op.starts_with('_') && !known.contains(op))
        .collect()
}

/// TensorFlow's name for a `DataType` value.
pub fn dtype_name(dtype: i32) -> String {
    let name = match dtype {
        1 => "DT_FLOAT",
        2 => "DT_DOUBLE",
        3 => "DT_INT32",
        4 => "DT_UINT8",
        5 => "DT_INT16",
        6 => "DT_INT8",
        7 => "DT_STRING",
        8 => "DT_COMPLEX64",
        9 => "DT_INT64",
        10 => "DT_BOOL",
        11 => "DT_QINT8",
        12 => "DT_QUINT8",
        13 => "DT_QINT32",
        14 => "DT_BFLOAT16",
        15 => "DT_QINT16",
        16 => "DT_QUINT16",
        17 => "DT_UINT16",
        18 => "DT_COMPLEX128",
        19 => "DT_HALF",
        20 => "DT_RESOURCE",
        21 => "DT_VARIANT",
        22 => "DT_UINT32",
        23 => "DT_UINT64",
        0 => "DT_INVALID",
        ref_type @ 101..=123 => return format!("{}_REF", dtype_name(ref_type - 100)),
        other => return format!("DT_UNKNOWN({other})"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(op: &str) -> NodeDef {
        NodeDef { op: op.into() }
    }

    fn function(name: &str, ops: &[&str]) -> FunctionDef {
        FunctionDef {
            signature: Some(OpDef { name: name.into() }),
            node_def: ops.iter().map(|op| node(op)).collect(),
        }
    }

    fn serving(graph: GraphDef) -> SavedModel {
        let model = SavedModel {
            meta_graphs: vec![MetaGraphDef {
                meta_info_def: Some(MetaInfoDef {
                    tags: vec!["serve".into()],
                }),
                graph_def: Some(graph),
                signature_def: BTreeMap::new(),
            }],
        };
        decode(&model.encode_to_vec()).expect("decodes")
    }

    /// TF Serving 2.3 registers the ops of TF 2.3.0 only: a graph or a
    /// library function using a newer op fails with "Op type not registered".
    #[test]
    fn ops_of_the_graph_and_its_functions_are_checked() {
        let model = serving(GraphDef {
            node: vec![node("Placeholder"), node("my_fn"), node("NewGraphOp")],
            library: Some(FunctionLibrary {
                function: vec![
                    function("my_fn", &["MatMul", "other_fn", "DisableCopyOnRead"]),
                    function("other_fn", &["_Arg", "Identity"]),
                ],
            }),
        });
        let graph = model.serving_graph().expect("serve graph");
        let used = graph.op_types();
        assert_eq!(
            used.iter().copied().collect::<Vec<_>>(),
            [
                "DisableCopyOnRead",
                "Identity",
                "MatMul",
                "NewGraphOp",
                "Placeholder",
                "_Arg"
            ]
        );
        assert_eq!(
            ops_missing_in_tf_2_3(&used),
            ["DisableCopyOnRead", "NewGraphOp"]
        );
    }

    #[test]
    fn no_graph_means_no_ops() {
        let model = SavedModel {
            meta_graphs: vec![MetaGraphDef::default()],
        };
        assert!(model.meta_graphs[0].op_types().is_empty());
    }

    #[test]
    fn ref_dtypes_are_named() {
        assert_eq!(dtype_name(101), "DT_FLOAT_REF");
        assert_eq!(dtype_name(120), "DT_RESOURCE_REF");
        assert_eq!(dtype_name(0), "DT_INVALID");
        assert_eq!(dtype_name(99), "DT_UNKNOWN(99)");
    }

    /// Every TF 2.21 fixture uses DisableCopyOnRead (TF >= 2.12 exports).
    #[test]
    fn a_tf_2_21_export_uses_an_op_tf_2_3_lacks() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/savedmodels/one-signature/saved_model.pb");
        let bytes = std::fs::read(&path).expect("fixture");
        let model = decode(&bytes).expect("decodes");
        let graph = model.serving_graph().expect("serve graph");
        assert_eq!(
            ops_missing_in_tf_2_3(&graph.op_types()),
            ["DisableCopyOnRead"]
        );
    }
}
