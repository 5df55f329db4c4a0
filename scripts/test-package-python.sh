#!/usr/bin/env bash
# Installs the Python package from DIST_DIR (default $M2M_AUTH_DIST, else
# dist/; scripts/package-python.sh builds it) as a user would, with no Rust
# toolchain on PATH, and tests it:
#   - the wheel: `auditwheel show` must give a manylinux tag no newer than
#     manylinux_2_28, and the wheel must be the cp39-abi3 one;
#   - a fresh venv (under mktemp -d, removed on exit) installs the wheel with
#     pip, offline (--no-index: the package has no dependencies); the install
#     is timed;
#   - `m2m_auth.__version__` is the workspace version (Cargo.toml), and the
#     package requires nothing but its extras (httpx, requests, fastapi, flask);
#   - python/README.md's quickstart runs, as written, against the dev server
#     (tests/packages/python/quickstart.py);
#   - `mypy --strict` accepts tests/packages/python/typed_usage.py, which then
#     runs against the dev server;
#   - with M2M_AUTH_TEST_SDIST=1, the sdist too: a second fresh venv builds it
#     from source with pip (cargo on PATH for that step; it takes minutes
#     cold, hence opt-in), then the version check and the quickstart again.
# Prints the figures: wheel name and size, extension module size, auditwheel
# tag, install time in ms.
#
# Installs: the dev server (cargo build: test infrastructure, before PATH
# loses cargo), and into the temporary venv mypy and auditwheel from PyPI
# (after the timed install of the wheel).
# Usage: scripts/test-package-python.sh [DIST_DIR]
# Environment: PYTHON (the interpreter for the venvs) [python3];
# M2M_AUTH_DIST; M2M_AUTH_TEST_SDIST [unset]; M2M_AUTH_DEVSERVER.
. "$(dirname "$0")/lib.sh"
DIST_DIR="${1:-$DIST_DIR}"
script_start=$SECONDS

shopt -s nullglob
# Exact names: the C tarball (m2m_auth-VERSION-x86_64-linux-gnu.tar.gz) shares the prefix.
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
wheels=("$DIST_DIR"/m2m_auth-"$version"-*.whl)
sdists=("$DIST_DIR/m2m_auth-$version".tar[.]gz) # a pattern, so that nullglob drops it when missing
shopt -u nullglob
if [ "${#wheels[@]}" -ne 1 ] || [ "${#sdists[@]}" -ne 1 ]; then
  echo "$SCRIPT_NAME: want one m2m_auth wheel and one sdist in $DIST_DIR" \
    "(found ${#wheels[@]} and ${#sdists[@]}): run scripts/package-python.sh" >&2
  exit 1
fi
wheel="$(cd "$(dirname "${wheels[0]}")" && pwd)/$(basename "${wheels[0]}")"
sdist="$(cd "$(dirname "${sdists[0]}")" && pwd)/$(basename "${sdists[0]}")"
case "$(basename "$wheel")" in
  "m2m_auth-$version-cp39-abi3-"*manylinux*_x86_64.whl) ;;
  *)
    echo "$SCRIPT_NAME: $(basename "$wheel") is not the cp39-abi3 manylinux wheel of $version" >&2
    exit 1
    ;;
esac

# The dev server (built with cargo: test infrastructure, not the package).
build_devserver
start_devserver
export DEV_URL DEV_API_URL DEV_CONTROL_URL DEV_CONTROL_TOKEN
export DEV_ISSUER="$DEV_URL"

tmp="$(mktemp -d)"
on_exit "rm -rf '$tmp'"
user_path="$(path_without_rust)"

# new_venv DIR: a venv made by $PYTHON (python3-venv installed if needed).
new_venv() {
  if ! PATH="$user_path" "${PYTHON:-python3}" -m venv "$1" 2>/dev/null; then
    rm -rf "$1"
    apt_install python3-venv
    PATH="$user_path" "${PYTHON:-python3}" -m venv "$1"
  fi
}
# ms: milliseconds since the epoch.
ms() { date +%s%3N; }

echo "== the wheel: $(basename "$wheel")"
venv="$tmp/venv"
new_venv "$venv"
py="$venv/bin/python"
start=$(ms)
PATH="$user_path" "$py" -m pip install -q --disable-pip-version-check --no-index "$wheel"
install_ms=$(($(ms) - start))
# The tools of the checks, after the timed install (not part of what a user installs).
PATH="$user_path" "$py" -m pip install -q --disable-pip-version-check "mypy>=1.10" "auditwheel>=6"

