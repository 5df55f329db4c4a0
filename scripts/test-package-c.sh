#!/usr/bin/env bash
# Tests the C binary tarball as a user gets it:
#
#   scripts/test-package-c.sh [DIST_DIR]
#
# With cargo and rustc off PATH, unpacks DIST_DIR/m2m_auth-VERSION-ARCH-linux-gnu.tar.gz
# (scripts/package-c.sh; DIST_DIR: the argument, else $M2M_AUTH_DIST, else
# dist/) into a fresh prefix under `mktemp -d` (removed on exit), then builds
# bindings/c/examples/quickstart.c and verify.c against it and runs them
# against the dev server: (1) `pkg-config --cflags --libs m2m_auth`, linked
# dynamically (run with LD_LIBRARY_PATH), (2) `pkg-config --static` with
# libm2m_auth.a, (3) the CMake project tests/packages/c, through
# find_package(m2m_auth) and both its targets. Then, from the source tree
# (cargo allowed: it builds), `make install PREFIX=tmp` and `make uninstall
# PREFIX=tmp` must leave no file behind. Prints the figures: tarball, .so and
# .a sizes, the soname, unpack time. Installs gcc, make, pkg-config, cmake,
# the libcurl headers and binutils if missing; builds the dev server with
# cargo (test infrastructure). Exits non-zero on any failure.
. "$(dirname "$0")/lib.sh"

dist="${1:-$DIST_DIR}"
apt_install gcc libc6-dev make pkg-config cmake libcurl4-openssl-dev binutils
version="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)"
tarball="$dist/m2m_auth-$version-$(uname -m)-linux-gnu.tar.gz"
if [ ! -f "$tarball" ]; then
  echo "$SCRIPT_NAME: no $tarball (run scripts/package-c.sh first)" >&2
  exit 1
fi
build_devserver
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
USER_PATH="$(path_without_rust)"
tmp="$(mktemp -d)"
on_exit "rm -rf '$tmp'"
prefix="$tmp/prefix"
failures=()
fail() {
  echo "FAIL: $*" >&2
  failures+=("$*")
}
ms() { date +%s%3N; }

# ---- unpack, as a user would -------------------------------------------------------
t0=$(ms)
mkdir -p "$prefix"
PATH="$USER_PATH" tar -xzf "$tarball" -C "$prefix"
unpack_ms=$(($(ms) - t0))
so="$(cd "$prefix/lib" && ls libm2m_auth.so.*.*.*)"
soname_line="$(readelf -d "$prefix/lib/$so" | grep SONAME | sed 's/^ *//')"
soname="$(sed -n 's/.*Library soname: \[\(.*\)\]/\1/p' <<<"$soname_line")"
[ -L "$prefix/lib/$soname" ] || fail "no $soname symlink"
[ -L "$prefix/lib/libm2m_auth.so" ] || fail "no libm2m_auth.so symlink"
# pkg-config on the unpacked prefix, without cargo or rustc on PATH. Not
# exported: aws-lc-sys's build script watches PKG_CONFIG_PATH, and a changed
# value would rebuild the engine for `make install` below.
pc() { PATH="$USER_PATH" PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config "$@"; }
if [ "$(pc --modversion m2m_auth)" != "$version" ]; then
  fail "pkg-config --modversion m2m_auth is not $version"
fi
# Relocatable: the .pc file's prefix is where the tarball was unpacked.
if [ "$(cd "$(pc --variable=prefix m2m_auth)" && pwd)" != "$prefix" ]; then
  fail "m2m_auth.pc's prefix is not the unpacked prefix"
fi

# ---- the examples against the dev server ------------------------------------------------
# quickstart NAME BINARY [ENV...]: a token, then the API's 200, no secret printed.
quickstart() {
  local name="$1" bin="$2" rc=0 log="$tmp/$1.log"
  shift 2
  start_devserver
  env PATH="$USER_PATH" "$@" AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-client \
    AUTH0_CLIENT_SECRET=demo-secret API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" \
    "$bin" >"$log" 2>&1 || rc=$?
  stop_devserver
  if [ "$rc" -eq 0 ] && grep -q '^Bearer token, expires in' "$log" && grep -q '"ok":true' "$log" &&
    grep -q '^HTTP status 200$' "$log" && ! grep -q demo-secret "$log"; then
    echo "ok - $name"
  else
    cat "$log"
    fail "$name (exit $rc)"
  fi
}
# verify NAME BINARY [ENV...]: a dev-server token is accepted, no header gets 401.
verify() {
  local name="$1" bin="$2" log="$tmp/$1.log" token rc
  shift 2
  start_devserver
  token="$(python3 -c 'import json, sys, urllib.parse, urllib.request
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "demo-client",
    "client_secret": "demo-secret", "audience": "https://api.example.com"}).encode()
print(json.load(urllib.request.urlopen(sys.argv[1], form, timeout=30))["access_token"])' "$DEV_TOKEN_URL")"
  {
    rc=0
    env PATH="$USER_PATH" "$@" ISSUER="$DEV_URL" API_AUDIENCE=https://api.example.com "$bin" "Bearer $token" || rc=$?
    echo "exit $rc"
    rc=0
    env PATH="$USER_PATH" "$@" ISSUER="$DEV_URL" API_AUDIENCE=https://api.example.com "$bin" || rc=$?
    echo "exit $rc"
  } >"$log" 2>&1
  stop_devserver
  if grep -q '^hello, demo-client$' "$log" && grep -q '^exit 0$' "$log" && grep -q '^HTTP 401$' "$log" &&
    grep -q '^exit 3$' "$log"; then
    echo "ok - $name"
  else
    cat "$log"
    fail "$name"
  fi
}
# links_shared BINARY: whether it needs libm2m_auth's soname at run time.
links_shared() { readelf -d "$1" | grep -q "NEEDED.*\[$soname\]"; }

