//! Cortex's run-time signature rule, applied before deploy.
//!
//! When the worker loads a model it asks TF Serving 2.3 for the model's
//! metadata, which holds EVERY key of the `signature_def` map of the
//! MetaGraph tagged `{serve}` (`get_model_metadata_impl.cc:54`, no filter:
//! `__saved_model_init_op` and `__saved_model_train_op` included). On those
//! keys `_extract_signatures` (`lib/model/tfs.py:488`) runs: no key is an
//! error; without a configured `signature_key` it takes the only key, else
//! `predict`, else fails listing the keys (no `serving_default` fallback); a
//! configured key that is absent fails; the chosen signature needs inputs,
//! each with a shape and a dtype it can parse.

use serde::Serialize;

use std::collections::BTreeMap;

use super::saved_model::{MetaGraphDef, SavedModel, TensorInfo, dtype_name};

/// A tensor of a signature: dtype as TensorFlow names it, and the shape's
/// dimensions (-1 unknown; `None` for an unknown rank or no shape at all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tensor {
    pub name: String,
    pub dtype: String,
    pub shape: Option<Vec<i64>>,
}

impl Tensor {
    /// The shape as TensorFlow prints it: `(-1, 4)`, `(3,)`, `()`, `unknown`.
    pub fn shape_text(&self) -> String {
        match &self.shape {
            None => "unknown".to_owned(),
            Some(dims) if dims.len() == 1 => format!("({},)", dims[0]),
            Some(dims) => format!(
                "({})",
                dims.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// One signature, as `inspect` shows it and the bundle records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub key: String,
    pub method_name: String,
    pub inputs: BTreeMap<String, Tensor>,
    pub outputs: BTreeMap<String, Tensor>,
}

/// Why Cortex's worker cannot parse an input of the chosen signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFault {
    /// No `tensor_shape` at all: `input_metadata["tensorShape"]` raises.
    NoShape,
    /// `DT_INVALID`, a `_REF` dtype or an unknown number: not in the
    /// worker's `DTYPE_TO_TF_TYPE` (`tfs.py:29`), or absent from the dict.
    Dtype(String),
    /// A dimension of size 0: `MessageToDict` drops the default `size`,
    /// so `dim["size"]` raises (`tfs.py:564`).
    ZeroDim { index: usize },
}

/// Why a model's signatures do not work with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoServeGraph {
        tags: Vec<Vec<String>>,
    },
    NoSignatures,
    /// Several keys (every key TF Serving returns), none `predict`.
    Ambiguous {
        keys: Vec<String>,
    },
    KeyNotFound {
        key: String,
        keys: Vec<String>,
    },
    NoInputs {
        key: String,
    },
    BadInputs {
        key: String,
        inputs: Vec<(String, InputFault)>,
    },
}

/// Every signature of the `serve` graph as TF Serving 2.3 returns them
/// (internal keys included), sorted by key.
pub fn signatures(graph: &MetaGraphDef) -> Vec<Signature> {
    graph
        .signature_def
        .iter()
        .map(|(key, sig)| Signature {
            key: key.to_owned(),
            method_name: sig.method_name.clone(),
            inputs: tensors(&sig.inputs),
            outputs: tensors(&sig.outputs),
        })
        .collect()
}

fn tensors(map: &BTreeMap<String, TensorInfo>) -> BTreeMap<String, Tensor> {
    map.iter()
        .map(|(key, info)| {
            let shape = info
                .tensor_shape
                .as_ref()
                .filter(|s| !s.unknown_rank)
                .map(|s| s.dim.iter().map(|d| d.size).collect());
            (
                key.clone(),
                Tensor {
                    name: info.name.clone(),
                    dtype: dtype_name(info.dtype),
                    shape,
                },
            )
        })
        .collect()
}

