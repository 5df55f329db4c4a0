# Shell helpers shared by scripts/test-c.sh and scripts/demo-c.sh (sourced).

# Installs the Debian packages given as COMMAND="PACKAGE..." arguments
# whose command (or pkg-config module, written pc:NAME) is missing; runs
# apt-get update first, and only when something is missing.
ensure_packages() {
  local missing=() spec what pkgs
  for spec in "$@"; do
    what="${spec%%=*}" pkgs="${spec#*=}"
    case "$what" in
      pc:*) { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "${what#pc:}"; } || missing+=($pkgs) ;;
      *) command -v "$what" >/dev/null 2>&1 || missing+=($pkgs) ;;
    esac
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  echo "installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The C library's build (debug unless M2M_C_PROFILE=release) and the dev
# server; both with cargo, only these crates.
c_build() {
  local profile_flag=()
  [ "${M2M_C_PROFILE:-debug}" = release ] && profile_flag=(--release)
  cargo build -q "${profile_flag[@]}" -p m2m-auth-c
  cargo build -q -p m2m-auth-devserver
}

# Starts the dev server (extra arguments are passed on). Sets DEV_URL,
# DEV_TOKEN_URL, DEV_API_URL and DEV_PID. It exits when its standard input
# closes: stop_devserver, or this shell's exit.
start_devserver() {
  local bin="${M2M_DEVSERVER:-$ROOT/target/debug/m2m-auth-devserver}"
  coproc DEVSERVER { exec "$bin" --exit-on-stdin-eof "$@"; }
  DEV_PID=$DEVSERVER_PID
  local line=""
  if ! IFS= read -r -t 30 line <&"${DEVSERVER[0]}"; then
    echo "the dev server did not start" >&2
    return 1
  fi
  DEV_URL="$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' <<<"$line")"
  DEV_TOKEN_URL="$(sed -n 's/.*"token_url":"\([^"]*\)".*/\1/p' <<<"$line")"
  DEV_API_URL="$(sed -n 's/.*"api_url":"\([^"]*\)".*/\1/p' <<<"$line")"
  [ -n "$DEV_URL" ]
}

stop_devserver() {
  if [ -n "${DEV_PID:-}" ]; then
    local fd="${DEVSERVER[1]:-}"
    [ -n "$fd" ] && eval "exec ${fd}>&-"
    wait "$DEV_PID" 2>/dev/null || true
    DEV_PID=""
  fi
}
