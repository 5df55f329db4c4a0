#!/usr/bin/env bash
# Issue #7 across languages: Python, Node and C processes share one token
# through Redis and through the file store (tests/cross/run.py). Runs after
# test-c.sh, test-python.sh and test-node.sh, which build and install the
# three packages.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
cargo build -q -p m2m-auth-devserver -p m2m-auth-c
target=${CARGO_TARGET_DIR:-$ROOT/target}
gcc -std=c11 -Wall -Wextra -Werror -I include tests/cross/worker.c -o "$target/debug/cross-worker" \
  -L"$target/debug" -lm2m_auth -lpthread -Wl,-rpath,"$target/debug"
python=${M2M_PYTHON:-$ROOT/python/.venv/bin/python}
python3 tests/cross/run.py "$target/debug/m2m-auth-devserver" "$target/debug/cross-worker" "$python"