/// What the worker's input parsing (`tfs.py:551-576`) makes of one input:
/// it reads `json_format.MessageToDict` output, where default values
/// (dtype 0, size 0) and an unset shape are absent keys.
fn input_fault(info: &TensorInfo) -> Option<InputFault> {
    let Some(shape) = &info.tensor_shape else {
        return Some(InputFault::NoShape);
    };
    // the worker checks the shape before the dtype
    let zero = shape.dim.iter().position(|d| d.size == 0);
    if let (false, Some(index)) = (shape.unknown_rank, zero) {
        return Some(InputFault::ZeroDim { index });
    }
    // DT_FLOAT (1) to DT_UINT64 (23) are all in DTYPE_TO_TF_TYPE
    if !(1..=23).contains(&info.dtype) {
        return Some(InputFault::Dtype(dtype_name(info.dtype)));
    }
    None
}

/// Chooses the signature Cortex would serve, or says why it would fail.
pub fn choose(model: &SavedModel, configured: Option<&str>) -> Result<Signature, Problem> {
    let Some(graph) = model.serving_graph() else {
        return Err(Problem::NoServeGraph {
            tags: model.tag_sets(),
        });
    };
    let keys: Vec<String> = graph.signature_def.keys().cloned().collect();
    let key = match configured {
        _ if keys.is_empty() => return Err(Problem::NoSignatures),
        Some(key) if graph.signature_def.contains_key(key) => key.to_owned(),
        Some(key) => {
            return Err(Problem::KeyNotFound {
                key: key.to_owned(),
                keys,
            });
        }
        None => match keys.as_slice() {
            [only] => only.clone(),
            _ if graph.signature_def.contains_key("predict") => "predict".to_owned(),
            _ => return Err(Problem::Ambiguous { keys }),
        },
    };
    let Some(def) = graph.signature_def.get(&key) else {
        return Err(Problem::NoSignatures);
    };
    if def.inputs.is_empty() {
        return Err(Problem::NoInputs { key });
    }
    let bad: Vec<(String, InputFault)> = def
        .inputs
        .iter()
        .filter_map(|(name, info)| input_fault(info).map(|f| (name.clone(), f)))
        .collect();
    if !bad.is_empty() {
        return Err(Problem::BadInputs { key, inputs: bad });
    }
    Ok(Signature {
        method_name: def.method_name.clone(),
        inputs: tensors(&def.inputs),
        outputs: tensors(&def.outputs),
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::saved_model::{Dim, MetaInfoDef, SignatureDef, TensorShape};
    use prost::Message;

    fn tensor() -> TensorInfo {
        TensorInfo {
            name: "x:0".into(),
            dtype: 1,
            tensor_shape: Some(TensorShape {
                dim: vec![Dim { size: -1 }, Dim { size: 4 }],
                unknown_rank: false,
            }),
        }
    }

    fn graph(tags: &[&str], keys: &[(&str, bool)]) -> MetaGraphDef {
        let signature_def = keys
            .iter()
            .map(|(k, with_inputs)| {
                let inputs = if *with_inputs {
                    BTreeMap::from([("x".to_owned(), tensor())])
                } else {
                    BTreeMap::new()
                };
                (
                    k.to_string(),
                    SignatureDef {
                        inputs,
                        outputs: BTreeMap::from([("y".to_owned(), tensor())]),
                        method_name: "tensorflow/serving/predict".into(),
                    },
                )
            })
            .collect();
        MetaGraphDef {
            meta_info_def: Some(MetaInfoDef {
                tags: tags.iter().map(|t| t.to_string()).collect(),
            }),
            graph_def: None,
            signature_def,
        }
    }

    /// A model built as TensorFlow writes it, through the wire format, so
    /// the test also covers the decoder.
    fn model(keys: &[(&str, bool)]) -> SavedModel {
        wire(SavedModel {
            meta_graphs: vec![graph(&["serve"], keys)],
        })
    }

    fn wire(model: SavedModel) -> SavedModel {
        crate::models::saved_model::decode(&model.encode_to_vec()).expect("decodes")
    }

    fn with_input(info: TensorInfo) -> SavedModel {
        let mut m = model(&[("serving_default", true)]);
        m.meta_graphs[0]
            .signature_def
            .get_mut("serving_default")
            .expect("key")
            .inputs
            .insert("x".into(), info);
        wire(m)
    }

    #[test]
    fn the_only_key_or_predict_is_chosen() {
        assert_eq!(
            choose(&model(&[("serving_default", true)]), None).map(|s| s.key),
            Ok("serving_default".into())
        );
        assert_eq!(
            choose(
                &model(&[
                    ("serving_default", true),
                    ("predict", true),
                    ("__saved_model_init_op", false)
                ]),
                None
            )
            .map(|s| s.key),
            Ok("predict".into())
        );
    }

    /// tfs.py:505-528 counts every key TF Serving returns; the init op of a
    /// TF2 export makes "the only key" fail (get_model_metadata_impl.cc:54).
    #[test]
    fn the_init_op_counts_as_a_key() {
        let keys = vec![
            "__saved_model_init_op".to_owned(),
            "serving_default".to_owned(),
        ];
        assert_eq!(
            choose(
                &model(&[("serving_default", true), ("__saved_model_init_op", false)]),
                None
            ),
            Err(Problem::Ambiguous { keys })
        );
        // alone, it is chosen, and has no inputs (tfs.py:543)
        assert_eq!(
            choose(&model(&[("__saved_model_init_op", false)]), None),
            Err(Problem::NoInputs {
                key: "__saved_model_init_op".into()
            })
        );
    }

    #[test]
    fn serving_default_is_not_picked_among_several() {
        let keys = vec!["predict_class".to_owned(), "serving_default".to_owned()];
        assert_eq!(
            choose(
                &model(&[("serving_default", true), ("predict_class", true)]),
                None
            ),
            Err(Problem::Ambiguous { keys })
        );
    }

    #[test]
    fn configured_keys_must_exist_and_have_inputs() {
        let m = model(&[("serving_default", true), ("no_inputs", false)]);
        assert_eq!(
            choose(&m, Some("serving_default")).map(|s| s.key),
            Ok("serving_default".into())
        );
        assert!(matches!(
            choose(&m, Some("serving")),
            Err(Problem::KeyNotFound { .. })
        ));
        assert_eq!(
            choose(&m, Some("no_inputs")),
            Err(Problem::NoInputs {
                key: "no_inputs".into()
            })
        );
    }

    #[test]
    fn no_signatures_at_all() {
        assert_eq!(choose(&model(&[]), None), Err(Problem::NoSignatures));
        assert_eq!(
            choose(&model(&[]), Some("serving_default")),
            Err(Problem::NoSignatures)
        );
    }

    /// TF's FindMetaGraphDef compares tag sets; Cortex asks for `{serve}`.
    #[test]
    fn the_serving_graph_is_the_one_tagged_exactly_serve() {
        let gpu = wire(SavedModel {
            meta_graphs: vec![graph(&["serve", "gpu"], &[("predict", true)])],
        });
        assert_eq!(
            choose(&gpu, None),
            Err(Problem::NoServeGraph {
                tags: vec![vec!["serve".into(), "gpu".into()]]
            })
        );
        let two = wire(SavedModel {
            meta_graphs: vec![
                graph(&["serve", "gpu"], &[("a", true)]),
                graph(&["serve"], &[("b", true)]),
            ],
        });
        assert_eq!(choose(&two, None).map(|s| s.key), Ok("b".into()));
        let train = wire(SavedModel {
            meta_graphs: vec![graph(&["train"], &[("predict", true)])],
        });
        assert!(matches!(
            choose(&train, None),
            Err(Problem::NoServeGraph { .. })
        ));
    }

    /// tfs.py:551-576 on MessageToDict output: absent shape, dtype 0 or a
    /// dtype outside DTYPE_TO_TF_TYPE, and size-0 dims raise.
    #[test]
    fn inputs_the_worker_cannot_parse() {
        let fault = |info: TensorInfo| match choose(&with_input(info), None) {
            Err(Problem::BadInputs { inputs, .. }) => Some(inputs[0].1.clone()),
            _ => None,
        };
        let no_shape = TensorInfo {
            tensor_shape: None,
            ..tensor()
        };
        assert_eq!(fault(no_shape), Some(InputFault::NoShape));
        let invalid = TensorInfo {
            dtype: 0,
            ..tensor()
        };
        assert_eq!(fault(invalid), Some(InputFault::Dtype("DT_INVALID".into())));
        let reference = TensorInfo {
            dtype: 101,
            ..tensor()
        };
        assert_eq!(
            fault(reference),
            Some(InputFault::Dtype("DT_FLOAT_REF".into()))
        );
        let zero = TensorInfo {
            tensor_shape: Some(TensorShape {
                dim: vec![Dim { size: -1 }, Dim { size: 0 }],
                unknown_rank: false,
            }),
            ..tensor()
        };
        assert_eq!(fault(zero), Some(InputFault::ZeroDim { index: 1 }));
    }

    #[test]
    fn inputs_the_worker_parses() {
        let ok = |info: TensorInfo| choose(&with_input(info), None).is_ok();
        // a scalar: a present but empty shape
        assert!(ok(TensorInfo {
            tensor_shape: Some(TensorShape::default()),
            ..tensor()
        }));
        // unknown rank: the dims are not read
        assert!(ok(TensorInfo {
            tensor_shape: Some(TensorShape {
                dim: vec![Dim { size: 0 }],
                unknown_rank: true,
            }),
            ..tensor()
        }));
        for dtype in [7, 20, 21, 23] {
            assert!(ok(TensorInfo { dtype, ..tensor() }), "{dtype}");
        }
    }

    #[test]
    fn shapes_print_like_tensorflow() {
        let tensor = |shape| Tensor {
            name: "x".into(),
            dtype: "DT_FLOAT".into(),
            shape,
        };
        assert_eq!(tensor(Some(vec![-1, 4])).shape_text(), "(-1, 4)");
        assert_eq!(tensor(None).shape_text(), "unknown");
        assert_eq!(tensor(Some(vec![3])).shape_text(), "(3,)");
        assert_eq!(tensor(Some(vec![])).shape_text(), "()");
    }
}

#[cfg(test)]
mod real_exports {
    use super::*;

    fn fixture(name: &str) -> SavedModel {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/savedmodels")
            .join(name)
            .join("saved_model.pb");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        crate::models::saved_model::decode(&bytes).expect("decodes")
    }

    #[test]
    fn a_tensorflow_2_21_export_decodes() {
        let model = fixture("two-signatures");
        let graph = model.serving_graph().expect("a serve graph");
        let keys: Vec<String> = signatures(graph).into_iter().map(|s| s.key).collect();
        assert_eq!(
            keys,
            ["__saved_model_init_op", "predict_class", "serving_default"]
        );
        assert!(matches!(
            choose(&model, None),
            Err(Problem::Ambiguous { .. })
        ));
        let chosen = choose(&model, Some("serving_default")).expect("chosen");
        assert!(!chosen.inputs.is_empty() && !chosen.outputs.is_empty());
    }

    /// tf23-init-op: a graph-mode export carrying __saved_model_init_op
    /// (main_op): two keys, so Cortex needs a signature_key.
    #[test]
    fn an_init_op_export_needs_a_key() {
        let model = fixture("tf23-init-op");
        assert_eq!(
            choose(&model, None),
            Err(Problem::Ambiguous {
                keys: vec![
                    "__saved_model_init_op".to_owned(),
                    "serving_default".to_owned()
                ]
            })
        );
        assert_eq!(
            choose(&model, Some("serving_default")).map(|s| s.key),
            Ok("serving_default".to_owned())
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &b"placeholder\n"[..],
            &[0xff; 64],
            &[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ] {
            assert!(
                crate::models::saved_model::decode(bytes).is_err(),
                "{bytes:?}"
            );
        }
    }
}
