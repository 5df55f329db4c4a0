#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, skipping what is there.
# (Each scripts/test-*.sh installs what it needs beyond this itself.)
. "$(dirname "$0")/lib.sh"
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: m2m-auth needs a Rust toolchain (rustup) on PATH" >&2
  exit 1
fi
# rustfmt and clippy ship as rustup components.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
# Debian packages: redis-server for the shared-cache tests (it also runs the
# sentinels, `redis-server CONF --sentinel`; redis-cli, from redis-tools, a
# dependency, builds the test clusters).
command -v redis-server >/dev/null 2>&1 || apt_install redis-server
command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
# openssl: the throwaway CA of the TLS Redis the bindings' tests start
# (tests/cross/redis_topology.py tls).
command -v openssl >/dev/null 2>&1 || apt_install openssl
