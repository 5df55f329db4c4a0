#!/usr/bin/env bash
# Generates include/m2m_auth.h from bindings/c with cbindgen (pinned below).
#   scripts/gen-header.sh            write the header
#   scripts/gen-header.sh --verify   fail (exit 1) if the committed header is stale
# Installs the pinned cbindgen with `cargo install --locked` if it is missing.
. "$(dirname "$0")/lib.sh"
CBINDGEN_VERSION=0.29.4

root="$ROOT"
header="$root/include/m2m_auth.h"
mode="${1:-write}"
case "$mode" in
  write | --verify) ;;
  *) echo "usage: $0 [--verify]" >&2; exit 2 ;;
esac

# The pinned cbindgen: on PATH, in cargo's bin directory, or installed now.
cbindgen=""
for c in cbindgen "${CARGO_HOME:-$HOME/.cargo}/bin/cbindgen"; do
  if command -v "$c" >/dev/null 2>&1 && [ "$("$c" --version 2>/dev/null)" = "cbindgen $CBINDGEN_VERSION" ]; then
    cbindgen="$(command -v "$c")"
    break
  fi
done
if [ -z "$cbindgen" ]; then
  echo "gen-header: installing cbindgen $CBINDGEN_VERSION" >&2
  "$CARGO" install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet >&2
  cbindgen="${CARGO_HOME:-$HOME/.cargo}/bin/cbindgen"
fi

# The version, from Cargo.toml (workspace.package.version).
version="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n1)"
if ! [[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
  echo "gen-header: cannot read the version from Cargo.toml (got '$version')" >&2
  exit 1
fi
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}" patch="${BASH_REMATCH[3]}"
number=$((major * 10000 + minor * 100 + patch))

tmp="$(mktemp)"
on_exit 'rm -f "$tmp"'
(cd "$root/bindings/c" && "$cbindgen" --quiet --config cbindgen.toml --crate m2m-auth-c --output "$tmp" .)
sed -i \
  -e "s/@M2M_AUTH_VERSION@/$version/" \
  -e "s/@M2M_AUTH_VERSION_MAJOR@/$major/" \
  -e "s/@M2M_AUTH_VERSION_MINOR@/$minor/" \
  -e "s/@M2M_AUTH_VERSION_PATCH@/$patch/" \
  -e "s/@M2M_AUTH_VERSION_NUMBER@/$number/" \
  "$tmp"

if [ "$mode" = --verify ]; then
  if ! cmp -s "$tmp" "$header"; then
    echo "include/m2m_auth.h is stale: run scripts/gen-header.sh and commit the result" >&2
    diff -u "$header" "$tmp" | head -n 40 >&2 || true
    exit 1
  fi
  echo "include/m2m_auth.h is up to date (cbindgen $CBINDGEN_VERSION, m2m-auth $version)"
else
  mkdir -p "$(dirname "$header")"
  cp "$tmp" "$header"
  echo "wrote include/m2m_auth.h (cbindgen $CBINDGEN_VERSION, m2m-auth $version)"
fi
