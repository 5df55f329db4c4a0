#!/usr/bin/env bash
# The conformance vectors again, with each shared store behind the process
# cache (issue #7: the same contract with every store).
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d)
on_exit 'rm -rf "$dir"'
start_redis
for cache in "file:$dir" "$REDIS_URL"; do
  echo "== conformance vectors with cache=$cache"
  M2M_AUTH_CONFORMANCE_CACHE="$cache" "$CARGO" test -q -p m2m-auth --test conformance
done
