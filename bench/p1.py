#!/usr/bin/env python3
"""P1: `cortex-tfc check` on 1,000 APIs x 3 models (local store), wall time
and peak RSS, side by side with check-jsonschema validating the same file
against schemas/cortex.schema.json. Run through `bench/run p1`.

Usage: p1.py CORTEX_TFC CHECK_JSONSCHEMA WORKDIR
"""

import os
import shutil
import statistics
import subprocess
import sys
import time

APIS = 1000
MODELS = 3
RUNS = 10


def generate(workdir, export):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    with open(os.path.join(workdir, "handler.py"), "w") as f:
        f.write("class Handler:\n    def __init__(self, tensorflow_client, config):\n        pass\n\n    def handle_async(self, payload):\n        pass\n")
    # the local mirror sits in the project directory: left out of what
    # `cortex deploy` uploads, as a project holding a mirror must leave it
    # (the golden cases do the same)
    with open(os.path.join(workdir, ".cortexignore"), "w") as f:
        f.write("store/\n")
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


def run(argv, cwd):
    """Wall time (s) and peak RSS (MB) of one run."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{argv[0]} exited {code}")
    return wall, usage.ru_maxrss / 1024


def measure(commands, cwd):
    """Best and median wall time and peak RSS of each command over RUNS
    rounds. The commands take turns within a round, so that a slower
    moment of the machine weighs on all of them alike."""
    walls = [[] for _ in commands]
    peaks = [0.0 for _ in commands]
    for _ in range(RUNS):
        for i, argv in enumerate(commands):
            wall, rss = run(argv, cwd)
            walls[i].append(wall)
            peaks[i] = max(peaks[i], rss)
    return [(min(w), statistics.median(w), p) for w, p in zip(walls, peaks)]


def main():
    cortex_tfc, check_jsonschema, workdir = sys.argv[1:4]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    generate(workdir, os.path.join(root, "tests", "fixtures", "savedmodels", "tf23-one-signature"))
    # the generator's writes are flushed first: they are not the tools' work
    os.sync()
    size = os.path.getsize(os.path.join(workdir, "cortex.yaml"))
    schema = os.path.join(root, "schemas", "cortex.schema.json")
    ours, config_only, theirs = measure(
        [
            [cortex_tfc, "check", "cortex.yaml", "--store", "store", "--color", "never"],
            [cortex_tfc, "check", "cortex.yaml", "--offline", "--color", "never"],
            [check_jsonschema, "--schemafile", schema, "cortex.yaml"],
        ],
        workdir,
    )
    print(f"P1: {APIS} APIs x {MODELS} models, cortex.yaml {size / 1024:.0f} KiB, local store ({APIS * MODELS} models), {RUNS} rounds, the tools taking turns")
    print("                                                        best    median   peak RSS")
    rows = [
        (f"cortex-tfc check (schema, rules, {APIS * MODELS} models read)", ours),
        ("cortex-tfc check --offline (schema, rules)", config_only),
        ("check-jsonschema (schema only)", theirs),
    ]
    for name, (best, median, peak) in rows:
        print(f"  {name:<52} {best:6.3f} s {median:6.3f} s {peak:6.1f} MB")
    print(f"  speed-up, full check vs check-jsonschema:   {theirs[0] / ours[0]:5.1f}x best, {theirs[1] / ours[1]:5.1f}x median")
    print(f"  speed-up, --offline vs check-jsonschema:    {theirs[0] / config_only[0]:5.1f}x best, {theirs[1] / config_only[1]:5.1f}x median")
    print("  targets: < 0.5 s, < 64 MB, >= 20x")


if __name__ == "__main__":
    main()
