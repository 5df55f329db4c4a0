#!/usr/bin/env bash
# Builds, installs and tests the Python package (python/): installs what it
# needs into python/.venv (maturin, pytest, httpx, requests, mypy,
# types-requests) and oidc-provider (tests/interop, if npm is there), builds
# the package from source with pip (a debug build of bindings/python), then
# runs mypy.stubtest (python/m2m_auth/_native.pyi against the module), mypy
# --strict on the package, and pytest (python/tests) against the dev/fault
# server and oidc-provider. The benchmark is python/bench/run.sh.
#
# Idempotent: a second run reuses the venv and cargo's incremental build.
# Environment: PYTHON (the interpreter for the venv) [python3];
# M2M_AUTH_PYTHON_PROFILE (cargo profile of the build) [dev];
# PYTEST_ADDOPTS as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=python/.venv
py=$venv/bin/python
export PATH="$root/$venv/bin:$PATH"
python=${PYTHON:-python3}

# The dev/fault server the tests run against.
cargo build -q -p m2m-auth-devserver
export M2M_AUTH_DEVSERVER="${M2M_AUTH_DEVSERVER:-$root/target/debug/m2m-auth-devserver}"

# oidc-provider for the interop tests (python/tests/test_interop.py), as
# scripts/test-interop.sh installs it; without Node.js those tests say so.
interop=tests/interop
if command -v npm >/dev/null 2>&1 &&
   { [ ! -f "$interop/node_modules/.package-lock.json" ] ||
     [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; }; then
  (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -x "$py" ]; then
  "$python" -m venv "$venv"
fi
# The test tools, pinned loosely; skipped when already installed.
reqs=(maturin pytest httpx requests mypy types-requests)
if ! "$py" -c 'import importlib.metadata as m, sys; [m.version(p) for p in sys.argv[1:]]' \
  "${reqs[@]}" >/dev/null 2>&1; then
  "$py" -m pip install -q --disable-pip-version-check --upgrade pip
  "$py" -m pip install -q --disable-pip-version-check "${reqs[@]}"
fi

# Build and install the package from source (no build isolation: maturin is
# already in the venv, and cargo reuses its incremental build).
MATURIN_PEP517_ARGS="--profile ${M2M_AUTH_PYTHON_PROFILE:-dev}" \
  "$py" -m pip install -q --disable-pip-version-check --no-build-isolation \
  --force-reinstall --no-deps ./python

# From the repository root (not python/): the installed package is tested.
echo "== mypy.stubtest m2m_auth"
"$py" -m mypy.stubtest m2m_auth --concise
echo "== mypy --strict (installed package)"
"$py" -m mypy --strict --no-error-summary -p m2m_auth
echo "== pytest python/tests"
timeout 900 "$venv/bin/pytest" -q -c python/pyproject.toml --rootdir python python/tests "$@"
