//! The parts of `saved_model.pb` cortex-tfc reads, decoded with prost from
//! message structs written here for just those fields. Every other field
//! (the graph, the saver, collections) is skipped by the decoder without
//! being kept. Field numbers are TensorFlow's (`saved_model.proto`,
//! `meta_graph.proto`, `tensor_shape.proto`), checked on real exports.

use std::collections::BTreeMap;

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
    #[prost(btree_map = "string, message", tag = "5")]
    pub signature_def: BTreeMap<String, SignatureDef>,
}

#[derive(Clone, PartialEq, Message)]
pub struct MetaInfoDef {
    #[prost(string, repeated, tag = "4")]
    pub tags: Vec<String>,
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

/// Signature keys TensorFlow adds that are not user signatures.
pub const INTERNAL_SIGNATURES: [&str; 2] = ["__saved_model_init_op", "__saved_model_train_op"];

pub fn decode(bytes: &[u8]) -> Result<SavedModel, String> {
    SavedModel::decode(bytes).map_err(|e| e.to_string())
}

impl SavedModel {
    /// The MetaGraph TF Serving loads: the one tagged `serve`.
    pub fn serving_graph(&self) -> Option<&MetaGraphDef> {
        self.meta_graphs.iter().find(|g| {
            g.meta_info_def
                .as_ref()
                .is_some_and(|m| m.tags.iter().any(|t| t == "serve"))
        })
    }
}

impl MetaGraphDef {
    /// User signatures, without TensorFlow's internal entries.
    pub fn user_signatures(&self) -> BTreeMap<&str, &SignatureDef> {
        self.signature_def
            .iter()
            .filter(|(key, _)| !INTERNAL_SIGNATURES.contains(&key.as_str()))
            .map(|(key, sig)| (key.as_str(), sig))
            .collect()
    }
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
        other => return format!("DT_UNKNOWN({other})"),
    };
    name.to_owned()
}
