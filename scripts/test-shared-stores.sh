#!/usr/bin/env bash
# The conformance vectors again, with each shared store behind the process
# cache (issue #7: the same contract with every store; issue #16: Redis Cluster
# and Sentinel too).
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d)
on_exit 'rm -rf "$dir"'
start_redis
start_redis_topology cluster
start_redis_topology sentinel
for cache in "file:$dir" "$REDIS_URL" "$REDIS_CLUSTER_URL" "$REDIS_SENTINEL_URL"; do
  echo "== conformance vectors with cache=$cache"
  M2M_AUTH_CONFORMANCE_CACHE="$cache" "$CARGO" test -q -p m2m-auth --test conformance
done
