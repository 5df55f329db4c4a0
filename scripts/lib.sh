# shellcheck shell=bash
# What the scripts in scripts/ share. Source it first thing:
#
#   . "$(dirname "$0")/lib.sh"
#
# It sets `set -euo pipefail`, ROOT (the repository) and TARGET_DIR (cargo's
# target directory), cds to ROOT, and installs the EXIT trap that runs what
# was registered with on_exit. Helpers:
#
#   on_exit COMMAND           run COMMAND (a shell string) when the script exits
#   apt_install PKG...        install the Debian packages that are not installed
#   free_port                 print a free TCP port on 127.0.0.1
#   start_redis [ARG...]      a throwaway redis-server: REDIS_URL, REDIS_PORT, REDIS_PID
#   start_redis_topology cluster|sentinel   a throwaway Redis Cluster or
#                             Sentinel set: REDIS_CLUSTER_URL / REDIS_SENTINEL_URL
#   need_tls_redis            what a test's TLS Redis needs (redis-server, and
#                             openssl for the CA tests/cross/redis_topology.py makes)
#   build_devserver [--release]   build the dev server; M2M_AUTH_DEVSERVER
#   start_devserver [ARG...]  start it: DEV_URL, DEV_TOKEN_URL, DEV_API_URL,
#                             DEV_CONTROL_URL, DEV_CONTROL_TOKEN
#   stop_devserver
#   c_build                   libm2m_auth (debug, or M2M_C_PROFILE=release) and the dev server
#   ensure_node               Node.js 20+ and npm
#   node_deps                 node/'s npm packages (npm ci)
#   node_build                node_deps and node/'s debug addon
#   interop_install           oidc-provider in tests/interop (npm ci)
#   python_build PKG...       python/.venv with maturin and PKG..., the package built into it
#   path_without_rust         PATH with every directory holding cargo or rustc removed
#   split_debug FILE DEBUG    FILE's debug info into DEBUG, FILE stripped and linked to it
#
# DIST_DIR is where scripts/release.sh puts the artifacts users install
# ($M2M_AUTH_DIST, default dist/); they are built with cargo's `dist` profile.
#
# The dev server binary is always $M2M_AUTH_DEVSERVER (default: the debug
# build in TARGET_DIR); every test harness reads that one variable.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CARGO=${CARGO:-cargo}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
DIST_DIR=${M2M_AUTH_DIST:-$ROOT/dist}
# The script's name, for messages: "test-c: ...".
SCRIPT_NAME="$(basename "$0" .sh)"

# ---- cleanup -------------------------------------------------------------------

