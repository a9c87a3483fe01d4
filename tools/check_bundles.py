#!/usr/bin/env python3
"""Checks cortex-tfc bundles with their real consumers.

For each bundle directory given:
  - bundle.json lists exactly the files present, with matching sha256;
  - every models.config parses with TF Serving's own protobuf definitions
    (tensorflow_serving.config.model_server_config_pb2.ModelServerConfig) and
    lists the models and versions bundle.json names;
  - every k8s.yaml's Deployments, Service and HPA pass
    `kubernetes-validate --strict -k 1.18.0` (Kubernetes 1.18 is what a
    Cortex 0.34 cluster runs);
  - every VirtualService validates against Istio 1.7.3's CRD schema
    (tests/fixtures/istio-1.7.3-virtualservice-crd.yaml), with no field the
    schema does not declare.
What Cortex's own entrypoints read (the downloader's argument, the worker's
env and spec keys, the gateway's flags, TF Serving's /etc/tfs) is checked by
tests/bundle_contract.rs, written from Cortex's source.
Prints one line per check and a closing "N passed, N failed" line.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import yaml

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

# what a Cortex 0.34 cluster runs (manager/generate_eks.py:20), and the
# Istio it installs
KUBERNETES_VERSION = "1.18.0"
VIRTUAL_SERVICE_CRD = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "istio-1.7.3-virtualservice-crd.yaml")

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


def split_manifests(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    core = [d for d in docs if d.get("kind") != "VirtualService"]
    routes = [d for d in docs if d.get("kind") == "VirtualService"]
    return core, routes


def check_k8s(root, api, version):
    """Every core object against Kubernetes' own schemas for the cluster's version."""
    path = os.path.join(root, "apis", api["name"], "k8s.yaml")
    core, routes = split_manifests(path)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump_all(core, f)
        core_path = f.name
    try:
        result = subprocess.run(
            ["kubernetes-validate", "--strict", "-k", version, core_path],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(core_path)
    report(result.returncode == 0, f"{path} passes kubernetes-validate --strict -k {version}", result.stdout + result.stderr)
    passed_kinds = result.stdout.count(" passed for resource ")
    report(passed_kinds == 4, f"{path}: Deployments, Service and HPA validated", result.stdout)
    report(len(routes) == 1, f"{path}: one VirtualService", len(routes))
    for route in routes:
        check_virtual_service(path, route)


def crd_schema(version):
    with open(VIRTUAL_SERVICE_CRD) as f:
        crd = yaml.safe_load(f)
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return v["schema"]["openAPIV3Schema"]
    return None


def unknown_fields(value, schema, where="$"):
    """Fields the schema does not declare: the API server would prune them,
    so they would silently do nothing (kubectl --validate=strict rejects them)."""
    found = []
    if isinstance(value, dict) and not schema.get("x-kubernetes-preserve-unknown-fields"):
        properties = schema.get("properties")
        if properties is not None:
            for key, item in value.items():
                if key not in properties:
                    found.append(f"{where}.{key}")
                else:
                    found += unknown_fields(item, properties[key], f"{where}.{key}")
        elif isinstance(schema.get("additionalProperties"), dict):
            for key, item in value.items():
                found += unknown_fields(item, schema["additionalProperties"], f"{where}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found += unknown_fields(item, schema["items"], f"{where}[{i}]")
    return found


def check_virtual_service(path, route):
    """The VirtualService against Istio 1.7.3's CRD schema (the Istio Cortex 0.34 installs)."""
    group, _, version = route["apiVersion"].partition("/")
    schema = crd_schema(version) if group == "networking.istio.io" else None
    report(schema is not None, f"{path}: VirtualService version {route['apiVersion']} served by Istio 1.7.3")
    if schema is None:
        return
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(route)]
    report(not errors, f"{path}: VirtualService matches Istio 1.7.3's schema", errors)
    unknown = unknown_fields(route.get("spec", {}), schema["properties"]["spec"], "spec")
    report(not unknown, f"{path}: VirtualService has no field Istio 1.7.3 does not know", unknown)


def main(bundles):
    for root in bundles:
        with open(os.path.join(root, "bundle.json")) as f:
            manifest = json.load(f)
        check_manifest(root, manifest)
        for api in manifest["apis"]:
            check_models_config(root, api)
            check_k8s(root, api, KUBERNETES_VERSION)
    print(f"bundle consumers: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
