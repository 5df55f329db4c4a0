#!/usr/bin/env bash
# Builds the Python package's release artifacts into DIST_DIR (default
# $M2M_AUTH_DIST, else dist/):
#   - the wheel: one abi3 wheel (CPython >= 3.9) for Linux x86_64 glibc,
#     built with cargo's `dist` profile and tagged manylinux_2_17
#     (manylinux2014) so that pip accepts it on any glibc >= 2.17 server;
#     its extension module's debug info (line tables) is split off into
#     DIST_DIR/debug/m2m_auth._native.abi3.so.debug (scripts/release.sh tars
#     it) and the module in the wheel stripped (RECORD rewritten to match);
#   - the sdist, which builds from source (it carries the workspace crates the
#     extension needs; a Rust toolchain is needed to install it).
# It prints `auditwheel show` of the wheel (the tag the wheel really earns)
# and the size of the wheel and of its extension module.
#
# The machine's own glibc is newer than the tag, so the extension is linked
# by zig (maturin --zig) against glibc 2.17's symbols; zig comes from the
# `ziglang` PyPI package. Installs maturin, ziglang and auditwheel into
# python/.venv-build (skipped when they are there). Idempotent: cargo reuses
# its build (in TARGET_DIR/x86_64-unknown-linux-gnu/dist: maturin passes
# --target when zig links, which keeps this build apart from the native one);
# the previous m2m_auth wheel and sdist in DIST_DIR are replaced.
#
# Usage: scripts/package-python.sh [DIST_DIR]
# Environment: PYTHON (the interpreter for the build venv) [python3];
# M2M_AUTH_DIST; CARGO_TARGET_DIR.
. "$(dirname "$0")/lib.sh"
DIST_DIR="$(mkdir -p "${1:-$DIST_DIR}" && cd "${1:-$DIST_DIR}" && pwd)"

# The oldest glibc the wheel runs on. manylinux_2_17 is what maturin's own
# manylinux2014 images build for; anything up to 2_28 satisfies issue #15.
MANYLINUX=2_17
venv="$ROOT/python/.venv-build"
# zig is pinned: its linker and archiver change between releases (zig 0.16's
# `ar` could not create archives: aws/aws-lc-rs#993), and this is the one the
# aws-lc-sys and ring C builds are known to work with.
tools=("maturin>=1.9,<2" "ziglang==0.17.1" "auditwheel>=6")

if [ ! -x "$venv/bin/python" ]; then
  if ! "${PYTHON:-python3}" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    apt_install python3-venv
    "${PYTHON:-python3}" -m venv "$venv"
  fi
fi
if ! "$venv/bin/python" - >/dev/null 2>&1 <<'EOF'
import importlib.metadata as m
m.version("maturin"), m.version("auditwheel")
assert m.version("ziglang") == "0.17.1"
EOF
then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${tools[@]}"
fi
# maturin runs zig as `python -m ziglang` with the python it finds first.
export PATH="$venv/bin:$PATH"

# Exact names: the C tarball (m2m_auth-VERSION-x86_64-linux-gnu.tar.gz) shares the prefix.
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
rm -f "$DIST_DIR"/m2m_auth-"$version"-*.whl "$DIST_DIR/m2m_auth-$version.tar.gz"

echo "== wheel (maturin build --profile dist --zig, manylinux_$MANYLINUX)"
start=$SECONDS
# --strip false: pyproject.toml strips (for builds from source); here the
# debug info is split off below instead.
(cd "$ROOT/python" && maturin build --profile dist --strip false --zig \
  --compatibility "manylinux_$MANYLINUX" --out "$DIST_DIR")
echo "$SCRIPT_NAME: wheel built in $((SECONDS - start)) s"

echo "== sdist (maturin sdist)"
# maturin 1.16 first probes for a Cargo.toml beside pyproject.toml and lets
# cargo print "error: manifest path `Cargo.toml` does not exist"; it then
# uses pyproject.toml's manifest-path, and the sdist is complete (it carries
# the workspace manifest, Cargo.lock, core/ and bindings/python/ with
# manifest-path rewritten; scripts/test-package-python.sh with
# M2M_AUTH_TEST_SDIST=1 builds it).
(cd "$ROOT/python" && maturin sdist --out "$DIST_DIR")

wheel="$(ls "$DIST_DIR"/m2m_auth-"$version"-*.whl)"
sdist="$DIST_DIR/m2m_auth-$version.tar.gz"

echo "== splitting the extension module's debug info off"
unpacked="$(mktemp -d)"
on_exit "rm -rf '$unpacked'"
module="m2m_auth/_native.abi3.so"
"$venv/bin/python" -m zipfile -e "$wheel" "$unpacked"
split_debug "$unpacked/$module" "$DIST_DIR/debug/m2m_auth._native.abi3.so.debug"
# The wheel again with the stripped module and its RECORD line; every other
# member as it was.
"$venv/bin/python" - "$wheel" "$unpacked/$module" "$module" <<'EOF'
import base64, hashlib, os, sys, zipfile
wheel, stripped, name = sys.argv[1:]
data = open(stripped, "rb").read()
digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(wheel + ".tmp", "w", zipfile.ZIP_DEFLATED) as out:
    for info in src.infolist():
        body = data if info.filename == name else src.read(info)
        if info.filename.endswith(".dist-info/RECORD"):
            body = "".join(
                (f"{name},sha256={digest},{len(data)}" if line.split(",")[0] == name else line) + "\n"
                for line in body.decode().splitlines()
            ).encode()
        out.writestr(info, body)
os.replace(wheel + ".tmp", wheel)
EOF
echo "== auditwheel show $(basename "$wheel")"
auditwheel show "$wheel"
"$venv/bin/python" - "$wheel" "$sdist" <<'EOF'
import os, sys, zipfile
wheel, sdist = sys.argv[1:]
so = [i for i in zipfile.ZipFile(wheel).infolist() if i.filename.endswith(".so")]
assert len(so) == 1, so
print(f"package-python: {os.path.basename(wheel)}: {os.path.getsize(wheel)} bytes, "
      f"{so[0].filename}: {so[0].file_size} bytes")
print(f"package-python: {os.path.basename(sdist)}: {os.path.getsize(sdist)} bytes")
EOF
