#!/usr/bin/env bash
# Prints the core engine's benchmark figures: the hot path, the shared Redis
# store, and the cold path next to wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null && command -v redis-server >/dev/null || {
  apt-get update -qq && apt-get install -y -qq wrk redis-server >/dev/null
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true' EXIT
cargo build --release -q -p m2m-auth-devserver
M2M_DEVSERVER_BIN="$PWD/target/release/m2m-auth-devserver" \
M2M_BENCH_REDIS_URL="redis://127.0.0.1:$port/0" \
  cargo bench -q -p m2m-auth --bench hot_path