_on_exit=()
# on_exit COMMAND: COMMAND (a shell string, evaluated then) runs when the
# script exits, however it exits; the latest registered runs first.
on_exit() {
  _on_exit+=("$1")
}
cleanup() {
  local i
  for ((i = ${#_on_exit[@]} - 1; i >= 0; i--)); do
    eval "${_on_exit[i]}" || true
  done
  _on_exit=()
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- Debian packages -------------------------------------------------------------

_apt_updated=""
# apt_install PKG...: installs those of the Debian packages that `dpkg -s`
# does not report as installed; when all are, apt-get does not run at all.
# `apt-get update` runs once per script, before the first install.
apt_install() {
  local missing=() p
  for p in "$@"; do
    [ "$(dpkg -s "$p" 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ] ||
      missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$SCRIPT_NAME: ${missing[*]} missing and no apt-get here: install them by hand" >&2
    return 1
  fi
  echo "$SCRIPT_NAME: installing ${missing[*]} (apt-get)" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  if [ -z "$_apt_updated" ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _apt_updated=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---- ports, redis ------------------------------------------------------------------

# free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_redis: starts a redis-server without persistence on a free port in
# the background (installing redis-server if needed), waits until it accepts
# connections, exports REDIS_URL (redis://127.0.0.1:PORT/0) and sets REDIS_PORT
# and REDIS_PID; it is stopped on exit. ARGs go to redis-server (e.g.
# --enable-debug-command local). With START_REDIS_PORT set, that port is
# used (scripts/chaos.sh restarts a Redis where its clients expect it).
start_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  local port i
  port="${START_REDIS_PORT:-$(free_port)}"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no "$@" >/dev/null &
  REDIS_PID=$!
  on_exit "kill $REDIS_PID 2>/dev/null; wait $REDIS_PID 2>/dev/null || true"
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$REDIS_PID" 2>/dev/null || { echo "$SCRIPT_NAME: redis-server did not start" >&2; return 1; }
    sleep 0.05
  done
  export REDIS_URL="redis://127.0.0.1:$port/0"
  REDIS_PORT=$port
}

# start_redis_topology cluster|sentinel: starts a Redis Cluster (3 masters, 3
# replicas) or a Sentinel set (master, replica, 3 sentinels) on free ports
# (tests/cross/redis_topology.py), waits until it is ready, exports
# REDIS_CLUSTER_URL or REDIS_SENTINEL_URL; it is stopped on exit.
need_tls_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  command -v openssl >/dev/null 2>&1 || apt_install openssl
}

start_redis_topology() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
  local kind=$1 out pid i url=
  out="$(mktemp)"
  python3 "$ROOT/tests/cross/redis_topology.py" "$kind" >"$out" &
  pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f '$out'"
  for i in $(seq 600); do
    url="$(head -n1 "$out")"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "$SCRIPT_NAME: the redis $kind did not start" >&2; return 1; }
    sleep 0.05
  done
  [ -n "$url" ] || { echo "$SCRIPT_NAME: the redis $kind did not start in 30 s" >&2; return 1; }
  case $kind in
    cluster) export REDIS_CLUSTER_URL="$url" ;;
    sentinel) export REDIS_SENTINEL_URL="$url" ;;
  esac
}

# ---- the dev server ------------------------------------------------------------------

# build_devserver [--release]: builds the dev server (a no-op for cargo when
# nothing changed) and exports M2M_AUTH_DEVSERVER, unless it is already set,
# as the path of that build.
build_devserver() {
  local profile=debug
  [ "${1:-}" = --release ] && profile=release
  "$CARGO" build -q ${1:+"$1"} -p m2m-auth-devserver
  export M2M_AUTH_DEVSERVER="${M2M_AUTH_DEVSERVER:-$TARGET_DIR/$profile/m2m-auth-devserver}"
}

# start_devserver [ARG...]: starts the dev server ($M2M_AUTH_DEVSERVER;
# extra arguments are passed on). Sets DEV_URL, DEV_TOKEN_URL, DEV_API_URL,
# DEV_CONTROL_URL, DEV_CONTROL_TOKEN and DEV_PID (not exported: pass them on
# explicitly). The control API needs "Authorization: Bearer $DEV_CONTROL_TOKEN"
# (devserver/PROTOCOL.md); never echo the token. The server exits when its
# standard input closes: stop_devserver, or this script's exit.
_devserver_on_exit=""
start_devserver() {
  local bin="${M2M_AUTH_DEVSERVER:-$TARGET_DIR/debug/m2m-auth-devserver}"
  if [ -z "$_devserver_on_exit" ]; then
    on_exit stop_devserver
    _devserver_on_exit=1
  fi
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
  DEV_CONTROL_URL="$(sed -n 's/.*"control_url":"\([^"]*\)".*/\1/p' <<<"$line")"
  DEV_CONTROL_TOKEN="$(sed -n 's/.*"control_token":"\([0-9a-f]*\)".*/\1/p' <<<"$line")"
  [ -n "$DEV_URL" ] && [ -n "$DEV_CONTROL_TOKEN" ]
}

stop_devserver() {
  if [ -n "${DEV_PID:-}" ]; then
    local fd="${DEVSERVER[1]:-}"
    [ -n "$fd" ] && eval "exec ${fd}>&-"
    wait "$DEV_PID" 2>/dev/null || true
    DEV_PID=""
  fi
}

# ---- the packages' builds ------------------------------------------------------------

# c_build: the C library (debug unless M2M_C_PROFILE=release) and the dev
# server; with cargo, only these crates. The library's soname is versioned
# (bindings/c/build.rs), so a program linked with -lm2m_auth looks for
# libm2m_auth.so.SOVER: a symlink next to cargo's file provides it.
c_build() {
  local profile_flag=() profile=debug soname
  if [ "${M2M_C_PROFILE:-debug}" = release ]; then
    profile_flag=(--release)
    profile=release
  fi
  "$CARGO" build -q "${profile_flag[@]}" -p m2m-auth-c
  soname="$(readelf -d "$TARGET_DIR/$profile/libm2m_auth.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
  [ -z "$soname" ] || ln -sfn libm2m_auth.so "$TARGET_DIR/$profile/$soname"
  build_devserver
}

# ensure_node: Node.js 20+ and npm on PATH; installs Debian's if there is no
# node or npm at all.
ensure_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "$SCRIPT_NAME: Node.js 20+ is required (found $(node --version))" >&2
    return 1
  fi
}

# node_deps: node/'s npm packages, installed with `npm ci` from
# package-lock.json only when it changed since the last install (a stamp in
# node_modules). No install scripts run: the addon is built by node_build.
node_deps() {
  ensure_node
  (
    cd "$ROOT/node"
    local stamp=node_modules/.m2m-auth-lock want
    want="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
      echo "$SCRIPT_NAME: npm ci (package-lock.json)" >&2
      npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
      echo "$want" >"$stamp"
    fi
  )
}

# node_build: node/'s npm packages (node_deps) and its debug addon,
# node/build/m2m-auth.node (a no-op for cargo when nothing changed).
node_build() {
  node_deps
  (cd "$ROOT/node" && npm run --silent build)
}

# interop_install: oidc-provider (pinned in tests/interop/package-lock.json)
# with `npm ci`, skipped when node_modules is newer than the lock file.
interop_install() {
  local dir="$ROOT/tests/interop"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# python_build [PKG...]: python/.venv (interpreter: $PYTHON, default python3)
# with maturin and PKG... (installed only when one is missing), then the
# package built from source into it (a debug build of bindings/python unless
# M2M_AUTH_PYTHON_PROFILE says otherwise). Sets PY, the venv's python.
python_build() {
  local venv="$ROOT/python/.venv"
  PY="$venv/bin/python"
  if [ ! -x "$PY" ]; then
    if ! "${PYTHON:-python3}" -m venv "$venv" 2>/dev/null; then
      # Debian's python3 makes venvs only with python3-venv.
      rm -rf "$venv"
      apt_install python3-venv
      "${PYTHON:-python3}" -m venv "$venv"
    fi
  fi
  local reqs=(maturin "$@")
  if ! "$PY" -c 'import importlib.metadata as m, sys; [m.version(p) for p in sys.argv[1:]]' \
    "${reqs[@]}" >/dev/null 2>&1; then
    "$PY" -m pip install -q --disable-pip-version-check --upgrade pip
    "$PY" -m pip install -q --disable-pip-version-check "${reqs[@]}"
  fi
  # No build isolation: maturin is already in the venv, and cargo reuses its
  # incremental build.
  PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile ${M2M_AUTH_PYTHON_PROFILE:-dev} --strip false" \
    "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps "$ROOT/python"
}

# split_debug FILE DEBUG: moves FILE's debug info (the `dist` profile's line
# tables) and symbols into DEBUG (compressed), strips FILE and records
# DEBUG's name and CRC in FILE's .gnu_debuglink section, where gdb, perf and
# eu-stack look for it: beside FILE, in its .debug/ or under /usr/lib/debug.
# FILE must be cargo's unstripped output or a copy of it (a second run on
# the same FILE fails: it has a debuglink already).
split_debug() {
  command -v objcopy >/dev/null 2>&1 || apt_install binutils
  mkdir -p "$(dirname "$2")"
  local file debug
  file="$(realpath "$1")"
  debug="$(realpath "$2")"
  objcopy --only-keep-debug --compress-debug-sections=zlib "$file" "$debug"
  chmod 644 "$debug"
  # objcopy records the name only: DEBUG's directory is where it is now.
  (cd "$(dirname "$debug")" && objcopy --strip-all --add-gnu-debuglink="$(basename "$debug")" "$file")
}

# ---- installing as a user would ----------------------------------------------------

# path_without_rust: prints PATH without the directories that hold a cargo or
# rustc, so that a package test proves the artifact installs and runs with no
# Rust toolchain (the packages' tests in scripts/test-package-*.sh).
path_without_rust() {
  local out="" dir
  local IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] || continue
    if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ]; then
      continue
    fi
    out="${out:+$out:}$dir"
  done
  printf '%s\n' "$out"
}
