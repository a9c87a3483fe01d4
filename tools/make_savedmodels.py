#!/usr/bin/env python3
"""Exports the SavedModel test fixtures and the example's models.

Run by hand (needs TensorFlow: `pip install tensorflow-cpu`), not in CI; the
outputs are committed. `python3 tools/make_savedmodels.py [GROUP...]`, with
groups `tf2`, `tf23` and `examples` (all three when none is named).

Group `tf2`, under tests/fixtures/savedmodels/: object-based exports by
`tf.saved_model.save` with today's TensorFlow (2.21 when committed). They are
the negative cases: every one carries `__saved_model_init_op`, and their
graphs use an op TensorFlow 2.3 does not have (`DisableCopyOnRead`), so TF
Serving 2.3 (Cortex 0.34's serving image) cannot load them.
`two-signatures` is the TF 2.21 export from shared/fixtures, copied as is.

  one-signature/         serving_default only
  predict-and-default/   predict + serving_default (Cortex picks predict)
  no-signatures/         a SavedModel with no user signature
  no-inputs/             serving_default takes no input
  versioned/1, /2        two versions of one model, same signature
  disagreeing/1, /2      two versions whose serving_default differ
  train-only/            a TF1-style export whose only MetaGraph is tagged train

Group `tf23`, under tests/fixtures/savedmodels/tf23-*: graph-mode exports by
`tf.compat.v1.saved_model.Builder` with reference variables. They use only
ops that TensorFlow 2.3.0 registers (checked here against tf-2.3.0-ops.txt),
so TF Serving 2.3 loads them:

  tf23-one-signature/      serving_default only
  tf23-two-signatures/     serving_default + classify (no predict)
  tf23-predict/            predict + serving_default
  tf23-no-signatures/      no signature at all
  tf23-versioned/1, /2     two versions, same serving_default
  tf23-init-op/            serving_default + __saved_model_init_op

Group `shards` (also run by `tf23`): tf23-two-shards/, a graph-mode export
whose two variables sit on two CPU devices, so the sharded Saver
(`Builder` saves with sharded=True) writes one data file per device:
variables.data-00000-of-00002 and -00001-of-00002, and an index whose
header names num_shards 2 (the variable-shard tests build their layouts
from these files).

Group `examples`, under examples/store/cortex-examples/tensorflow/: small
stand-ins for the README example's models, with the signatures its handlers
use, TF 2.3 ops only (nothing else is written there: the store stays as S3
would hold it):

  iris-classifier/nn/1/          nearest-centroid classifier on the four iris
                                 measurements (inputs sepal_length, sepal_width,
                                 petal_length, petal_width; outputs class_ids,
                                 probabilities)
  sentiment-analyzer/bert/<v>/   keyword scorer (input text; output
                                 probabilities: [negative, positive])
  text-generator/gpt-2/          appends a fixed continuation to the prompt
                                 (input prompt; output text)

Beside every fixture's saved_model.pb it writes tensorflow_signatures.json:
the signatures as TensorFlow's own protobuf classes read them (the `inspect`
tests compare with them); for `tf23`, also every signature key TF Serving 2.3
reports (`serving_signature_keys`, `__saved_model_init_op` included) and the
graph's op types that TensorFlow 2.3.0 lacks (`ops_not_in_tf_2_3`).
"""

import json
import os
import shutil
import sys

import tensorflow as tf

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "savedmodels")
EXAMPLES = os.path.join(ROOT, "examples", "store", "cortex-examples", "tensorflow")


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


def tf23_ops():
    """The op types TensorFlow 2.3.0 registers (the repo's copy, else the shared reference page's)."""
    for path in (
        os.path.join(ROOT, "data", "tf-2.3.0-ops.txt"),
        os.path.join(ROOT, "..", "shared", "reference", "tf-2.3.0-ops.txt"),
    ):
        if os.path.exists(path):
            with open(path) as f:
                return {line.strip() for line in f if line.strip() and not line.startswith("#")}
    sys.exit("tf-2.3.0-ops.txt not found (data/ or ../shared/reference/)")


def read_saved_model(here):
    from tensorflow.core.protobuf import saved_model_pb2

    model = saved_model_pb2.SavedModel()
    with open(os.path.join(here, "saved_model.pb"), "rb") as f:
        model.ParseFromString(f.read())
    return model


def graph_ops(meta_graph):
    """Op types of the graph and of every function in its library, as TF Serving loads them."""
    ops = {node.op for node in meta_graph.graph_def.node}
    for function in meta_graph.graph_def.library.function:
        ops.update(node.op for node in function.node_def)
    return {op for op in ops if not op.startswith("_")}