cc_user() { PATH="$USER_PATH" gcc -std=c11 -Wall -Wextra -Werror "$@"; }
examples=bindings/c/examples
read -r -a CURL <<<"$(PATH="$USER_PATH" pkg-config --cflags --libs libcurl)"

# (1) pkg-config, shared.
read -r -a PC <<<"$(pc --cflags --libs m2m_auth)"
if cc_user "$examples/quickstart.c" "${PC[@]}" "${CURL[@]}" -o "$tmp/quickstart-dyn" &&
  cc_user "$examples/verify.c" "${PC[@]}" -o "$tmp/verify-dyn"; then
  links_shared "$tmp/quickstart-dyn" || fail "quickstart-dyn does not need $soname"
  quickstart pkg-config-shared-quickstart "$tmp/quickstart-dyn" LD_LIBRARY_PATH="$prefix/lib"
  verify pkg-config-shared-verify "$tmp/verify-dyn" LD_LIBRARY_PATH="$prefix/lib"
else
  fail "pkg-config shared build"
fi

# (2) pkg-config --static: the archive (-Bstatic picks it over the .so), then
# Libs.private; --as-needed drops the .so that --libs names again.
read -r -a PC_STATIC <<<"$(pc --static --libs m2m_auth)"
read -r -a PC_CFLAGS <<<"$(pc --cflags m2m_auth)"
STATIC=("${PC_CFLAGS[@]}" -Wl,--as-needed -Wl,-Bstatic -lm2m_auth -Wl,-Bdynamic "${PC_STATIC[@]}")
if cc_user "$examples/quickstart.c" "${STATIC[@]}" "${CURL[@]}" -o "$tmp/quickstart-static" &&
  cc_user "$examples/verify.c" "${STATIC[@]}" -o "$tmp/verify-static"; then
  ! links_shared "$tmp/quickstart-static" || fail "quickstart-static needs $soname"
  quickstart pkg-config-static-quickstart "$tmp/quickstart-static"
  verify pkg-config-static-verify "$tmp/verify-static"
else
  fail "pkg-config static build"
fi

# (3) CMake: find_package(m2m_auth 0.1), both targets.
if PATH="$USER_PATH" cmake -S tests/packages/c -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$tmp/cmake.log" 2>&1 &&
  PATH="$USER_PATH" cmake --build "$tmp/cmake" -j 2 >>"$tmp/cmake.log" 2>&1; then
  links_shared "$tmp/cmake/quickstart-shared" || fail "cmake quickstart-shared does not need $soname"
  ! links_shared "$tmp/cmake/quickstart-static" || fail "cmake quickstart-static needs $soname"
  quickstart cmake-shared-quickstart "$tmp/cmake/quickstart-shared"
  quickstart cmake-static-quickstart "$tmp/cmake/quickstart-static"
  verify cmake-shared-verify "$tmp/cmake/verify-shared"
  verify cmake-static-verify "$tmp/cmake/verify-static"
else
  cat "$tmp/cmake.log"
  fail "cmake build"
fi
# A version the package is not compatible with is refused.
mkdir -p "$tmp/cmake-old"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(t C)\nfind_package(m2m_auth 0.2 REQUIRED)\n' \
  >"$tmp/cmake-old/CMakeLists.txt"
if PATH="$USER_PATH" cmake -S "$tmp/cmake-old" -B "$tmp/cmake-old/build" \
  -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cmake-old.log" 2>&1; then
  fail "find_package(m2m_auth 0.2) accepted $version"
else
  echo "ok - find_package(m2m_auth 0.2) refuses $version"
fi

# ---- make install / make uninstall from the source tree ------------------------------------
inst="$tmp/make-install"
if make -s install PREFIX="$inst" CARGO="$CARGO" >"$tmp/install.log" 2>&1 &&
  [ -f "$inst/lib/cmake/m2m_auth/m2m_authConfig.cmake" ] &&
  make -s uninstall PREFIX="$inst" >>"$tmp/install.log" 2>&1; then
  left="$(find "$inst" ! -type d)"
  if [ -n "$left" ]; then
    fail "make uninstall left: $left"
  else
    echo "ok - make install then make uninstall leaves no file behind"
  fi
else
  cat "$tmp/install.log"
  fail "make install / make uninstall"
fi

# ---- figures ------------------------------------------------------------------------------------
echo "c package: $(basename "$tarball") $(stat -c %s "$tarball") bytes; unpacked in ${unpack_ms} ms"
echo "c package: $so $(stat -c %s "$prefix/lib/$so") bytes, libm2m_auth.a $(stat -c %s "$prefix/lib/libm2m_auth.a") bytes"
echo "c package: $soname_line"
echo "$SCRIPT_NAME: done in ${SECONDS} s"
if [ "${#failures[@]}" -gt 0 ]; then
  printf '  failed: %s\n' "${failures[@]}"
  exit 1
fi
echo "$SCRIPT_NAME: all passed"
