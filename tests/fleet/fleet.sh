# shellcheck shell=bash
# What scripts/chaos.sh and scripts/soak.sh share; sourced after scripts/lib.sh.
#
#   fleet_build               the load driver and the dev server (release):
#                             FLEET_DRIVER, M2M_AUTH_DEVSERVER
#   fleet_start LIFETIME      FLEET_WORK (a temp dir), the dev server, the
#                             client "fleet" with LIFETIME-second tokens
#                             (FLEET_SECRET, exported to the drivers)
#   ctl METHOD PATH [JSON]    a control API call (devserver/PROTOCOL.md)
#   token_requests            the dev server's token request count
#   now_ms                    the real clock, Unix ms
#   start_driver OUT ARG...   one driver process in the background (its pid
#                             appended to FLEET_PIDS, stopped on exit), run
#                             through the command in FLEET_WRAP if set (an
#                             `env VAR=...` that execs keeps the pid)

FLEET_PIDS=()
FLEET_WRAP=()

fleet_build() {
  "$CARGO" build -q --release -p m2m-auth --example fleet_driver
  FLEET_DRIVER="$TARGET_DIR/release/examples/fleet_driver"
  build_devserver --release
}

fleet_start() {
  FLEET_WORK="$(mktemp -d)"
  on_exit "rm -rf '$FLEET_WORK'"
  on_exit 'for p in "${FLEET_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done'
  start_devserver
  # The control token goes to curl in a file, never on a command line.
  (umask 077 && printf 'Authorization: Bearer %s\n' "$DEV_CONTROL_TOKEN" >"$FLEET_WORK/ctl-auth")
  FLEET_SECRET="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  export M2M_AUTH_CLIENT_SECRET="$FLEET_SECRET"
  fleet_client "$1" ''
}

# fleet_client LIFETIME EXTRA_JSON: (re)registers the client "fleet".
fleet_client() {
  ctl POST clients "{\"client_id\":\"fleet\",\"client_secret\":\"$FLEET_SECRET\",\"token_lifetime\":$1$2}" >/dev/null
}

# The body goes on stdin: the client secret is in some, never on a command line.
ctl() {
  printf %s "${3:-}" | curl -sS --fail -X "$1" -H @"$FLEET_WORK/ctl-auth" \
    -H 'Content-Type: application/json' ${3:+--data-binary @-} "$DEV_CONTROL_URL/$2"
}

token_requests() {
  ctl GET stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])'
}

now_ms() {
  python3 -c 'import time; print(int(time.time() * 1000))'
}

start_driver() {
  local out="$1"
  shift
  "${FLEET_WRAP[@]}" "$FLEET_DRIVER" --token-url "$DEV_TOKEN_URL" --client-id fleet --out "$out" \
    --anchor-ms "$(now_ms)" "$@" &
  FLEET_PIDS+=($!)
}
