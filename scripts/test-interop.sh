#!/usr/bin/env bash
# Interop tests against a real authorization server: oidc-provider (pinned in
# tests/interop/package-lock.json), started on 127.0.0.1 by the tests
# themselves (core/tests/interop.rs, core/tests/interop_mtls.rs for its
# mutual-TLS listener; tests/interop/check-mtls.sh checks that listener with
# curl alone). Installs it with `npm ci` (and Node.js,
# if missing), then runs the tests, which a plain `cargo test` lists as ignored.
. "$(dirname "$0")/lib.sh"
ensure_node
interop_install
command -v curl >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || apt_install curl openssl
"$CARGO" test -p m2m-auth --test interop --test interop_mtls --test interop_dpop -- --include-ignored
# Its mutual-TLS listener, checked with curl and openssl alone (each TLS
# client method, refused certificates, certificate-bound tokens).
tests/interop/check-mtls.sh
