#!/usr/bin/env python3
"""Checks cortex-tfc bundles with their real consumers.

For each bundle directory given:
  - bundle.json lists exactly the files present, with matching sha256;
  - every models.config parses with TF Serving's own protobuf definitions
    (tensorflow_serving.config.model_server_config_pb2.ModelServerConfig) and
    lists the models and versions bundle.json names;
  - every k8s.yaml passes `kubernetes-validate --strict` for the Kubernetes
    version bundle.json states (Istio's VirtualService is a CRD it has no
    schema for: it is reported as skipped, not passed);
  - every spec.json is read the way Cortex's worker reads it, failing on any
    missing key or wrong type.
Prints one line per check and a closing "N passed, N failed" line.
"""

import hashlib
import json
import os
import subprocess
import sys

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

passed = 0
failed = 0


def report(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {what}")
    else:
        failed += 1
        print(f"FAIL  {what}: {detail}")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def files_under(root):
    found = set()
    for here, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(here, name), root).replace(os.sep, "/"))
    return found


def check_manifest(root, manifest):
    listed = {"bundle.json"}
    for api in manifest["apis"]:
        for rel, digest in api["files"].items():
            listed.add(rel)
            path = os.path.join(root, rel)
            ok = os.path.isfile(path) and sha256(path) == digest
            report(ok, f"{root}: {rel} sha256", "missing or different")
    present = files_under(root)
    report(present == listed, f"{root}: no unlisted files", sorted(present ^ listed))


def check_models_config(root, api):
    path = os.path.join(root, "apis", api["name"], "models.config")
    try:
        with open(path) as f:
            config = text_format.Parse(f.read(), model_server_config_pb2.ModelServerConfig())
    except Exception as e:  # any parse error is a failure
        report(False, f"{path} parses as ModelServerConfig", e)
        return
    got = {c.name: (c.base_path, c.model_platform, list(c.model_version_policy.specific.versions)) for c in config.model_config_list.config}
    want = {m["name"]: (f"/mnt/model/{m['name']}", "tensorflow", m["versions"]) for m in api["models"]}
    report(got == want, f"{path} parses as ModelServerConfig with the bundle's models", f"{got} != {want}")


def check_k8s(root, api, version):
    path = os.path.join(root, "apis", api["name"], "k8s.yaml")
    result = subprocess.run(
        ["kubernetes-validate", "--strict", "--no-warn", "-k", version, path],
        capture_output=True,
        text=True,
    )
    report(result.returncode == 0, f"{path} passes kubernetes-validate --strict -k {version}", result.stdout + result.stderr)
    passed_kinds = result.stdout.count(" passed for resource ")
    report(passed_kinds == 4, f"{path}: 4 core resources validated (VirtualService is an Istio CRD: skipped)", result.stdout)


def read_like_the_worker(spec):
    """What Cortex 0.34's worker reads from CORTEX_API_SPEC; KeyError/TypeError on anything missing."""
    assert spec["kind"] == "AsyncAPI"
    handler = spec["handler"]
    assert handler["type"] == "tensorflow"
    assert handler["log_level"] in ("debug", "info", "warning", "error")
    assert isinstance(handler["processes_per_replica"], int) and handler["processes_per_replica"] >= 1
    assert isinstance(handler["threads_per_process"], int) and handler["threads_per_process"] >= 1
    deps = handler["dependencies"]
    for key in ("pip", "conda", "shell"):
        assert isinstance(deps[key], str) and deps[key]
    python_path = handler["python_path"]
    assert python_path is None or (isinstance(python_path, str) and python_path.endswith("/"))
    assert isinstance(handler["config"], dict)
    models = handler["models"]
    sources = [models["path"], models["paths"], models["dir"]]
    assert sum(s is not None for s in sources) == 1, "exactly one model source"
    assert models["signature_key"] is None or isinstance(models["signature_key"], str)
    for entry in models["paths"] or []:
        assert entry["name"] and entry["path"].startswith("s3://") and "signature_key" in entry
    assert isinstance(spec["compute"]["inf"], int)
    assert isinstance(spec["autoscaling"]["max_replica_concurrency"], int)
    for model in spec["curated_model_resources"]:
        assert model["name"] and model["path"].startswith("s3://")
        assert "signature_key" in model
        assert all(isinstance(v, int) for v in model["versions"])
        assert model["versions"] == sorted(model["versions"])
        signature = model.get("signature")
        if signature is not None:
            # the worker serves signature_key; it must be the signature recorded
            assert model["signature_key"] == signature["key"]
            assert signature["inputs"], "the served signature takes inputs"
    assert spec["curated_model_resources"], "at least one model"


def check_spec(root, api):
    path = os.path.join(root, "apis", api["name"], "spec.json")
    try:
        with open(path) as f:
            read_like_the_worker(json.load(f))
        report(True, f"{path} reads like the worker reads it")
    except (KeyError, TypeError, AssertionError, ValueError) as e:
        report(False, f"{path} reads like the worker reads it", repr(e))


def main(bundles):
    for root in bundles:
        with open(os.path.join(root, "bundle.json")) as f:
            manifest = json.load(f)
        check_manifest(root, manifest)
        for api in manifest["apis"]:
            check_models_config(root, api)
            check_k8s(root, api, manifest["kubernetes_version"])
            check_spec(root, api)
    print(f"bundle consumers: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
