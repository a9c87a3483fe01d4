# Sourced by scripts/test and bench/run: installs moto into a venv (once)
# and starts `moto_server` on a free loopback port, stopped on exit.
MOTO_VERSION=5.2.1

start_s3_server() {
    local venv=target/test-venv
    mkdir -p target
    if ! "$venv/bin/python" -c "import moto; assert moto.__version__ == '$MOTO_VERSION'" 2>/dev/null; then
        echo "== installing moto[server]==$MOTO_VERSION into $venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    fi
    local port
    port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > target/moto.log 2>&1 &
    S3_SERVER_PID=$!
    trap 'kill "$S3_SERVER_PID" 2>/dev/null || true' EXIT
    "$venv/bin/python" - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("the S3 test server did not start; see target/moto.log")
PY
    export CORTEX_TFC_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    echo "== S3 test server (moto $MOTO_VERSION) at $CORTEX_TFC_TEST_S3_ENDPOINT" >&2
}
