#!/usr/bin/env bash
# Builds the Node packages users install, in the napi-rs layout, into
# DIST_DIR (argument, else $M2M_AUTH_DIST, else dist/):
#
#   m2m-auth-VERSION.tgz                  the `m2m-auth` package (JavaScript,
#                                         types; optionalDependencies on every
#                                         platform package, no install scripts)
#   m2m-auth-linux-x64-gnu-VERSION.tgz    @m2m-auth/linux-x64-gnu: the addon
#                                         for this machine's platform
#
# The addon is built with cargo's `dist` profile (fat LTO, line tables),
# its debug info split off into DIST_DIR/debug/m2m-auth.<platform>.node.debug
# (scripts/release.sh tars it), the stripped addon copied into
# node/npm/<platform>/, then both packages are packed with `npm pack`. Installs node/'s npm packages (npm ci) when needed.
# Env: CARGO_TARGET_DIR (cargo's build directory), M2M_AUTH_DIST,
# M2M_AUTH_NODE_TARGET (a Rust target triple of package.json napi.targets to
# build for instead of this machine, as the CI matrix does).
# Usage: scripts/package-node.sh [DIST_DIR]
. "$(dirname "$0")/lib.sh"

DIST="${1:-$DIST_DIR}"
mkdir -p "$DIST"
DIST="$(cd "$DIST" && pwd)"

node_deps
cd "$ROOT/node"
node scripts/npm-dirs.mjs --check

# The addon for this machine is the cdylib of bindings/node built by cargo
# with the `dist` profile in cargo's own target directory, so it shares its
# dependencies' build with the C library's and the CLI's (`napi build` would
# pass --target and build everything again in a directory of its own); it is
# named as napi-rs's `--platform` names it, m2m-auth.<platform>.node. For
# another target (the CI matrix), `napi build --target` does it. No JS
# binding file (lib/native.js loads the addon) and no generated .d.ts
# (index.d.ts is made from the surface by scripts/types.mjs).
out="$(mktemp -d)"
on_exit "rm -rf '$out'"
if [ -n "${M2M_AUTH_NODE_TARGET:-}" ]; then
  # Another platform's binutils may not read the addon: cargo strips it.
  CARGO_PROFILE_DIST_DEBUG=false CARGO_PROFILE_DIST_STRIP=symbols npx --no-install napi build --profile dist --platform --no-js --dts "$out/addon.d.ts" \
    --target "$M2M_AUTH_NODE_TARGET" --target-dir "$TARGET_DIR" \
    --manifest-path ../bindings/node/Cargo.toml --package-json-path package.json --output-dir "$out"
else
  "$CARGO" build -q --profile dist -p m2m-auth-node
  host="$(node -p 'require("./lib/platform").hostKey()')"
  cp "$TARGET_DIR/dist/libm2m_auth_node.so" "$out/m2m-auth.$host.node"
  split_debug "$out/m2m-auth.$host.node" "$DIST/debug/m2m-auth.$host.node.debug"
fi
addon="$(find "$out" -maxdepth 1 -name 'm2m-auth.*.node' | head -n1)"
[ -n "$addon" ] || { echo "$SCRIPT_NAME: napi build made no m2m-auth.<platform>.node" >&2; exit 1; }
key="$(basename "$addon" .node)"
key="${key#m2m-auth.}"
[ -f "npm/$key/package.json" ] || {
  echo "$SCRIPT_NAME: $key is not a platform of package.json napi.targets (node/npm/$key)" >&2
  exit 1
}
cp "$addon" "npm/$key/"

# The root package as published: a copy with the optional dependencies
# (node/package.json has none; see scripts/npm-dirs.mjs).
stage="$(mktemp -d)"
on_exit "rm -rf '$stage'"
node scripts/npm-dirs.mjs --stage "$stage/m2m-auth"

pack() {
  npm pack --silent --pack-destination "$DIST" "$1" >/dev/null
}
pack "$stage/m2m-auth"
pack "./npm/$key"

version="$(node -p 'require("./package.json").version')"
for f in "m2m-auth-$version.tgz" "m2m-auth-$key-$version.tgz"; do
  [ -f "$DIST/$f" ] || { echo "$SCRIPT_NAME: npm pack made no $f" >&2; exit 1; }
done
echo "$SCRIPT_NAME: addon $(stat -c %s "npm/$key/m2m-auth.$key.node") bytes (npm/$key/m2m-auth.$key.node)"
echo "$SCRIPT_NAME: $DIST/m2m-auth-$version.tgz $(stat -c %s "$DIST/m2m-auth-$version.tgz") bytes"
echo "$SCRIPT_NAME: $DIST/m2m-auth-$key-$version.tgz $(stat -c %s "$DIST/m2m-auth-$key-$version.tgz") bytes"
