#!/usr/bin/env bash
# Runs python/bench/bench.py and verify.py: a release build of the package and
# the peers (httpx-auth, Authlib, requests-oauth2client; PyJWT, joserfc for the
# verifier) in python/bench/.venv, the
# release dev server, and wrk (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
venv=python/bench/.venv
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
export PATH="$root/$venv/bin:$PATH"
peers=(maturin httpx requests httpx-auth authlib requests-oauth2client pyjwt cryptography joserfc)
if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; [m.version(p) for p in sys.argv[1:]]' \
  "${peers[@]}" >/dev/null 2>&1; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${peers[@]}"
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || true
cargo build --release -q -p m2m-auth-devserver
MATURIN_PEP517_ARGS="--profile release" "$venv/bin/python" -m pip install -q --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps ./python
cd /  # the installed package, not python/m2m_auth
M2M_AUTH_DEVSERVER="$root/target/release/m2m-auth-devserver" "$root/$venv/bin/python" "$root/python/bench/bench.py"
echo
"$root/$venv/bin/python" "$root/python/bench/verify.py"
