#!/usr/bin/env bash
# Builds, installs and tests the Python package (python/): installs what it
# needs into python/.venv (maturin, pytest, httpx, requests, mypy,
# types-requests; fastapi, flask, uvicorn for the server adapters; pyjwt and
# cryptography, the independent JOSE library the DPoP tests check proofs with;
# opentelemetry-api and -sdk for the telemetry tests' in-memory exporters) and
# oidc-provider (tests/interop, if npm is there), builds
# the package from source with pip (a debug build of bindings/python), then
# runs mypy.stubtest (python/m2m_auth/_native.pyi against the module), mypy
# --strict on the package, and pytest (python/tests) against the dev/fault
# server and oidc-provider. The benchmark is python/bench/run.sh.
#
# Idempotent: a second run reuses the venv and cargo's incremental build.
# Environment: PYTHON (the interpreter for the venv) [python3];
# M2M_AUTH_PYTHON_PROFILE (cargo profile of the build) [dev];
# M2M_AUTH_DEVSERVER (the dev server binary) [the debug build];
# PYTEST_ADDOPTS as usual.
. "$(dirname "$0")/lib.sh"
venv=python/.venv
export PATH="$ROOT/$venv/bin:$PATH"

# The dev/fault server the tests run against.
build_devserver

# A TLS Redis for python/tests/test_redis_tls.py (tests/cross/redis_topology.py
# makes its CA with openssl).
need_tls_redis

# oidc-provider for the interop tests (python/tests/test_interop.py), as
# scripts/test-interop.sh installs it; without Node.js those tests say so.
if command -v npm >/dev/null 2>&1; then
  interop_install
fi

# The test tools (pinned loosely; skipped when already installed), then the
# package built from source and installed into the venv.
python_build pytest httpx requests mypy types-requests fastapi flask uvicorn pyjwt cryptography opentelemetry-api opentelemetry-sdk

# From the repository root (not python/): the installed package is tested.
echo "== mypy.stubtest m2m_auth"
"$PY" -m mypy.stubtest m2m_auth --concise
echo "== mypy --strict (installed package)"
"$PY" -m mypy --strict --no-error-summary -p m2m_auth
echo "== pytest python/tests"
timeout 900 "$venv/bin/pytest" -q -c python/pyproject.toml --rootdir python python/tests "$@"
