#!/usr/bin/env bash
# Tests the Node packages in DIST_DIR (argument, else $M2M_AUTH_DIST, else
# dist/; made by scripts/package-node.sh) as a user gets them, with no Rust
# toolchain on PATH, in a fresh npm project under `mktemp -d` (removed on
# exit):
#   - `npm install` of the two tarballs (m2m-auth and this platform's
#     @m2m-auth/<platform>) offline, from an empty npm cache: the package has
#     no runtime dependencies and runs no install scripts;
#   - node/README.md's quickstart, as an ES module and as CommonJS, against
#     the dev server;
#   - `tsc --strict --noEmit` on tests/packages/node/usage.ts (TypeScript,
#     @types/express and @types/node installed from the npm registry);
#   - m2m-auth installed without its platform package: the error names it.
# Prints the tarballs' and the addon's sizes and the install time.
# Installs: Node.js if there is none (ensure_node), the dev server (cargo,
# before PATH loses cargo), TypeScript and types from the registry.
# Env: M2M_AUTH_DIST, CARGO_TARGET_DIR, M2M_AUTH_DEVSERVER.
# Usage: scripts/test-package-node.sh [DIST_DIR]
. "$(dirname "$0")/lib.sh"

# The type check's packages (what a TypeScript Express app would have).
TS_PACKAGES=(typescript@~6.0.3 @types/express@^5 @types/node@^20)

DIST="${1:-$DIST_DIR}"
DIST="$(cd "$DIST" && pwd)"
ensure_node
version="$(node -p 'require("./node/package.json").version')"
key="$(node -p 'require("./node/lib/platform.js").hostKey()')"
root_tgz="$DIST/m2m-auth-$version.tgz"
platform_tgz="$DIST/m2m-auth-$key-$version.tgz"
for f in "$root_tgz" "$platform_tgz"; do
  [ -f "$f" ] || { echo "$SCRIPT_NAME: $f is missing: run scripts/package-node.sh first" >&2; exit 1; }
done

# Test infrastructure, built with cargo while PATH still has it.
build_devserver
start_devserver

PATH="$(path_without_rust)"
export PATH
if command -v cargo >/dev/null 2>&1 || command -v rustc >/dev/null 2>&1; then
  echo "$SCRIPT_NAME: cargo or rustc is still on PATH" >&2
  exit 1
fi

tmp="$(mktemp -d)"
on_exit "rm -rf '$tmp'"
fail() {
  echo "$SCRIPT_NAME: FAIL: $*" >&2
  exit 1
}
new_project() {
  mkdir -p "$1"
  printf '{ "name": "%s", "version": "1.0.0", "private": true, "type": "module" }\n' "$(basename "$1")" >"$1/package.json"
}
ms() {
  date +%s%3N
}
# --offline with an empty cache: any registry request fails, so a passing
# install needed no network. The other platforms' packages, also optional
# dependencies of m2m-auth, are skipped as unavailable (as npm skips those of
# another os/cpu/libc).
offline_install() {
  npm install --offline --cache "$tmp/npm-cache" --no-audit --no-fund "$@"
}

# ---- install -----------------------------------------------------------------
app="$tmp/app"
new_project "$app"
cd "$app"
t0="$(ms)"
offline_install "$platform_tgz" "$root_tgz" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "npm install of the tarballs"; }
install_ms=$(($(ms) - t0))
cat "$tmp/install.log"
if grep -Eiq 'install-scripts|allow-scripts|scripts? (were|was) (not run|skipped)|approve' "$tmp/install.log"; then
  fail "npm install printed an install-scripts warning"
fi
# Exactly the two packages, none of them with an install script.
installed="$(npm ls --all --parseable | sed "s|^$app/\{0,1\}||" | sed '/^$/d' | sort | tr '\n' ' ')"
[ "$installed" = "node_modules/@m2m-auth/$key node_modules/m2m-auth " ] ||
  fail "npm installed more than m2m-auth and @m2m-auth/$key: $installed"
node -e '
  for (const dir of ["m2m-auth", process.argv[1]]) {
    const pkg = require(`./node_modules/${dir}/package.json`);
    const scripts = Object.keys(pkg.scripts || {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s));
    if (scripts.length || Object.keys(pkg.dependencies || {}).length || pkg.gypfile) {
      console.error(`${dir}: install scripts ${scripts}, dependencies ${Object.keys(pkg.dependencies || {})}`);
      process.exit(1);
    }
  }' "@m2m-auth/$key" || fail "a package has install scripts or dependencies"

# ---- the quickstart, ESM and CommonJS ------------------------------------------
node "$ROOT/tests/packages/node/quickstart.mjs" "$ROOT/node/README.md" "$app"
for program in quickstart.mjs quickstart.cjs; do
  out="$(AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-client AUTH0_CLIENT_SECRET=demo-secret \
    API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" node "$program" 2>&1)" ||
    { printf '%s\n' "$out" >&2; fail "$program"; }
  printf '%s: %s\n' "$program" "$(tr '\n' ' ' <<<"$out")"
  grep -q '^Token {' <<<"$out" || fail "$program printed no Token"
  grep -qx '200' <<<"$out" || fail "$program: the API did not answer 200"
  if grep -q 'demo-secret' <<<"$out"; then fail "$program printed the secret"; fi
done

# ---- TypeScript ------------------------------------------------------------------
t1="$(ms)"
npm install --no-audit --no-fund --loglevel=error --save-dev "${TS_PACKAGES[@]}" >/dev/null ||
  fail "npm install ${TS_PACKAGES[*]}"
ts_install_ms=$(($(ms) - t1))
cp "$ROOT/tests/packages/node/usage.ts" "$ROOT/tests/packages/node/tsconfig.json" "$app/"
node_modules/.bin/tsc -p . --strict --noEmit || fail "tsc --strict --noEmit usage.ts"
echo "tsc --strict --noEmit usage.ts: ok ($(node_modules/.bin/tsc --version))"

# ---- without the platform package --------------------------------------------------
bare="$tmp/bare"
new_project "$bare"
cd "$bare"
offline_install "$root_tgz" >/dev/null 2>&1 || fail "npm install of m2m-auth alone"
[ ! -e "node_modules/@m2m-auth/$key" ] || fail "@m2m-auth/$key came from nowhere"
if err="$(node -e 'require("m2m-auth")' 2>&1)"; then fail "m2m-auth loaded without its addon"; fi
grep -qF "npm install @m2m-auth/$key@$version" <<<"$err" ||
  { printf '%s\n' "$err" >&2; fail "the error does not name @m2m-auth/$key"; }
if grep -Eq '^ +at ' <<<"$err"; then printf '%s\n' "$err" >&2; fail "the error has a stack"; fi
echo "without @m2m-auth/$key: $(grep -m1 -o 'm2m-auth: .*' <<<"$err")"

# ---- figures -----------------------------------------------------------------------
addon="$app/node_modules/@m2m-auth/$key/m2m-auth.$key.node"
echo "$SCRIPT_NAME: $(basename "$root_tgz") $(stat -c %s "$root_tgz") bytes"
echo "$SCRIPT_NAME: $(basename "$platform_tgz") $(stat -c %s "$platform_tgz") bytes"
echo "$SCRIPT_NAME: addon m2m-auth.$key.node $(stat -c %s "$addon") bytes"
echo "$SCRIPT_NAME: npm install of the two tarballs: $install_ms ms (offline)"
echo "$SCRIPT_NAME: npm install ${TS_PACKAGES[*]}: $ts_install_ms ms"
echo "$SCRIPT_NAME: ok"
