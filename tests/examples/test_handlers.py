"""The README example's handlers, driven as Cortex 0.34's worker drives them.

Each handler in examples/iris/ is loaded and validated the way the async
worker does it (class `Handler`; `__init__(self, tensorflow_client, config
[, metrics_client])`, arguments passed by name; `handle_async(self[, payload]
[, request_id])`: `pkg/cortex/serve/cortex_internal/lib/api/async_api.py`
ASYNC_TENSORFLOW_HANDLER_VALIDATION, `initialize_impl`, and
`lib/api/validations.py` at v0.34.0), with `handler.env` set and a deep copy
of `handler.config` passed. Its `tensorflow_client` is a stand-in that
behaves as Cortex's `TensorFlowClient.predict` and `TensorFlowServingAPI.predict`
do (`lib/client/tensorflow.py` `predict`, `lib/model/tfs.py` `predict` and
`_create_prediction_request`): model_name required for `models.paths`,
ignored for `models.path`; every input of the selected signature required,
no other key accepted, values that fit the input's dtype and shape; the
outputs returned as Cortex returns them (`json_format.MessageToDict`, then
the `*Val` list: flat, int64 as strings, bytes base64).

The signatures come from the example's SavedModels, read with
`cortex-tfc inspect --format json`; the payloads come from the README. The
model outputs are what TensorFlow computed for those payloads on the example
models (tools/make_savedmodels.py); their keys must be exactly the selected
signature's outputs, so a change to a model's outputs or to a handler's keys
fails here.

Run by scripts/test: python -m unittest discover -s tests/examples
(needs PyYAML; CORTEX_TFC_BIN names the binary, default target/debug/cortex-tfc).
"""

import ast
import base64
import copy
import importlib.util
import inspect
import json
import os
import re
import subprocess
import unittest

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(ROOT, "examples", "iris")
STORE = os.path.join(ROOT, "examples", "store")
BIN = os.environ.get("CORTEX_TFC_BIN", os.path.join(ROOT, "target", "debug", "cortex-tfc"))
SINGLE_MODEL_NAME = "_cortex_default"  # cortex_internal/consts.py

# What TensorFlow returned for the README's payloads on the example models.
MODEL_OUTPUTS = {
    ("iris-classifier", SINGLE_MODEL_NAME): {
        "class_ids": [0],
        "probabilities": [0.9951677322387695, 0.004822400398552418, 9.86073246167507e-06],
    },
    ("text-models", "sentiment"): {"probabilities": [0.04742586612701416, 0.9525741338729858]},
    ("text-models", "generator"): {"text": [b"Once upon a time and they all lived happily ever after."]},
}

EXPECTED_RESULTS = {
    "iris-classifier": [
        {"label": "setosa", "probabilities": {"setosa": 0.9952, "versicolor": 0.0048, "virginica": 0.0}},
    ],
    "text-models": [
        {"model": "sentiment", "label": "positive", "score": 0.9526},
        {"model": "generator", "text": "Once upon a time and they all lived happily ever after."},
    ],
}

# the JSON form of TensorProto values (tfs.py DTYPE_TO_VALUE_KEY), and the Python values each dtype takes
VALUE_KEYS = {"DT_FLOAT": "floatVal", "DT_DOUBLE": "doubleVal", "DT_INT32": "intVal", "DT_INT64": "int64Val",
              "DT_STRING": "stringVal", "DT_BOOL": "boolVal"}
ACCEPTS = {"DT_FLOAT": (int, float), "DT_DOUBLE": (int, float), "DT_INT32": (int,), "DT_INT64": (int,),
           "DT_STRING": (str, bytes), "DT_BOOL": (bool,)}


class CortexUserError(Exception):
    """What Cortex raises as UserException / UserRuntimeException: the workload fails."""


