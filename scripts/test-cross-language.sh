#!/usr/bin/env bash
# Issue #7 across languages: Python, Node and C processes share one token
# through Redis (one server, one TLS server trusted through ca_certs, a
# Cluster, a Sentinel set) and through the file store (tests/cross/run.py).
# Builds what it needs: the C library and the dev server, the Node addon, and
# the Python package in python/.venv (quick after test-c.sh, test-node.sh and
# test-python.sh); installs gcc, redis-server and openssl if missing.
. "$(dirname "$0")/lib.sh"
apt_install gcc libc6-dev
need_tls_redis
command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
c_build
node_build
python=${M2M_PYTHON:-}
if [ -z "$python" ]; then
  python_build
  python=$PY
fi
gcc -std=c11 -Wall -Wextra -Werror -I include tests/cross/worker.c -o "$TARGET_DIR/debug/cross-worker" \
  -L"$TARGET_DIR/debug" -lm2m_auth -lpthread -Wl,-rpath,"$TARGET_DIR/debug"
python3 tests/cross/run.py "$TARGET_DIR/debug/cross-worker" "$python"
