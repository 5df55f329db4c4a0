#!/usr/bin/env bash
# Prints the core engine's benchmark figures: the hot path, the shared Redis
# store, the cold path next to wrk, and the cold path per client
# authentication method.
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
start_redis
build_devserver --release
M2M_AUTH_DEVSERVER="$TARGET_DIR/release/m2m-auth-devserver" \
M2M_BENCH_REDIS_URL="$REDIS_URL" \
  "$CARGO" bench -q -p m2m-auth --bench hot_path
# The cold path per client authentication method (assertion signing included).
M2M_AUTH_DEVSERVER="$TARGET_DIR/release/m2m-auth-devserver" \
  "$CARGO" bench -q -p m2m-auth --bench client_auth
