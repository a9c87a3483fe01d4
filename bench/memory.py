"""Peak RSS of `check` reading 8 x 200 MiB saved_model.pb in S3 mode.

usage: memory.py CORTEX_TFC ENDPOINT WORKDIR

Each saved_model.pb is the tf23-one-signature export with a 200 MiB field
TensorFlow does not define appended (the decoder skips it, as it skips the
constants of a real large graph), uploaded to the S3 test server. Target:
peak RSS under 300 MB (the bytes in flight are bounded by the store's read
budget, 256 MiB).
"""
import os
import subprocess
import sys


MODELS = int(os.environ.get("BENCH_MODELS", "8"))
SIZE = 200 * 1024 * 1024
TARGET_MB = 300


def varint(n):
    out = bytearray()
    while True:
        c = n & 0x7F
        n >>= 7
        if n:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def big_export(root):
    base = os.path.join(root, "tests", "fixtures", "savedmodels", "tf23-one-signature")
    with open(os.path.join(base, "saved_model.pb"), "rb") as f:
        pb = f.read()
    pad = SIZE - len(pb) - 16
    # field 15, length-delimited: unknown to SavedModel, skipped on decode
    return base, pb + varint(15 << 3 | 2) + varint(pad) + b"\0" * pad


def upload(endpoint, workdir):
    """Uploads the models and writes cortex.yaml (run in its own process)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(workdir, exist_ok=True)
    base, pb = big_export(root)
    import boto3  # only here: the measuring parent stays small
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="memory")
    for i in range(MODELS):
        s3.put_object(Bucket="memory", Key=f"m{i}/saved_model.pb", Body=pb)
        for rel in ("variables/variables.index", "variables/variables.data-00000-of-00001"):
            with open(os.path.join(base, rel), "rb") as f:
                s3.put_object(Bucket="memory", Key=f"m{i}/{rel}", Body=f.read())
    lines = ["- name: memory", "  kind: AsyncAPI", "  handler:", "    type: tensorflow",
             "    path: handler.py", "    models:", "      paths:"]
    for i in range(MODELS):
        lines += [f"        - name: m{i}", f"          path: s3://memory/m{i}/"]
    with open(os.path.join(workdir, "cortex.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(workdir, "handler.py"), "w") as f:
        f.write("class Handler:\n    def __init__(self, tensorflow_client, config):\n        pass\n\n    def handle_async(self, payload):\n        pass\n")


def main():
    binary, endpoint, workdir = sys.argv[1:4]
    # The upload runs in a process of its own: Linux counts the RSS of the
    # process that execs into the child in the child's ru_maxrss, so a
    # parent holding the 200 MiB file would be measured as cortex-tfc.
    subprocess.run([sys.executable, os.path.abspath(__file__), "--upload", endpoint, workdir], check=True)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    child = subprocess.Popen([binary, "check", "cortex.yaml", "--s3-endpoint", endpoint,
                              "--s3-timeout", "60s", "--concurrency", "8"],
                             cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode(errors="replace")
    if code != 0:
        sys.exit(f"check exited {code}:\n{stderr}")
    peak = usage.ru_maxrss / 1024
    verdict = "meets" if peak < TARGET_MB else "MISSES"
    print(f"{MODELS} x {SIZE // 1024 // 1024} MiB saved_model.pb in S3 mode: peak RSS {peak:.0f} MB "
          f"({verdict} the < {TARGET_MB} MB target)")
    if peak >= TARGET_MB:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "--upload":
        upload(sys.argv[2], sys.argv[3])
    else:
        main()
