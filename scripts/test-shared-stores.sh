#!/usr/bin/env bash
# The conformance vectors again, with each shared store behind the process
# cache (issue #7: the same contract with every store).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for cache in "file:$dir" "redis://127.0.0.1:$port/0"; do
  echo "== conformance vectors with cache=$cache"
  M2M_AUTH_CONFORMANCE_CACHE="$cache" cargo test -q -p m2m-auth --test conformance
done