def inspect_model(path):
    out = subprocess.run([BIN, "inspect", path, "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError("cortex-tfc inspect {} failed: {}".format(path, out.stderr))
    return json.loads(out.stdout)


def store_dir(s3_path):
    bucket_and_key = s3_path[len("s3://"):]
    return os.path.join(STORE, *[part for part in bucket_and_key.split("/") if part])


def api_models(api):
    """(model name, s3 path, signature_key) as the worker names them."""
    models = api["handler"]["models"]
    if models.get("path"):
        return [(SINGLE_MODEL_NAME, models["path"], models.get("signature_key"))]
    return [(m["name"], m["path"], m.get("signature_key", models.get("signature_key"))) for m in models["paths"]]


def served_signature(report, signature_key):
    """Per version: the signature Cortex serves (tfs.py _extract_signatures, with the key the example sets)."""
    served = {}
    for version in report["versions"]:
        by_key = {sig["key"]: sig for sig in version["signatures"]}
        if signature_key not in by_key:
            raise AssertionError("signature_key {!r} not in {}".format(signature_key, sorted(by_key)))
        served[str(version["version"] or 1)] = by_key[signature_key]
    return served


def shape_of(value):
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return shape


def leaves(value):
    if isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


class StandInTensorFlowClient:
    """Cortex's TensorFlowClient.predict, answered from MODEL_OUTPUTS."""

    def __init__(self, api_name, signatures):
        self.api_name = api_name
        self.signatures = signatures  # model name -> version -> signature
        self.calls = []

    def predict(self, model_input, model_name=None, model_version="latest"):
        if model_version != "latest" and not model_version.isnumeric():
            raise CortexUserError("model_version must be either a parse-able numeric value or 'latest'")
        if SINGLE_MODEL_NAME in self.signatures:
            model_name = SINGLE_MODEL_NAME  # models.path: model_name is ignored
        elif model_name is None:
            raise CortexUserError("model_name was not specified, choose one of the following: {}".format(
                sorted(self.signatures)))
        elif model_name not in self.signatures:
            raise CortexUserError("'{}' model wasn't found in the list of available models".format(model_name))
        versions = self.signatures[model_name]
        if model_version == "latest":
            model_version = str(max(int(v) for v in versions))
        if model_version not in versions:
            raise CortexUserError("model {} has no version {}".format(model_name, model_version))
        signature = versions[model_version]
        self.check_input(signature, model_input, model_name)
        self.calls.append((model_name, model_version))
        return self.outputs(signature, model_name)

    @staticmethod
    def check_input(signature, model_input, model_name):
        if not isinstance(model_input, dict):
            raise CortexUserError("model input must be a dict of the signature's inputs")
        for name in signature["inputs"]:
            if name not in model_input:
                raise CortexUserError("missing key '{}' for model '{}'".format(name, model_name))
        for name, value in model_input.items():
            spec = signature["inputs"].get(name)
            if spec is None:  # _create_prediction_request indexes the signature's inputs by the key
                raise KeyError(name)
            if not all(isinstance(v, ACCEPTS[spec["dtype"]]) for v in leaves(value)):
                raise CortexUserError("key '{}': values do not convert to {}".format(name, spec["dtype"]))
            want = spec["shape"]
            got = shape_of(value)
            if want is not None and (len(want) != len(got) or any(w not in (-1, g) for w, g in zip(want, got))):
                raise CortexUserError("key '{}': expected shape {}, got {}".format(name, want, got))

    def outputs(self, signature, model_name):
        recorded = MODEL_OUTPUTS[(self.api_name, model_name)]
        if set(recorded) != set(signature["outputs"]):
            raise AssertionError("the model's outputs are {}, the recorded outputs {}".format(
                sorted(signature["outputs"]), sorted(recorded)))
        simplified = {}
        for name, values in recorded.items():
            dtype = signature["outputs"][name]["dtype"]
            if dtype == "DT_INT64":
                values = [str(v) for v in values]
            elif dtype == "DT_STRING":
                values = [base64.b64encode(v).decode("ascii") for v in values]
            simplified[name] = values
            assert VALUE_KEYS[dtype]
        return simplified


def load_handler_class(path):
    spec = importlib.util.spec_from_file_location("cortex_async_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [cls for name, cls in inspect.getmembers(module, inspect.isclass) if name == "Handler"]
    if len(classes) != 1:
        raise AssertionError("{}: Handler class is not defined".format(path))
    return classes[0]


def validate_method(cls, name, required, optional):
    """lib/api/validations.py validate_required_method_args."""
    fn = getattr(cls, name, None)
    if not callable(fn):
        raise AssertionError('required method "{}" is not defined'.format(name))
    args = inspect.getfullargspec(fn).args
    for arg in required:
        if arg not in args:
            raise AssertionError('"{}" is a required argument of {}'.format(arg, name))
    if args[0] != "self":
        raise AssertionError('"self" must be the first argument of {}'.format(name))
    for arg in args:
        if arg not in required and arg not in optional:
            raise AssertionError('"{}" is not a supported argument of {}'.format(arg, name))


def readme_requests():
    """The README's example requests: (endpoint path, JSON payload), in order."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    pattern = re.compile(r"curl -s -X POST \"\$API(/[^\"]+)\"[^\n]*\\\n\s*-d '([^']*)'")
    return [(path, json.loads(body)) for path, body in pattern.findall(text)]


class ExampleHandlers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(EXAMPLE, "cortex.yaml")) as f:
            cls.apis = {api["name"]: api for api in yaml.safe_load(f)}

    def signatures(self, api):
        return {
            name: served_signature(inspect_model(store_dir(path)), key)
            for name, path, key in api_models(api)
        }

    def make_handler(self, api):
        handler_path = os.path.join(EXAMPLE, api["handler"]["path"])
        cls = load_handler_class(handler_path)
        validate_method(cls, "__init__", ["self", "tensorflow_client", "config"], ["metrics_client"])
        validate_method(cls, "handle_async", ["self"], ["payload", "request_id"])
        client = StandInTensorFlowClient(api["name"], self.signatures(api))
        old_env = dict(os.environ)
        os.environ.update({k: str(v) for k, v in api["handler"].get("env", {}).items()})
        try:
            handler = cls(tensorflow_client=client, config=copy.deepcopy(api["handler"].get("config", {})))
        finally:
            os.environ.clear()
            os.environ.update(old_env)
        return handler, client

    def endpoint(self, api):
        return api.get("networking", {}).get("endpoint", "/" + api["name"])

    def test_each_readme_request_gets_the_readme_result(self):
        requests = readme_requests()
        self.assertEqual(len(requests), sum(len(r) for r in EXPECTED_RESULTS.values()), requests)
        expected = {name: list(results) for name, results in EXPECTED_RESULTS.items()}
        for path, payload in requests:
            (api,) = [a for a in self.apis.values() if self.endpoint(a) == path]
            handler, client = self.make_handler(api)
            result = handler.handle_async(payload, "69b93378fa5c0218")
            json.dumps(result)  # upload_result: the result must be JSON-serialisable
            self.assertEqual(result, expected[api["name"]].pop(0), (path, payload))
            self.assertEqual(len(client.calls), 1)
        self.assertEqual({k: v for k, v in expected.items() if v}, {})

    def test_readme_shows_each_result(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        for results in EXPECTED_RESULTS.values():
            for result in results:
                self.assertIn('"result": ' + json.dumps(result), readme)

    def test_the_multi_model_handler_names_its_model(self):
        handler, client = self.make_handler(self.apis["text-models"])
        handler.handle_async({"model": "sentiment", "text": "great", "version": "1568244606"}, "id")
        self.assertEqual(client.calls, [("sentiment", "1568244606")])
        with self.assertRaises(ValueError):
            handler.handle_async({"model": "summarizer", "text": "x"}, "id")

    def test_the_stand_in_refuses_what_cortex_refuses(self):
        api = self.apis["text-models"]
        client = StandInTensorFlowClient(api["name"], self.signatures(api))
        with self.assertRaisesRegex(CortexUserError, "model_name was not specified"):
            client.predict({"text": ["x"]})
        with self.assertRaisesRegex(CortexUserError, "missing key 'text'"):
            client.predict({"prompt": ["x"]}, "sentiment")
        with self.assertRaises(KeyError):
            client.predict({"text": ["x"], "extra": [1]}, "sentiment")
        with self.assertRaisesRegex(CortexUserError, "expected shape"):
            client.predict({"text": "x"}, "sentiment")
        with self.assertRaisesRegex(CortexUserError, "version"):
            client.predict({"text": ["x"]}, "sentiment", "7")

    def test_handlers_parse_as_python_3_6(self):
        # Cortex 0.34's tensorflow-handler image runs Python 3.6.9
        for api in self.apis.values():
            with open(os.path.join(EXAMPLE, api["handler"]["path"])) as f:
                ast.parse(f.read(), feature_version=(3, 6))


if __name__ == "__main__":
    unittest.main()
