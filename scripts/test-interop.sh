#!/usr/bin/env bash
# Interop tests against a real authorization server: oidc-provider (pinned in
# tests/interop/package-lock.json), started on 127.0.0.1 by the tests
# themselves (core/tests/interop.rs). Installs it with `npm ci` (and Node.js,
# if missing), then runs the tests, which a plain `cargo test` lists as ignored.
. "$(dirname "$0")/lib.sh"
ensure_node
interop_install
"$CARGO" test -p m2m-auth --test interop -- --include-ignored
