//! Cortex's run-time signature rule, applied before deploy.
//!
//! When the worker loads a model into TF Serving it reads the signature map
//! of the `serve` MetaGraph: no signatures is an error; without a configured
//! `signature_key` it takes the only signature, else `predict`, else fails
//! listing the keys (it does *not* fall back to `serving_default`); a
//! configured key that is absent fails; the chosen signature needs inputs.

use serde::Serialize;

use std::collections::BTreeMap;

use super::saved_model::{MetaGraphDef, SavedModel, TensorInfo, dtype_name};

/// A tensor of a signature: dtype as TensorFlow names it, and the shape's
/// dimensions (-1 unknown; `None` for an unknown rank).
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

/// Why a model's signatures do not work with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoServeGraph { tags: Vec<Vec<String>> },
    NoSignatures,
    Ambiguous { keys: Vec<String> },
    KeyNotFound { key: String, keys: Vec<String> },
    NoInputs { key: String },
}

/// Every user signature of the `serve` graph, sorted by key.
pub fn signatures(graph: &MetaGraphDef) -> Vec<Signature> {
    graph
        .user_signatures()
        .into_iter()
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

/// Chooses the signature Cortex would serve, or says why it would fail.
pub fn choose(model: &SavedModel, configured: Option<&str>) -> Result<Signature, Problem> {
    let Some(graph) = model.serving_graph() else {
        let tags = model
            .meta_graphs
            .iter()
            .map(|g| {
                g.meta_info_def
                    .as_ref()
                    .map(|m| m.tags.clone())
                    .unwrap_or_default()
            })
            .collect();
        return Err(Problem::NoServeGraph { tags });
    };
    let all = signatures(graph);
    let keys: Vec<String> = all.iter().map(|s| s.key.clone()).collect();
    if all.is_empty() {
        return Err(Problem::NoSignatures);
    }
    let chosen = match configured {
        Some(key) => {
            all.into_iter()
                .find(|s| s.key == key)
                .ok_or_else(|| Problem::KeyNotFound {
                    key: key.to_owned(),
                    keys: keys.clone(),
                })?
        }
        None if all.len() == 1 => all.into_iter().next().ok_or(Problem::NoSignatures)?,
        None => all
            .into_iter()
            .find(|s| s.key == "predict")
            .ok_or(Problem::Ambiguous { keys: keys.clone() })?,
    };
    if chosen.inputs.is_empty() {
        return Err(Problem::NoInputs { key: chosen.key });
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::saved_model::{Dim, MetaInfoDef, SignatureDef, TensorShape};

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

    fn model(keys: &[(&str, bool)]) -> SavedModel {
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
        SavedModel {
            meta_graphs: vec![MetaGraphDef {
                meta_info_def: Some(MetaInfoDef {
                    tags: vec!["serve".into()],
                }),
                signature_def,
            }],
        }
    }

    #[test]
    fn the_only_signature_or_predict_is_chosen() {
        assert_eq!(
            choose(
                &model(&[("serving_default", true), ("__saved_model_init_op", false)]),
                None
            )
            .map(|s| s.key),
            Ok("serving_default".into())
        );
        assert_eq!(
            choose(
                &model(&[("serving_default", true), ("predict", true)]),
                None
            )
            .map(|s| s.key),
            Ok("predict".into())
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
    fn no_user_signatures_and_no_serve_graph() {
        assert_eq!(
            choose(&model(&[("__saved_model_init_op", false)]), None),
            Err(Problem::NoSignatures)
        );
        let mut m = model(&[("predict", true)]);
        m.meta_graphs[0].meta_info_def = Some(MetaInfoDef {
            tags: vec!["train".into()],
        });
        assert!(matches!(
            choose(&m, None),
            Err(Problem::NoServeGraph { .. })
        ));
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
        assert_eq!(keys, ["predict_class", "serving_default"]);
        assert!(graph.signature_def.contains_key("__saved_model_init_op"));
        assert!(matches!(
            choose(&model, None),
            Err(Problem::Ambiguous { .. })
        ));
        let chosen = choose(&model, Some("serving_default")).expect("chosen");
        assert!(!chosen.inputs.is_empty() && !chosen.outputs.is_empty());
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
