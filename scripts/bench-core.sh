#!/usr/bin/env bash
# Prints the core engine's benchmark figures (hot path and cold path vs wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p m2m-auth-devserver
M2M_DEVSERVER_BIN="$PWD/target/release/m2m-auth-devserver" cargo bench -q -p m2m-auth --bench hot_path
