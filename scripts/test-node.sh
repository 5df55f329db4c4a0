#!/usr/bin/env bash
# Builds and tests the Node package (node/, glue in bindings/node/).
# Installs what it needs on a fresh machine (npm packages from node/package-lock.json,
# the debug addon, the dev server) and is quick when all of that is in place.
# Usage: scripts/test-node.sh [node --test arguments, e.g. a test file]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/node"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need node || ! need npm; then
  if need apt-get && [ "$(id -u)" = 0 ]; then
    echo "test-node: installing Node.js (apt)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "test-node: Node.js 20+ and npm are required" >&2
    exit 1
  fi
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "test-node: Node.js 20+ is required (found $(node --version))" >&2
  exit 1
fi

# npm packages: reinstalled only when package-lock.json changed.
stamp=node_modules/.m2m-auth-lock
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "test-node: npm install (package-lock.json)" >&2
  # `npm install`, not `npm ci`: npm 11 leaves the other platforms' optional
  # packages of @napi-rs/lzma out of the lock file and then refuses `npm ci`.
  # With the lock file present it installs exactly what it pins.
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

# The addon (debug) and the dev server the tests run against; cargo makes
# these no-ops when nothing changed.
npm run --silent build
cargo build -q -p m2m-auth-devserver
export M2M_AUTH_DEVSERVER="${CARGO_TARGET_DIR:-$ROOT/target}/debug/m2m-auth-devserver"

if [ "$#" -eq 0 ]; then
  set -- test/*.test.mjs
fi
exec node --test --test-concurrency=1 "$@"
