#!/usr/bin/env bash
# Interop tests against a real authorization server: oidc-provider (pinned in
# tests/interop/package-lock.json), started on 127.0.0.1 by the tests
# themselves (core/tests/interop.rs). Installs it with `npm ci`, then runs the
# tests, which a plain `cargo test` lists as ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "test-interop: node and npm are required (Node.js >= 20)" >&2
  exit 1
fi
dir=tests/interop
# npm ci reinstalls from the lock file; skip it when node_modules is newer.
if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
   [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund)
fi
"$CARGO" test -p m2m-auth --test interop -- --include-ignored
