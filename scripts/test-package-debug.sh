#!/usr/bin/env bash
# Tests the debug info split off the shipped binaries (scripts/release.sh,
# scripts/lib.sh `split_debug`), in DIST_DIR (argument, else $M2M_AUTH_DIST,
# else dist/): for each binary inside the packages users install -- the
# Python module in the wheel, the Node addon in the platform tarball,
# libm2m_auth.so in the C tarball, the CLI in its tarball --
#   - it is stripped: no symbol table, no .debug_* section;
#   - its .gnu_debuglink names a file of m2m-auth-debug-V-TRIPLE.tar.gz,
#     with the CRC-32 of that file's bytes;
#   - gdb, given the binary with its debug file beside it, finds the
#     source line of one of the project's functions in it;
#   - it is at most MAX_BINARY_BYTES (8,000,000: issue #17's ceiling for
#     each shipped native artifact; a size, not a timing, so it is exact).
# Prints each binary's size and its debug file's. Installs binutils and gdb
# if missing.
# Usage: scripts/test-package-debug.sh [DIST_DIR]
. "$(dirname "$0")/lib.sh"

DIST="$(cd "${1:-$DIST_DIR}" && pwd)"
command -v objcopy >/dev/null 2>&1 || apt_install binutils
command -v gdb >/dev/null 2>&1 || apt_install gdb
version="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)"
triple=x86_64-linux-gnu
debug_tgz="$DIST/m2m-auth-debug-$version-$triple.tar.gz"
[ -f "$debug_tgz" ] || { echo "$SCRIPT_NAME: $debug_tgz is missing: run scripts/release.sh first" >&2; exit 1; }

tmp="$(mktemp -d)"
on_exit "rm -rf '$tmp'"
mkdir -p "$tmp/debug" "$tmp/py" "$tmp/node" "$tmp/c" "$tmp/cli"
tar -xzf "$debug_tgz" -C "$tmp/debug"
python3 -m zipfile -e "$(ls "$DIST"/m2m_auth-"$version"-*.whl)" "$tmp/py"
tar -xzf "$(ls "$DIST"/m2m-auth-linux-*-"$version".tgz)" -C "$tmp/node"
tar -xzf "$DIST/m2m_auth-$version-$triple.tar.gz" -C "$tmp/c"
tar -xzf "$DIST/m2m-auth-cli-$version-$triple.tar.gz" -C "$tmp/cli"

MAX_BINARY_BYTES=8000000
failed=0
fail() {
  echo "not ok - $*"
  failed=1
}

# check BINARY FUNCTION SOURCE: the three properties above; FUNCTION is the
# start of a function's name (nm -C) in the binary's debug file, SOURCE the
# start of the path gdb must give for its first line.
check() {
  local bin="$1" func="$2" source="$3" name link crc want addr addrs where
  name="$(basename "$bin")"
  # (.debug_gdb_scripts is loaded: rustc's pretty-printer list, kept by strip.)
  if readelf -S -W "$bin" | grep -E ' \.symtab | \.debug_' | grep -qv ' \.debug_gdb_scripts '; then
    fail "$name is not stripped"
    return
  fi
  # .gnu_debuglink: the file name, NUL, padding to 4 bytes, the CRC-32 (LE).
  read -r link crc < <(python3 -c '
import subprocess, sys
out = subprocess.run(["objcopy", "--dump-section", ".gnu_debuglink=/dev/stdout", sys.argv[1], "/dev/null"],
                     capture_output=True, check=True).stdout
print(out.split(b"\0", 1)[0].decode(), int.from_bytes(out[-4:], "little"))
' "$bin") || { fail "$name has no .gnu_debuglink"; return; }
  if [ ! -f "$tmp/debug/$link" ]; then
    fail "$name links to $link, which the debug tarball lacks"
    return
  fi
  want="$(python3 -c 'import sys, zlib; print(zlib.crc32(open(sys.argv[1], "rb").read()))' "$tmp/debug/$link")"
  if [ "$crc" != "$want" ]; then
    fail "$name: the CRC in .gnu_debuglink ($crc) is not $link's ($want)"
    return
  fi
  cp "$tmp/debug/$link" "$(dirname "$bin")/"
  # The symbols are in the debug file only; gdb finds it through the link.
  # A function's first instruction may come from code inlined into it (a
  # std helper's line, at opt-level s): the first of its first 20 functions
  # whose line is the project's own.
  addrs="$(nm -C "$tmp/debug/$link" | awk -v f="$func" '$2 ~ /^[tT]$/ && index(substr($0, 20), f) == 1 { print $1 }' | head -n 20)"
  [ -n "$addrs" ] || { fail "$link has no function $func*"; return; }
  for addr in $addrs; do
    where="$(gdb -nx -batch -ex "info line *0x$addr" "$bin" 2>&1 | grep '^Line' | head -n1)"
    [[ "$where" != "Line "[0-9]*" of \"$source"* ]] || break
  done
  if [[ "$where" != "Line "[0-9]*" of \"$source"* ]]; then
    fail "$name: gdb gave no line in $source for $func* (${where:-nothing})"
    return
  fi
  if [ "$(stat -c %s "$bin")" -gt "$MAX_BINARY_BYTES" ]; then
    fail "$name is $(stat -c %s "$bin") bytes, over $MAX_BINARY_BYTES"
  fi
  echo "ok - $name: stripped, $link (CRC matches); gdb: ${where%% starts*}"
  printf '  %-34s %9s bytes, %-40s %9s bytes\n' "$name" "$(stat -c %s "$bin")" \
    "$link" "$(stat -c %s "$tmp/debug/$link")"
}

check "$tmp/py/m2m_auth/_native.abi3.so" m2m_auth_python:: bindings/python/src/
check "$(ls "$tmp"/node/package/m2m-auth.*.node)" m2m_auth_node:: bindings/node/src/
check "$(ls "$tmp"/c/lib/libm2m_auth.so.*.*.*)" m2m_client_get_token bindings/c/src/
# The binary crate is named m2m_auth too; options:: is one of its modules.
check "$tmp/cli/m2m-auth-cli-$version-$triple/m2m-auth" m2m_auth::options:: cli/src/
[ "$failed" = 0 ] || exit 1
echo "$SCRIPT_NAME: ok"
