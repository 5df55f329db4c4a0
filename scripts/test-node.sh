#!/usr/bin/env bash
# Builds and tests the Node package (node/, glue in bindings/node/).
# Installs what it needs on a fresh machine (Node.js if there is none, npm
# packages from node/package-lock.json, the debug addon, the dev server) and
# is quick when all of that is in place.
# Usage: scripts/test-node.sh [node --test arguments, e.g. a test file]
. "$(dirname "$0")/lib.sh"

# The addon (debug) and the dev server the tests run against; cargo makes
# these no-ops when nothing changed.
node_build
build_devserver
# A TLS Redis for test/redis-tls.test.mjs (tests/cross/redis_topology.py makes
# its CA with openssl).
need_tls_redis

cd "$ROOT/node"
if [ "$#" -eq 0 ]; then
  set -- test/*.test.mjs
fi
# A test that hangs is cancelled and named after 3 minutes (the slowest
# passes in seconds), and the whole run is bounded, so a hang fails the run
# with its name instead of holding CI until its own limit.
exec timeout --kill-after=10 1500 node --test --test-concurrency=1 --test-timeout=180000 "$@"