def record_signatures(root, extended=False):
    """What TensorFlow's own protobuf classes read: tensorflow_signatures.json beside each saved_model.pb."""
    from tensorflow.core.framework import types_pb2

    known_ops = tf23_ops() if extended else set()
    for here, _, files in os.walk(root):
        if "saved_model.pb" not in files:
            continue
        model = read_saved_model(here)
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
        record = {"tensorflow_version": tf.__version__, "signatures": signatures}
        if extended:
            # what TF Serving 2.3's GetModelMetadata returns: every key of the {serve} graph's map
            serve = [g for g in model.meta_graphs if set(g.meta_info_def.tags) == {"serve"}]
            record["serving_signature_keys"] = sorted(serve[0].signature_def) if serve else []
            record["ops_not_in_tf_2_3"] = sorted(graph_ops(serve[0]) - known_ops) if serve else []
        with open(os.path.join(here, "tensorflow_signatures.json"), "w") as f:
            json.dump(record, f, indent=2, sort_keys=True)
            f.write("\n")
        print("recorded", here)


def check_loadable(root):
    """Every export under root uses only TF 2.3 ops."""
    known_ops = tf23_ops()
    for here, _, files in os.walk(root):
        if "saved_model.pb" in files:
            missing = set()
            for graph in read_saved_model(here).meta_graphs:
                missing |= graph_ops(graph) - known_ops
            if missing:
                sys.exit(f"{here}: ops TensorFlow 2.3 lacks: {sorted(missing)}")
            print("TF 2.3 ops only:", here)


def export_v1(path, build, init_op=False, session_config=None):
    """A graph-mode export with reference variables: only ops TensorFlow 2.3 has.

    `build()` runs inside the graph and returns the signature map. With
    `init_op`, the export also carries `__saved_model_init_op` as every TF2
    export does: the TF2-style builder writes it under that signature key (the
    TF1 Builder would put a main op in a collection instead).
    """
    from tensorflow.python.saved_model.builder_impl import _SavedModelBuilder

    shutil.rmtree(path, ignore_errors=True)
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph, config=session_config) as session:
        signatures = build()
        session.run(tf.compat.v1.global_variables_initializer())
        extra = {"init_op": tf.group(tf.compat.v1.tables_initializer(), name="init_all")} if init_op else {}
        builder = (_SavedModelBuilder if init_op else tf.compat.v1.saved_model.Builder)(path)
        builder.add_meta_graph_and_variables(
            session,
            [tf.compat.v1.saved_model.tag_constants.SERVING],
            signature_def_map=signatures,
            strip_default_attrs=True,
            **extra,
        )
        builder.save()
    print("exported", path)


def ref_variable(name, value):
    """A TF1 reference variable (VariableV2), not a resource variable."""
    return tf.compat.v1.Variable(value, name=name, use_resource=False)


def predict_signature(inputs, outputs):
    return tf.compat.v1.saved_model.predict_signature_def(inputs, outputs)


def iris_graph():
    """x [batch, 4] -> class_ids and probabilities; a second signature for the two-signature cases."""
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    w = ref_variable("w", tf.ones([4, 3]))
    logits = tf.matmul(x, w)
    return {
        "serving_default": predict_signature(
            {"x": x}, {"class_ids": tf.argmax(logits, axis=1), "probabilities": tf.nn.softmax(logits)}
        ),
        "classify": predict_signature({"x": x}, {"scores": tf.reduce_sum(logits, axis=1)}),
    }


def export_tf23():
    def only(*keys):
        return lambda: {k: v for k, v in iris_graph().items() if k in keys}

    def with_predict():
        default = iris_graph()["serving_default"]
        return {"serving_default": default, "predict": default}

    export_v1(os.path.join(OUT, "tf23-one-signature"), only("serving_default"))
    export_v1(os.path.join(OUT, "tf23-two-signatures"), only("serving_default", "classify"))
    export_v1(os.path.join(OUT, "tf23-predict"), with_predict)
    export_v1(os.path.join(OUT, "tf23-no-signatures"), only())
    for version in ("1", "2"):
        export_v1(os.path.join(OUT, "tf23-versioned", version), only("serving_default"))
    export_v1(os.path.join(OUT, "tf23-init-op"), only("serving_default"), init_op=True)
    export_two_shards()
    for name in sorted(os.listdir(OUT)):
        if name.startswith("tf23-"):
            record_signatures(os.path.join(OUT, name), extended=True)


