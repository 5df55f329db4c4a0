#!/usr/bin/env bash
# Builds every artifact a user installs into DIST_DIR (default dist/,
# env M2M_AUTH_DIST), each with cargo's `dist` profile, then writes
# DIST_DIR/SHA256SUMS:
#   Python   m2m_auth-V-cp39-abi3-manylinux_2_28_x86_64.whl, m2m_auth-V.tar.gz
#            (scripts/package-python.sh)
#   Node     m2m-auth-V.tgz, m2m-auth-linux-x64-gnu-V.tgz (scripts/package-node.sh)
#   C        m2m_auth-V-x86_64-linux-gnu.tar.gz: lib/ (libm2m_auth.so.V with
#            soname libm2m_auth.so.0, libm2m_auth.a, pkgconfig/, cmake/),
#            include/ (scripts/package-c.sh)
#   Rust     m2m-auth-V.crate, m2m-auth-devserver-V.crate, m2m-auth-cli-V.crate
#            (`cargo package`, each verified by building it against the
#            others' packaged sources), and the CLI binary
#            m2m-auth-cli-V-x86_64-linux-gnu.tar.gz
#   Debug    m2m-auth-debug-V-x86_64-linux-gnu.tar.gz: the debug info (line
#            tables) split off each shipped binary, one FILE.debug per binary
#            (the Python module, the Node addon, libm2m_auth.so.V, the CLI);
#            each binary names its file (.gnu_debuglink): put it beside the
#            binary for file:line in gdb, perf or a backtrace
# One version for all of them (scripts/check-versions.py runs first).
# Only this machine's platform (Linux x64 glibc) is built here; the others
# come from .github/workflows/release.yml.
#
# Usage: scripts/release.sh [DIST_DIR]
. "$(dirname "$0")/lib.sh"
dist="$(mkdir -p "${1:-$DIST_DIR}" && cd "${1:-$DIST_DIR}" && pwd)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
triple=x86_64-linux-gnu
started=$SECONDS

step() { echo "== release: $*" >&2; }

step "versions"
python3 scripts/check-versions.py >/dev/null || python3 scripts/check-versions.py

# Artifacts of this version are rebuilt; files of other versions are left.
rm -f "$dist"/*"$version"* "$dist/SHA256SUMS"
rm -rf "$dist/debug"

step "Python"
scripts/package-python.sh "$dist"
step "Node"
scripts/package-node.sh "$dist"
step "C"
scripts/package-c.sh "$dist"

step "Rust crates"
# --allow-dirty only for a developer's uncommitted tree; CI builds a clean clone.
"$CARGO" package -q ${M2M_AUTH_RELEASE_ALLOW_DIRTY:+--allow-dirty} \
  -p m2m-auth -p m2m-auth-devserver -p m2m-auth-cli
cp "$TARGET_DIR/package/m2m-auth-$version.crate" \
  "$TARGET_DIR/package/m2m-auth-devserver-$version.crate" \
  "$TARGET_DIR/package/m2m-auth-cli-$version.crate" "$dist/"

step "the CLI binary"
"$CARGO" build -q --profile dist -p m2m-auth-cli
stage="$(mktemp -d)"
on_exit "rm -rf '$stage'"
mkdir -p "$stage/m2m-auth-cli-$version-$triple"
cp "$TARGET_DIR/dist/m2m-auth" README.md CHANGELOG.md "$stage/m2m-auth-cli-$version-$triple/"
split_debug "$stage/m2m-auth-cli-$version-$triple/m2m-auth" "$dist/debug/m2m-auth.debug"
tar -C "$stage" -czf "$dist/m2m-auth-cli-$version-$triple.tar.gz" "m2m-auth-cli-$version-$triple"

step "debug info"
mtime="$(git log -1 --format=%ct 2>/dev/null || date +%s)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
  -C "$dist/debug" -cf - $(ls "$dist/debug") | gzip -n >"$dist/m2m-auth-debug-$version-$triple.tar.gz"
rm -rf "$dist/debug"

(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -name "*$version*" -printf '%P\n' |
  sort | xargs sha256sum >SHA256SUMS)
step "done in $((SECONDS - started)) s: $dist"
(cd "$dist" && while read -r _ f; do
  printf '  %-58s %8s KiB\n' "$f" "$(($(stat -c %s "$f") / 1024))"
done <SHA256SUMS) >&2
