#!/usr/bin/env python3
"""Exports the SavedModel test fixtures under tests/fixtures/savedmodels/.

Run by hand (needs TensorFlow: `pip install tensorflow-cpu`), not in CI; the
outputs are committed. `two-signatures` is the TF 2.21 export from
shared/fixtures, copied as is.

  one-signature/         serving_default only
  predict-and-default/   predict + serving_default (Cortex picks predict)
  no-signatures/         a SavedModel with no user signature
  no-inputs/             serving_default takes no input
  versioned/1, /2        two versions of one model, same signature
  disagreeing/1, /2      two versions whose serving_default differ
  train-only/            a TF1-style export whose only MetaGraph is tagged train

Beside every saved_model.pb it writes tensorflow_signatures.json: the
signatures as TensorFlow's own protobuf classes read them, which the
`inspect` tests compare with.
"""

import os
import shutil
import sys

import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "savedmodels")


class Iris(tf.Module):
    def __init__(self, features=4):
        super().__init__()
        self.w = tf.Variable(tf.ones([features, 3]), name="w")
        self.features = features

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def classify(self, x):
        logits = tf.matmul(x, self.w)
        return {"class_ids": tf.argmax(logits, axis=1), "probabilities": tf.nn.softmax(logits)}

    @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
    def classify_wide(self, x):
        return {"scores": tf.reduce_sum(x, axis=1)}

    @tf.function(input_signature=[])
    def constant(self):
        return {"answer": tf.constant(42)}


def export(name, signatures):
    path = os.path.join(OUT, name)
    shutil.rmtree(path, ignore_errors=True)
    module = Iris()
    tf.saved_model.save(module, path, signatures=signatures(module) if signatures else None)
    # the fingerprint holds a hash of the graph, not needed by the tests
    print("exported", path)


def export_train_only(path):
    shutil.rmtree(path, ignore_errors=True)
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        y = tf.identity(x * 2.0, name="y")
        builder = tf.compat.v1.saved_model.Builder(path)
        signature = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(session, ["train"], signature_def_map={"serving_default": signature})
        builder.save()
    print("exported", path)


def record_signatures(root):
    """What TensorFlow's own protobuf classes read: tensorflow_signatures.json beside each saved_model.pb."""
    import json
    from tensorflow.core.framework import types_pb2
    from tensorflow.core.protobuf import saved_model_pb2

    for here, _, files in os.walk(root):
        if "saved_model.pb" not in files:
            continue
        model = saved_model_pb2.SavedModel()
        with open(os.path.join(here, "saved_model.pb"), "rb") as f:
            model.ParseFromString(f.read())
        graphs = [g for g in model.meta_graphs if "serve" in g.meta_info_def.tags]
        signatures = {}
        for key, sig in sorted(graphs[0].signature_def.items()) if graphs else []:
            if key.startswith("__saved_model"):
                continue
            def tensors(m):
                return {
                    k: {
                        "name": t.name,
                        "dtype": types_pb2.DataType.Name(t.dtype),
                        "shape": None if t.tensor_shape.unknown_rank else [d.size for d in t.tensor_shape.dim],
                    }
                    for k, t in sorted(m.items())
                }
            signatures[key] = {"method_name": sig.method_name, "inputs": tensors(sig.inputs), "outputs": tensors(sig.outputs)}
        with open(os.path.join(here, "tensorflow_signatures.json"), "w") as f:
            json.dump({"tensorflow_version": tf.__version__, "signatures": signatures}, f, indent=2, sort_keys=True)
            f.write("\n")
        print("recorded", here)


def main():
    export("one-signature", lambda m: {"serving_default": m.classify})
    export("predict-and-default", lambda m: {"serving_default": m.classify, "predict": m.classify})
    export("no-signatures", None)
    export("no-inputs", lambda m: {"serving_default": m.constant})
    for version in ("1", "2"):
        export(f"versioned/{version}", lambda m: {"serving_default": m.classify})
    export("disagreeing/1", lambda m: {"serving_default": m.classify})
    export("disagreeing/2", lambda m: {"serving_default": m.classify_wide})
    export_train_only(os.path.join(OUT, "train-only"))
    record_signatures(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
