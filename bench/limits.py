#!/usr/bin/env python3
"""Limits: each hostile input must end in < 1 s with its diagnostic and
under 100 MB of memory. Run through `bench/run limits`.

Usage: limits.py CORTEX_TFC WORKDIR
"""

import json
import os
import subprocess
import sys
import time


def write(path, chunks):
    """Writes a file chunk by chunk: the parent never holds a whole input,
    so the child's peak RSS (which counts pages inherited before exec) is
    its own."""
    with open(path, "w") as f:
        for chunk in chunks:
            f.write(chunk)


def alias_bomb():
    yield "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        yield f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n"


def inputs():
    yield "alias bomb (10^10 nodes)", alias_bomb, "TFC0020"
    yield "10,000-deep nesting", lambda: iter(["[" * 10000, "]" * 10000]), "TFC0011"
    yield "1,000,000-element flow list", lambda: iter(["- [", ",".join(["1"] * 1_000_000), "]\n"]), "TFC0012"
    yield "1,000,000-element block list", lambda: ("  - 1\n" * 1000 if i else "-\n" for i in range(1001)), "TFC0012"
    yield "100 MB file", lambda: (("# " + "x" * 1022 + "\n") * 1024 for _ in range(100)), "TFC0010"


def main():
    binary, workdir = sys.argv[1:3]
    os.makedirs(workdir, exist_ok=True)
    print("limits: wall time and peak RSS per hostile input (release build)")
    failed = False
    for name, chunks, code in inputs():
        path = os.path.join(workdir, "input.yaml")
        write(path, chunks())
        start = time.perf_counter()
        child = subprocess.Popen([binary, "check", path, "--offline", "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = child.stdout.read()
        _, _, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        rss = usage.ru_maxrss / 1024
        got = json.loads(out)["diagnostics"][0]["code"]
        ok = got == code and wall < 1.0 and rss < 100
        failed |= not ok
        print(f"  {name:30} {wall:6.3f} s  {rss:6.1f} MB  {got}  {'ok' if ok else 'MISSED'}")
    print("  targets: < 1 s, < 100 MB, the diagnostic named")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