echo "== auditwheel show"
audit="$(cd "$tmp" && PATH="$user_path" "$venv/bin/auditwheel" show "$wheel")"
echo "$audit"
tag="$(tr '\n' ' ' <<<"$audit" | sed -n 's/.*consistent with the following platform tag: *"\([^"]*\)".*/\1/p')"
if ! [[ "$tag" =~ ^manylinux_2_([0-9]+)_x86_64$ ]] || [ "${BASH_REMATCH[1]}" -gt 28 ]; then
  echo "$SCRIPT_NAME: the wheel's platform tag is '${tag:-none}': want manylinux_2_28 or older" >&2
  exit 1
fi

# check_import PY: the installed package imports (with no Rust on PATH, from
# outside the source tree) and has the workspace version.
check_import() {
  local got
  got="$(cd "$tmp" && PATH="$user_path" "$1" -c 'import m2m_auth; print(m2m_auth.__version__)')"
  if [ "$got" != "$version" ]; then
    echo "$SCRIPT_NAME: m2m_auth.__version__ is '$got', the workspace's is $version" >&2
    return 1
  fi
  echo "m2m_auth.__version__ = $got"
}

echo "== import"
check_import "$py"
# The adapters' libraries are extras: the wheel alone requires nothing.
(cd "$tmp" && "$py" - <<'EOF'
import importlib.metadata as m
extras = set(m.metadata("m2m-auth").get_all("Provides-Extra") or [])
unconditional = [r for r in m.requires("m2m-auth") or [] if "extra ==" not in r]
assert {"httpx", "requests", "fastapi", "flask"} <= extras, extras
assert not unconditional, f"unconditional dependencies: {unconditional}"
print("extras:", " ".join(sorted(extras)), "(no other dependency)")
EOF
)
site="$(cd "$tmp" && "$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

echo "== python/README.md quickstart"
(cd "$tmp" && PATH="$user_path" "$py" "$ROOT/tests/packages/python/quickstart.py" \
  "$ROOT/python/README.md" "$site/m2m_auth")

echo "== mypy --strict tests/packages/python/typed_usage.py"
# From the temporary directory, with its own cache: mypy sees the installed
# package only, and writes nothing into the source tree.
(cd "$tmp" && PATH="$user_path" "$venv/bin/mypy" --strict --cache-dir "$tmp/mypy-cache" \
  "$ROOT/tests/packages/python/typed_usage.py")
(cd "$tmp" && PATH="$user_path" "$py" "$ROOT/tests/packages/python/typed_usage.py")

sdist_note="skipped (M2M_AUTH_TEST_SDIST=1 builds it from source)"
if [ -n "${M2M_AUTH_TEST_SDIST:-}" ]; then
  echo "== the sdist, built from source: $(basename "$sdist")"
  sdist_venv="$tmp/venv-sdist"
  new_venv "$sdist_venv"
  start=$SECONDS
  # cargo stays on PATH here: building from source is the point. pip fetches
  # maturin (pyproject.toml's build-system) into its isolated build env.
  (cd "$tmp" && "$sdist_venv/bin/python" -m pip install -q --disable-pip-version-check "$sdist")
  sdist_note="built and installed in $((SECONDS - start)) s"
  check_import "$sdist_venv/bin/python"
  sdist_site="$(cd "$tmp" && "$sdist_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  (cd "$tmp" && PATH="$user_path" "$sdist_venv/bin/python" "$ROOT/tests/packages/python/quickstart.py" \
    "$ROOT/python/README.md" "$sdist_site/m2m_auth")
fi

so_bytes="$(stat -c %s "$site"/m2m_auth/_native*.so)"
echo "== figures"
echo "wheel: $(basename "$wheel"), $(stat -c %s "$wheel") bytes"
echo "extension module: $(basename "$site"/m2m_auth/_native*.so), $so_bytes bytes"
echo "sdist: $(basename "$sdist"), $(stat -c %s "$sdist") bytes; $sdist_note"
echo "auditwheel: consistent with $tag"
echo "pip install (wheel, offline): $install_ms ms"
echo "$SCRIPT_NAME: ok in $((SECONDS - script_start)) s"
