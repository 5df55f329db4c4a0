#!/usr/bin/env bash
# Reproducer of a chaos finding, now fixed (docs/design.md §5): a process
# throttled by a 429 it met while Redis was out of its reach kept failing
# with `throttled` after Redis was back, although another process had stored
# a fresh token there. Step 3 now shows B served A's token, and 2 token
# requests in all. Prints each step's result.
. "$(dirname "$0")/../../scripts/lib.sh"
. "$ROOT/tests/fleet/fleet.sh"
"$CARGO" build -q --release -p m2m-auth --example throttle_repro
build_devserver --release
fleet_start 30
start_redis
FWD_PORT="$(free_port)"
python3 "$ROOT/tests/fleet/forward.py" "$FWD_PORT" "$REDIS_PORT" >"$FLEET_WORK/fwd.out" &
FWD_PID=$!
on_exit "kill $FWD_PID 2>/dev/null; wait $FWD_PID 2>/dev/null"
for _ in $(seq 100); do grep -qs ready "$FLEET_WORK/fwd.out" && break; sleep 0.05; done
# Two fifos, not a coproc: lib.sh's dev server is this shell's one coproc.
mkfifo "$FLEET_WORK/in" "$FLEET_WORK/out"
"$TARGET_DIR/release/examples/throttle_repro" "$DEV_TOKEN_URL" fleet \
  "$REDIS_URL" "redis://127.0.0.1:$FWD_PORT/0" <"$FLEET_WORK/in" >"$FLEET_WORK/out" &
FLEET_PIDS+=($!)
exec 7>"$FLEET_WORK/in" 8<"$FLEET_WORK/out"
call() { echo "$1" >&7; IFS= read -r line <&8; echo "   $line"; }
echo "1. B's way to Redis cut; the server answers 429 Retry-After: 30 once; B calls"
kill -USR1 "$FWD_PID"
ctl POST faults '{"steps":[{"status":429,"headers":{"Retry-After":"30"},"json":{"error":"too_many_requests"}}]}' >/dev/null
call B
echo "2. B's way back; A calls (the server is fine now): a token, stored in Redis"
kill -USR2 "$FWD_PID"
sleep 1.5
call A
echo "3. B calls again: Redis holds A's fresh token"
call B
echo "   token requests made: $(token_requests)"
