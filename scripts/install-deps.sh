#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, skipping what is there.
set -euo pipefail
need() { command -v "$1" >/dev/null 2>&1; }
if ! need cargo; then
  echo "cargo not found: m2m-auth needs a Rust toolchain (rustup) on PATH" >&2
  exit 1
fi
# rustfmt and clippy ship as rustup components.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
# Debian packages: redis-server for the shared-cache tests.
missing=()
need redis-server || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