def export_two_shards(record=False):
    """Variables on two CPU devices: the sharded Saver writes one data file per device."""
    path = os.path.join(OUT, "tf23-two-shards")

    def build():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        with tf.device("/device:CPU:0"):
            w = ref_variable("w", tf.ones([4, 3]))
        with tf.device("/device:CPU:1"):
            b = ref_variable("b", tf.zeros([3]))
        logits = tf.matmul(x, w) + b
        return {"serving_default": predict_signature({"x": x}, {"probabilities": tf.nn.softmax(logits)})}

    export_v1(path, build, session_config=tf.compat.v1.ConfigProto(device_count={"CPU": 2}))
    shards = sorted(f for f in os.listdir(os.path.join(path, "variables")) if f.startswith("variables.data-"))
    if shards != ["variables.data-00000-of-00002", "variables.data-00001-of-00002"]:
        sys.exit(f"{path}: expected two shards, got {shards}")
    check_loadable(path)
    if record:
        record_signatures(path, extended=True)


# The class means (sepal length, sepal width, petal length, petal width, in cm) of Fisher's iris data:
# a nearest-centroid classifier is linear, logit_k = x . mu_k - |mu_k|^2 / 2.
IRIS_MEANS = [
    [5.006, 3.428, 1.462, 0.246],  # setosa
    [5.936, 2.770, 4.260, 1.326],  # versicolor
    [6.588, 2.974, 5.552, 2.026],  # virginica
]
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def iris_example():
    columns = {name: tf.compat.v1.placeholder(tf.float32, [None], name=name) for name in IRIS_FEATURES}
    x = tf.stack([columns[name] for name in IRIS_FEATURES], axis=1)
    w = ref_variable("centroids", tf.constant([list(c) for c in zip(*IRIS_MEANS)]))
    b = ref_variable("bias", tf.constant([-sum(v * v for v in mean) / 2 for mean in IRIS_MEANS]))
    logits = tf.matmul(x, w) + b
    outputs = {
        "class_ids": tf.expand_dims(tf.argmax(logits, axis=1), 1),
        "probabilities": tf.nn.softmax(logits),
    }
    return {"serving_default": predict_signature(columns, outputs)}


def sentiment_example(weight):
    """A keyword scorer: P(positive) = sigmoid(weight * (positive match - negative match))."""
    text = tf.compat.v1.placeholder(tf.string, [None], name="text")
    lower = tf.strings.lower(text)

    def matches(pattern):
        return tf.cast(tf.strings.regex_full_match(lower, pattern), tf.float32)

    scale = ref_variable("weight", tf.constant(weight))
    score = matches(".*(good|great|love|excellent).*") - matches(".*(bad|awful|hate|terrible).*")
    positive = tf.sigmoid(scale * score)
    probabilities = tf.stack([1.0 - positive, positive], axis=1)
    return {"serving_default": predict_signature({"text": text}, {"probabilities": probabilities})}


def generator_example():
    prompt = tf.compat.v1.placeholder(tf.string, [None], name="prompt")
    continuation = ref_variable("continuation", tf.constant(" and they all lived happily ever after."))
    return {"serving_default": predict_signature({"prompt": prompt}, {"text": tf.strings.join([prompt, continuation])})}


def export_examples():
    export_v1(os.path.join(EXAMPLES, "iris-classifier", "nn", "1"), iris_example)
    bert = os.path.join(EXAMPLES, "sentiment-analyzer", "bert")
    shutil.rmtree(bert, ignore_errors=True)
    for version, weight in (("1568244606", 2.0), ("1612353420", 3.0)):
        export_v1(os.path.join(bert, version), lambda: sentiment_example(weight))
    export_v1(os.path.join(EXAMPLES, "text-generator", "gpt-2"), generator_example)
    check_loadable(EXAMPLES)


def export_tf2():
    export("one-signature", lambda m: {"serving_default": m.classify})
    export("predict-and-default", lambda m: {"serving_default": m.classify, "predict": m.classify})
    export("no-signatures", None)
    export("no-inputs", lambda m: {"serving_default": m.constant})
    for version in ("1", "2"):
        export(f"versioned/{version}", lambda m: {"serving_default": m.classify})
    export("disagreeing/1", lambda m: {"serving_default": m.classify})
    export("disagreeing/2", lambda m: {"serving_default": m.classify_wide})
    export_train_only(os.path.join(OUT, "train-only"))
    for name in sorted(os.listdir(OUT)):
        if not name.startswith("tf23-"):
            record_signatures(os.path.join(OUT, name))


GROUPS = {
    "tf2": export_tf2,
    "tf23": export_tf23,
    "shards": lambda: export_two_shards(record=True),
    "examples": export_examples,
}


def main(argv):
    unknown = [g for g in argv if g not in GROUPS]
    if unknown:
        sys.exit(f"unknown group(s) {unknown}; groups: {sorted(GROUPS)}")
    for group in argv or sorted(GROUPS):
        GROUPS[group]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
