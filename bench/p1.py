#!/usr/bin/env python3
"""P1: `cortex-tfc check` on 1,000 APIs x 3 models (local store), wall time
and peak RSS, side by side with check-jsonschema validating the same file
against schemas/cortex.schema.json. Run through `bench/run p1`.

Usage: p1.py CORTEX_TFC CHECK_JSONSCHEMA WORKDIR
"""

import os
import shutil
import subprocess
import sys
import time

APIS = 1000
MODELS = 3
RUNS = 5


def generate(workdir, export):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    with open(os.path.join(workdir, "handler.py"), "w") as f:
        f.write("class Handler:\n    pass\n")
    lines = ["# yaml-language-server: $schema=../../schemas/cortex.schema.json"]
    for api in range(APIS):
        lines += [
            f"- name: api-{api}",
            "  kind: AsyncAPI",
            "  handler:",
            "    type: tensorflow",
            "    path: handler.py",
            "    env: {LOG_FORMAT: json, REGION: us-east-1}",
            "    models:",
            "      signature_key: serving_default",
            "      paths:",
        ]
        for model in range(MODELS):
            lines += [f"        - name: model-{model}", f"          path: s3://bench/models/{api}/{model}/"]
        lines += ["  compute:", "    cpu: 500m", "    mem: 1Gi", "  autoscaling:", "    min_replicas: 1", "    max_replicas: 10"]
    with open(os.path.join(workdir, "cortex.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for api in range(APIS):
        for model in range(MODELS):
            version = os.path.join(workdir, "store", "bench", "models", str(api), str(model), "1")
            os.makedirs(os.path.join(version, "variables"))
            for rel in ("saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"):
                os.link(os.path.join(export, rel), os.path.join(version, rel))


def measure(argv, cwd):
    """Best wall time and the peak RSS (MB) over RUNS runs."""
    best, peak = float("inf"), 0.0
    for _ in range(RUNS):
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"{argv[0]} exited {code}")
        best = min(best, wall)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, peak


def main():
    cortex_tfc, check_jsonschema, workdir = sys.argv[1:4]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    generate(workdir, os.path.join(root, "tests", "fixtures", "savedmodels", "one-signature"))
    # the generator's writes are flushed first: they are not the tools' work
    os.sync()
    size = os.path.getsize(os.path.join(workdir, "cortex.yaml"))
    ours = measure([cortex_tfc, "check", "cortex.yaml", "--store", "store", "--color", "never"], workdir)
    config_only = measure([cortex_tfc, "check", "cortex.yaml", "--offline", "--color", "never"], workdir)
    schema = os.path.join(root, "schemas", "cortex.schema.json")
    theirs = measure([check_jsonschema, "--schemafile", schema, "cortex.yaml"], workdir)
    print(f"P1: {APIS} APIs x {MODELS} models, cortex.yaml {size / 1024:.0f} KiB, local store ({APIS * MODELS} models), best of {RUNS}")
    print(f"  cortex-tfc check (schema + rules + listing + {APIS * MODELS} saved_model.pb): {ours[0]:.3f} s, peak RSS {ours[1]:.1f} MB")
    print(f"  cortex-tfc check --offline (schema + every rule, no model I/O):  {config_only[0]:.3f} s, peak RSS {config_only[1]:.1f} MB")
    print(f"  check-jsonschema (schema only):                                  {theirs[0]:.3f} s, peak RSS {theirs[1]:.1f} MB")
    print(f"  speed-up, full check vs check-jsonschema:      {theirs[0] / ours[0]:.1f}x")
    print(f"  speed-up, like for like (--offline) vs check-jsonschema: {theirs[0] / config_only[0]:.1f}x")
    print("  targets: < 0.5 s, < 64 MB, >= 20x")


if __name__ == "__main__":
    main()
