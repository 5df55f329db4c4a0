#!/usr/bin/env bash
# Builds and tests the C library (libm2m_auth, include/m2m_auth.h):
#   scripts/test-c.sh           the C suite (`make test` runs it)
#   scripts/test-c.sh --bench   the C benchmarks (release build): the client's
#                               cached token, the verifier (bench_verify)
#
# Installs what it needs if missing (cbindgen via scripts/gen-header.sh; gcc,
# valgrind, pkg-config, cmake, libcurl headers via apt-get), builds the
# library and the dev server, verifies the committed header, compiles the C
# tests (each program tests/c/NAME.c plus its parts in tests/c/NAME/) with
# `gcc -std=c11 -Wall -Wextra -Werror` linked dynamically and statically, and
# runs them against the dev/fault server: the header's parity
# with tests/surface.json (tests/c/check_parity.py), the ABI checks, the
# client tests (64 threads on a cold cache -> 1 request; a TLS Redis,
# rediss:// with ca_certs, shared by two clients), every item of the
# surface (test_surface), fork (test_fork), DPoP (test_dpop: bound tokens,
# proofs checked with libcrypto, nonce round trips, the key's canary; the API
# side: verify_http_request, challenge and nonces on the client's proofs and
# on libcrypto's, no token or proof in an error or log record), the
# verifier (test_verifier: every
# case of tests/verify/vectors.json, dev-server tokens through its JWKS, bad
# input, the DPoP options and functions against bad input), interop with oidc-provider (test_interop: a token for every client
# of tests/interop/clients.json, verified through its discovery; mutual TLS
# with its https listener, tokens bound to the certificate; DPoP-bound tokens,
# with and without its nonces), every shared
# conformance vector (tests/conformance) plus the runner's own smoke vectors,
# the README's C example (bindings/c/examples/quickstart.c), the API-side
# examples of bindings/c/README.md (bindings/c/examples/verify.c; verify_dpop.c,
# its requests made by tests/c/dpop_headers: 200, a replay, a bound token as
# Bearer, no token, a nonce round trip across two processes), its
# private_key_jwt example (bindings/c/examples/private_key_jwt.c), its DPoP
# example (bindings/c/examples/dpop.c, against the dev server's nonce mode), the CMake example
# (bindings/c/cmake, with m2m_auth.pc made from bindings/c/m2m_auth.pc.in);
# then the suite under valgrind (0 errors, 0 bytes definitely lost) and under
# ASan/UBSan. Exits non-zero on any failure. Idempotent; build output goes to
# target/c-tests (the library itself to cargo's target directory).
. "$(dirname "$0")/lib.sh"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

mode="${1:-test}"
case "$mode" in
  test | --bench) ;;
  *) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

# ---- 1. what the suite needs ---------------------------------------------------
if [ "$mode" = test ]; then
  # libssl-dev: test_interop computes certificate thumbprints with libcrypto.
  apt_install gcc libc6-dev make binutils pkg-config valgrind cmake libcurl4-openssl-dev libssl-dev
  # A TLS Redis for test_client's rediss:// test (tests/cross/redis_topology.py
  # makes its CA with openssl).
  need_tls_redis
  # oidc-provider, the real authorization server of test_interop.
  ensure_node
  interop_install
else
  apt_install gcc libc6-dev binutils
fi

OUT="$ROOT/target/c-tests"
mkdir -p "$OUT"/{dyn,static,asan,vg-logs,pkgconfig}
SUPPORT=(tests/c/support/testlib.c tests/c/support/http.c tests/c/support/json.c tests/c/support/clients.c tests/c/support/canary.c)
CFLAGS=(-std=c11 -Wall -Wextra -Werror -g -Iinclude -Itests/c)
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

version="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)"

# The system libraries a Rust static library needs (those of std), cached per rustc.
native_static_libs() {
  local cache="$OUT/native-static-libs" rv
  rv="$(rustc -V)"
  if [ ! -s "$cache" ] || [ "$(head -n1 "$cache")" != "$rv" ]; then
    local tmp
    tmp="$(mktemp -d)"
    echo '' >"$tmp/empty.rs"
    local libs
    libs="$(rustc --crate-type staticlib --print native-static-libs -o "$tmp/libempty.a" "$tmp/empty.rs" 2>&1 |
      sed -n 's/.*native-static-libs: //p')"
    rm -rf "$tmp"
    printf '%s\n%s\n' "$rv" "$libs" >"$cache"
  fi
  sed -n 2p "$cache"
}

# ---- the benchmark ---------------------------------------------------------------
if [ "$mode" = --bench ]; then
  M2M_C_PROFILE=release c_build
  gcc -std=c11 -Wall -Wextra -Werror -O2 -Iinclude -Itests/c tests/c/bench.c "${SUPPORT[@]}" \
    "$TARGET_DIR/release/libm2m_auth.a" $(native_static_libs) -o "$OUT/bench-release"
  gcc -std=c11 -Wall -Wextra -Werror -O2 -Iinclude -Itests/c tests/c/bench_verify.c "${SUPPORT[@]}" \
    "$TARGET_DIR/release/libm2m_auth.a" $(native_static_libs) -o "$OUT/bench_verify-release"
  rc=0
  "$OUT/bench-release" "${BENCH_ITERATIONS:-5000000}" || rc=$?
  "$OUT/bench_verify-release" "${BENCH_VERIFY_ITERATIONS:-2000000}"
  exit "$rc"
fi

# ---- 2. build, header ------------------------------------------------------------
echo "test-c: building libm2m_auth and the dev server"
c_build
echo "test-c: built (${SECONDS} s)"
scripts/gen-header.sh --verify
LIBDIR="$TARGET_DIR/debug"
NATIVE="$(native_static_libs)"
sed -e "s|@PREFIX@|$ROOT|" -e "s|@LIBDIR@|$LIBDIR|" -e "s|@INCLUDEDIR@|$ROOT/include|" \
  -e "s|@VERSION@|$version|" -e "s|@NATIVE_STATIC_LIBS@|$NATIVE|" \
  bindings/c/m2m_auth.pc.in >"$OUT/pkgconfig/m2m_auth.pc"
export PKG_CONFIG_PATH="$OUT/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
[ "$(pkg-config --modversion m2m_auth)" = "$version" ]

# ---- 3. compile --------------------------------------------------------------------
echo "test-c: compiling the C suite (gcc -std=c11 -Wall -Wextra -Werror; dynamic, static, ASan)"
DEFS=(-DEXPECTED_VERSION="\"$version\"")
read -r -a PC_CFLAGS <<<"$(pkg-config --cflags m2m_auth)"
read -r -a PC_LIBS <<<"$(pkg-config --libs m2m_auth)"
read -r -a NATIVE_A <<<"$NATIVE"
# Static links read the archive's debug info: a stripped copy links faster
# (symbols stay, for sanitizer stack traces).
STATIC_A="$OUT/libm2m_auth.a"
if [ ! -s "$STATIC_A" ] || [ "$LIBDIR/libm2m_auth.a" -nt "$STATIC_A" ]; then
  objcopy --strip-debug "$LIBDIR/libm2m_auth.a" "$STATIC_A.tmp" && mv "$STATIC_A.tmp" "$STATIC_A"
fi
# Every compile as one shell-quoted command line, run two at a time (two cores).
cmds=()
add() { cmds+=("$(printf '%q ' "$@")"); }
# A program is tests/c/NAME.c (its main) plus its parts, tests/c/NAME/*.c if any.
for t in test_abi test_client test_surface test_fork test_dpop test_verifier test_interop conformance bench bench_verify; do
  rm -f "$OUT"/{dyn,static,asan}/"$t"
  srcs=("tests/c/$t.c")
  if [ -d "tests/c/$t" ]; then srcs+=("tests/c/$t"/*.c); fi
  # test_interop's mTLS part computes certificate thumbprints with libcrypto;
  # test_dpop checks proofs with it.
  extra=()
  if [ "$t" = test_interop ] || [ "$t" = test_dpop ]; then extra=(-lcrypto); fi
  add gcc "${CFLAGS[@]}" "${DEFS[@]}" "${PC_CFLAGS[@]}" "${srcs[@]}" "${SUPPORT[@]}" \
    "${PC_LIBS[@]}" "${extra[@]}" -Wl,-rpath,"$LIBDIR" -lpthread -o "$OUT/dyn/$t"
  [[ "$t" == bench* ]] && continue
  add gcc "${CFLAGS[@]}" "${DEFS[@]}" "${srcs[@]}" "${SUPPORT[@]}" \
    "$STATIC_A" "${NATIVE_A[@]}" "${extra[@]}" -o "$OUT/static/$t"
  add gcc "${CFLAGS[@]}" "${DEFS[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer \
    "${srcs[@]}" "${SUPPORT[@]}" "$STATIC_A" "${NATIVE_A[@]}" "${extra[@]}" -o "$OUT/asan/$t"
done
if ! printf '%s\0' "${cmds[@]}" | xargs -0 -P 2 -n 1 bash -c; then
  echo "test-c: compiling the C suite failed" >&2
  exit 1
fi
echo "test-c: compiled (${SECONDS} s)"
if ldd "$OUT/static/test_abi" | grep -q m2m_auth; then
  echo "test-c: the static build links libm2m_auth.so" >&2
  exit 1
fi

# The README's C example is bindings/c/examples/quickstart.c, verbatim.
awk '/<!-- c-quickstart/{on=1} on && /^## / && !/^## C quickstart/{exit} on' README.md |
  awk '/^```c$/{inside=1; next} /^```$/{if (inside) exit} inside' >"$OUT/readme-example.c"
if ! cmp -s "$OUT/readme-example.c" bindings/c/examples/quickstart.c; then
  echo "test-c: README.md's C example differs from bindings/c/examples/quickstart.c:" >&2
  diff -u bindings/c/examples/quickstart.c "$OUT/readme-example.c" | head -n 20 >&2 || true
  exit 1
fi
# bindings/c/README.md's examples are bindings/c/examples/NAME.c, verbatim (each
# after its marker): the API side (verify.c, verify_dpop.c) and private_key_jwt.c.
# (One awk, no pipe: a reader that exits early must not SIGPIPE a writer.)
for example in verify:c-verify-example verify_dpop:c-verify-dpop-example private_key_jwt:c-private-key-jwt-example; do
  name="${example%%:*}" src="$OUT/${example%%:*}-example.c"
  awk -v marker="<!-- ${example#*:}" 'index($0, marker) == 1 {on=1}
    on && /^```c$/{inside=1; next} inside && /^```$/{exit} inside' bindings/c/README.md >"$src"
  if ! cmp -s "$src" "bindings/c/examples/$name.c"; then
    echo "test-c: bindings/c/README.md's $name example differs from bindings/c/examples/$name.c:" >&2
    diff -u "bindings/c/examples/$name.c" "$src" | head -n 20 >&2 || true
    exit 1
  fi
  gcc -std=c11 -Wall -Wextra -Werror "${PC_CFLAGS[@]}" "$src" "${PC_LIBS[@]}" \
    -Wl,-rpath,"$LIBDIR" -o "$OUT/dyn/$name-example"
  gcc -std=c11 -Wall -Wextra -Werror -Iinclude "$src" "$STATIC_A" "${NATIVE_A[@]}" -o "$OUT/static/$name-example"
done
# The requests of the verify_dpop example's run: a DPoP token and its proof.
gcc "${CFLAGS[@]}" "${PC_CFLAGS[@]}" tests/c/dpop_headers.c "${PC_LIBS[@]}" -Wl,-rpath,"$LIBDIR" \
  -o "$OUT/dyn/dpop_headers"
read -r -a CURL_FLAGS <<<"$(pkg-config --cflags --libs libcurl)"
# Its DPoP example, bindings/c/examples/dpop.c verbatim, uses libcurl.
awk -v marker="<!-- c-dpop-example" 'index($0, marker) == 1 {on=1}
  on && /^```c$/{inside=1; next} inside && /^```$/{exit} inside' bindings/c/README.md >"$OUT/dpop-example.c"
if ! cmp -s "$OUT/dpop-example.c" bindings/c/examples/dpop.c; then
  echo "test-c: bindings/c/README.md's dpop example differs from bindings/c/examples/dpop.c:" >&2
  diff -u bindings/c/examples/dpop.c "$OUT/dpop-example.c" | head -n 20 >&2 || true
  exit 1
fi
gcc -std=c11 -Wall -Wextra -Werror "${PC_CFLAGS[@]}" "$OUT/dpop-example.c" "${PC_LIBS[@]}" \
  -Wl,-rpath,"$LIBDIR" "${CURL_FLAGS[@]}" -o "$OUT/dyn/dpop-example"
gcc -std=c11 -Wall -Wextra -Werror -Iinclude "$OUT/dpop-example.c" "$STATIC_A" \
  "${NATIVE_A[@]}" "${CURL_FLAGS[@]}" -o "$OUT/static/dpop-example"
gcc -std=c11 -Wall -Wextra -Werror "${PC_CFLAGS[@]}" "$OUT/readme-example.c" "${PC_LIBS[@]}" \
  -Wl,-rpath,"$LIBDIR" "${CURL_FLAGS[@]}" -o "$OUT/dyn/readme-example"
gcc -std=c11 -Wall -Wextra -Werror -Iinclude "$OUT/readme-example.c" "$STATIC_A" \
  "${NATIVE_A[@]}" "${CURL_FLAGS[@]}" -o "$OUT/static/readme-example"

# ---- 4. run ----------------------------------------------------------------------------
passed=0
failed=0
problems=()
# run NAME COMMAND...: runs a test program, prints its output, adds up its
# "N passed, N failed" line; a non-zero exit is a failure.
run() {
  local name="$1" log="$OUT/$1.log" rc=0 t0=$SECONDS
  shift
  echo "== $name"
  "$@" >"$log" 2>&1 || rc=$?
  cat "$log"
  echo "-- $name: $((SECONDS - t0)) s"
  local line
  line="$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1 || true)"
  if [ -n "$line" ]; then
    passed=$((passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
  fi
  if [ "$rc" -ne 0 ]; then
    problems+=("$name (exit $rc)")
    [ -n "$line" ] || failed=$((failed + 1))
  elif [ -z "$line" ]; then
    passed=$((passed + 1))
  fi
}
# example NAME BINARY [WRAPPER...]: the README example against a fresh dev server.
example() {
  local name="$1" bin="$2" rc=0
  shift 2
  echo "== $name"
  start_devserver
  AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-client AUTH0_CLIENT_SECRET=demo-secret \
    API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" \
    "$@" "$bin" >"$OUT/$name.log" 2>&1 || rc=$?
  stop_devserver
  cat "$OUT/$name.log"
  if [ "$rc" -eq 0 ] && grep -q '^Bearer token, expires in' "$OUT/$name.log" &&
    grep -q '"ok":true' "$OUT/$name.log" && grep -q '^HTTP status 200$' "$OUT/$name.log" &&
    ! grep -q demo-secret "$OUT/$name.log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    problems+=("$name")
  fi
}

# verify-example NAME BINARY [WRAPPER...]: bindings/c/examples/verify.c against a
# fresh dev server: a token of its public token endpoint gets 200, no header
# gets a bare Bearer 401.
verify_example() {
  local name="$1" bin="$2" rc=0 token
  shift 2
  echo "== $name"
  start_devserver
  token="$(python3 -c 'import json, sys, urllib.parse, urllib.request
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "demo-client",
    "client_secret": "demo-secret", "audience": "https://api.example.com"}).encode()
print(json.load(urllib.request.urlopen(sys.argv[1], form, timeout=30))["access_token"])' "$DEV_TOKEN_URL")"
  {
    ISSUER="$DEV_URL" API_AUDIENCE=https://api.example.com "$@" "$bin" "Bearer $token" || rc=$?
    echo "exit $rc"
    rc=0
    ISSUER="$DEV_URL" API_AUDIENCE=https://api.example.com "$@" "$bin" || rc=$?
    echo "exit $rc"
  } >"$OUT/$name.log" 2>&1
  stop_devserver
  cat "$OUT/$name.log"
  if grep -q '^hello, demo-client$' "$OUT/$name.log" && grep -q '^exit 0$' "$OUT/$name.log" &&
    grep -q '^HTTP 401$' "$OUT/$name.log" && grep -q '^WWW-Authenticate: Bearer realm="api"$' "$OUT/$name.log" &&
    grep -q '^exit 3$' "$OUT/$name.log" && ! grep -qF "$token" "$OUT/$name.log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    problems+=("$name")
  fi
}

# verify-dpop-example NAME BINARY HELPER: bindings/c/examples/verify_dpop.c
# against a fresh dev server, its requests made by tests/c/dpop_headers (a
# DPoP token of demo-client, bound to core's P-256 test key, and a proof):
# the token and its proof get 200, the same proof again 401
# invalid_dpop_proof (a replay), the token as Bearer 401 dpop_bound, no
# header both schemes; in nonce mode (a secret shared by two runs, as by
# two processes of one API) 401 use_dpop_nonce with a DPoP-Nonce, then the
# proof with that nonce 200. No token or proof in what it printed.
verify_dpop_example() {
  local name="$1" bin="$2" helper="$3" rc=0 ok=1 url=https://api.example.com/orders?id=1
  local key="$ROOT/core/tests/verify_keys/p256.pem" secret=0123456789abcdef0123456789abcdef-example
  local log="$OUT/$name.log" first second third token nonce
  echo "== $name"
  start_devserver
  {
    first="$("$helper" "$DEV_TOKEN_URL" https://api.example.com "$key" GET "$url")" &&
      token="$(cut -f1 <<<"$first")" && token="${token#DPoP }" &&
      printf 'GET\t%s\t%s\nGET\t%s\t%s\nGET\t%s\tBearer %s\t-\nGET\t%s\t-\t-\n' \
        "$url" "$first" "$url" "$first" "$url" "$token" "$url" |
      ISSUER="$DEV_URL" API_AUDIENCE=https://api.example.com "$bin" || rc=$?
    echo "exit $rc"
    rc=0
    second="$("$helper" "$DEV_TOKEN_URL" https://api.example.com "$key" GET "$url")" &&
      printf 'GET\t%s\t%s\n' "$url" "$second" |
      ISSUER="$DEV_URL" API_AUDIENCE=https://api.example.com DPOP_NONCE_SECRET="$secret" "$bin" || rc=$?
    echo "exit $rc"
    rc=0
  } >"$log" 2>&1
  nonce="$(sed -n 's/^DPoP-Nonce: //p' "$log" | head -n1)"
  {
    third="$("$helper" "$DEV_TOKEN_URL" https://api.example.com "$key" GET "$url" "$nonce")" &&
      printf 'GET\t%s\t%s\n' "$url" "$third" |
      ISSUER="$DEV_URL" API_AUDIENCE=https://api.example.com DPOP_NONCE_SECRET="$secret" "$bin" || rc=$?
    echo "exit $rc"
  } >>"$log" 2>&1
  stop_devserver
  cat "$log"
  local algs='algs="ES256 ES384 EdDSA RS256 PS256"'
  [ "$(grep -c '^hello, demo-client$' "$log")" = 2 ] || ok=0
  grep -qxF 'WWW-Authenticate: DPoP realm="api", error="invalid_dpop_proof", error_description="dpop_replay", '"$algs" "$log" || ok=0
  grep -qxF 'WWW-Authenticate: DPoP realm="api", error="invalid_token", error_description="dpop_bound", '"$algs" "$log" || ok=0
  grep -qxF 'WWW-Authenticate: Bearer realm="api", DPoP realm="api", '"$algs" "$log" || ok=0
  grep -qxF 'WWW-Authenticate: DPoP realm="api", error="use_dpop_nonce", error_description="dpop_nonce", '"$algs" "$log" || ok=0
  # Two nonces given (the second may be of the next 300 s window).
  [ -n "$nonce" ] && [ "$(grep -c '^DPoP-Nonce: ' "$log")" = 2 ] || ok=0
  [ "$(grep -c '^exit ' "$log")" = 3 ] && [ "$(tail -n1 "$log")" = "exit 0" ] || ok=0
  for secretish in "$token" "$(cut -f2 <<<"$first")" "$(cut -f2 <<<"$third")"; do
    [ -n "$secretish" ] && ! grep -qF -- "${secretish##*.}" "$log" || ok=0
  done
  if [ "$ok" = 1 ]; then
    passed=$((passed + 1))
  else
    echo "expected: 200, 401 dpop_replay, 401 dpop_bound, 401 both schemes; 401 use_dpop_nonce, 200 with that nonce; no token or proof"
    failed=$((failed + 1))
    problems+=("$name")
  fi
}

# private-key-example NAME BINARY [WRAPPER...]: bindings/c/examples/private_key_jwt.c
# against a fresh dev server that knows the client's public key (core's RSA
# test key, as one uploads it to the Auth0 dashboard): a token, the API's 200,
# and no line of the private key in what it printed.
KEY_PEM="$ROOT/core/tests/verify_keys/rsa2048.pem"
python3 -c 'import json, sys
key = dict(json.load(open(sys.argv[1]))["rsa2048"], kid="rsa-1")
print(json.dumps({"clients": [{"client_id": "demo-pk-client", "auth_methods": ["private_key_jwt"],
                               "jwks": {"keys": [key]}}]}))' \
  core/tests/verify_keys/public_jwks.json >"$OUT/private-key-clients.json"
private_key_example() {
  local name="$1" bin="$2" rc=0
  shift 2
  echo "== $name"
  start_devserver --clients "$OUT/private-key-clients.json"
  AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-pk-client AUTH0_PRIVATE_KEY_FILE="$KEY_PEM" \
    AUTH0_KEY_ID=rsa-1 API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" \
    "$@" "$bin" >"$OUT/$name.log" 2>&1 || rc=$?
  stop_devserver
  cat "$OUT/$name.log"
  if [ "$rc" -eq 0 ] && grep -q '^Bearer token, expires in' "$OUT/$name.log" &&
    grep -q '^API answered 200: .*"sub":"demo-pk-client"' "$OUT/$name.log" &&
    ! grep -v -e '-----' "$KEY_PEM" | grep -qF -f - "$OUT/$name.log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    problems+=("$name")
  fi
}

# dev-control PATH [BODY]: the dev server's control API (GET, or POST with
# BODY), its answer on stdout.
dev_control() {
  python3 -c 'import sys, urllib.request
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
req = urllib.request.Request(sys.argv[1], data=body, headers={"Authorization": "Bearer " + sys.argv[2]})
print(urllib.request.urlopen(req, timeout=30).read().decode())' "$DEV_CONTROL_URL$1" "$DEV_CONTROL_TOKEN" "${@:2}"
}

# dpop-example NAME BINARY: bindings/c/examples/dpop.c against a fresh dev
# server, twice, each run checked with the server's DPoP counters: with
# nonce mode on both endpoints from the start, the token request's
# use_dpop_nonce round trip (the API then takes the nonce the client holds:
# one server, one nonce); with nonce mode at /api only, the API's 401
# use_dpop_nonce and the call once more. DPoP tokens, a 200 in the end, no
# secret in what it printed.
dpop_example() {
  local name="$1" bin="$2" rc=0 ok=1 mode stats want
  echo "== $name"
  for mode in both api; do
    rc=0
    if [ "$mode" = both ]; then
      start_devserver --dpop-nonce
      want="dpop_token_requests=2 dpop_nonce_token_requests=1 dpop_api_requests=1"
    else
      start_devserver
      dev_control /dpop '{"nonce_api": true}' >/dev/null
      want="dpop_token_requests=1 dpop_nonce_token_requests=0 dpop_api_requests=2"
    fi
    AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-client AUTH0_CLIENT_SECRET=demo-secret \
      API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" \
      "$bin" >"$OUT/$name-$mode.log" 2>&1 || rc=$?
    stats="$(dev_control /stats | python3 -c 'import json, sys
s = json.load(sys.stdin)
print(" ".join("%s=%s" % (k, s[k]) for k in ("dpop_token_requests", "dpop_nonce_token_requests", "dpop_api_requests")))' 2>&1 || true)"
    stop_devserver
    echo "-- nonce mode: $mode"
    cat "$OUT/$name-$mode.log"
    echo "dev server: $stats"
    if [ "$rc" -ne 0 ] || ! grep -q '^DPoP token, expires in' "$OUT/$name-$mode.log" ||
      ! grep -q '"ok":true' "$OUT/$name-$mode.log" || [ "$(tail -n1 "$OUT/$name-$mode.log")" != "HTTP status 200" ] ||
      grep -q demo-secret "$OUT/$name-$mode.log" || [ "$stats" != "$want" ] ||
      { [ "$mode" = api ] && ! grep -q '^HTTP status 401$' "$OUT/$name-$mode.log"; }; then
      echo "expected: exit 0, a DPoP token, HTTP status 200 last (after a 401 in mode api), counters $want"
      ok=0
    fi
  done
  if [ "$ok" = 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    problems+=("$name")
  fi
}

VECTORS=(tests/conformance tests/c/vectors_smoke)
run c-parity python3 tests/c/check_parity.py
run dyn-test_abi "$OUT/dyn/test_abi"
run dyn-test_client "$OUT/dyn/test_client"
run dyn-test_surface "$OUT/dyn/test_surface"
run dyn-test_fork "$OUT/dyn/test_fork"
run dyn-test_dpop "$OUT/dyn/test_dpop"
run dyn-test_verifier "$OUT/dyn/test_verifier"
run dyn-test_interop "$OUT/dyn/test_interop"
run dyn-conformance "$OUT/dyn/conformance" "${VECTORS[@]}"
run static-test_abi "$OUT/static/test_abi"
run static-test_client "$OUT/static/test_client"
run static-test_surface "$OUT/static/test_surface"
run static-test_fork "$OUT/static/test_fork"
run static-test_dpop "$OUT/static/test_dpop"
run static-test_verifier "$OUT/static/test_verifier"
run static-test_interop "$OUT/static/test_interop"
run static-conformance "$OUT/static/conformance" --no-fork "${VECTORS[@]}"

# The runner fails a failing vector.
echo "== conformance-runner-self-test"
if "$OUT/dyn/conformance" tests/c/vectors_smoke/must_fail >"$OUT/self-test.log" 2>&1 ||
  ! grep -q '^conformance: 0 passed, 2 failed' "$OUT/self-test.log" ||
  ! grep -q 'wrong-expectations.json: step 2: the server saw 1 token requests, expected 2' "$OUT/self-test.log" ||
  ! grep -q 'wrong-error-code.json: step 1: get_token succeeded, expected a oauth error' "$OUT/self-test.log"; then
  cat "$OUT/self-test.log"
  failed=$((failed + 1))
  problems+=("conformance runner self-test")
else
  echo "ok - the runner reports both must-fail vectors as failed"
  passed=$((passed + 1))
fi

example dyn-readme-example "$OUT/dyn/readme-example"
example static-readme-example "$OUT/static/readme-example"
verify_example dyn-verify-example "$OUT/dyn/verify-example"
verify_example static-verify-example "$OUT/static/verify-example"
verify_dpop_example dyn-verify-dpop-example "$OUT/dyn/verify_dpop-example" "$OUT/dyn/dpop_headers"
verify_dpop_example static-verify-dpop-example "$OUT/static/verify_dpop-example" "$OUT/dyn/dpop_headers"
private_key_example dyn-private-key-example "$OUT/dyn/private_key_jwt-example"
private_key_example static-private-key-example "$OUT/static/private_key_jwt-example"
dpop_example dyn-dpop-example "$OUT/dyn/dpop-example"
dpop_example static-dpop-example "$OUT/static/dpop-example"

# The CMake example, consuming m2m_auth.pc.
echo "== cmake-example"
if cmake -S bindings/c/cmake -B "$OUT/cmake-build" -DCMAKE_BUILD_TYPE=Debug >"$OUT/cmake.log" 2>&1 &&
  cmake --build "$OUT/cmake-build" >>"$OUT/cmake.log" 2>&1; then
  example cmake-example "$OUT/cmake-build/quickstart"
else
  cat "$OUT/cmake.log"
  failed=$((failed + 1))
  problems+=("cmake example build")
fi

# The benchmark builds and runs (a debug build: no figure; see --bench).
run bench-smoke bash -c "'$OUT/dyn/bench' 20000 || [ \$? -eq 3 ]"
run bench_verify-smoke "$OUT/dyn/bench_verify" 2000

# ---- 5. valgrind -------------------------------------------------------------------------
VG=(valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite
  --errors-for-leak-kinds=definite --track-origins=no)
vg_summaries=()
# valgrind-run NAME COMMAND...: the command under memcheck (log per process).
valgrind_run() {
  local name="$1"
  shift
  rm -f "$OUT/vg-logs/$name".*
  M2M_TEST_SLOW=1 run "valgrind-$name" "${VG[@]}" --log-file="$OUT/vg-logs/$name.%p" "$@"
  local f errors lost
  for f in "$OUT/vg-logs/$name".*; do
    # A log without a summary is a child that exec'd the dev server.
    grep -q 'ERROR SUMMARY' "$f" || continue
    errors="$(grep -E 'ERROR SUMMARY' "$f" | sed -E 's/.*ERROR SUMMARY: ([0-9,]+) errors.*/\1/' | tr -d , || true)"
    lost="$(grep -E 'definitely lost:' "$f" | sed -E 's/.*definitely lost: ([0-9,]+) bytes.*/\1/' | tr -d , || true)"
    suppressed="$(grep -E '  suppressed: [1-9]' "$f" | sed -E 's/.*suppressed: ([0-9,]+) bytes.*/\1/' | tr -d , || true)"
    vg_summaries+=("$name: ERROR SUMMARY: ${errors:-?} errors; definitely lost: ${lost:-0} bytes${suppressed:+ ($suppressed bytes suppressed, $(basename "$f"))}")
    if [ "${errors:-1}" != 0 ] || [ "${lost:-0}" != 0 ]; then
      failed=$((failed + 1))
      problems+=("valgrind $name: $errors errors, $lost bytes definitely lost (see $f)")
      grep -E '^==[0-9]+== ' "$f" | head -n 60
    fi
  done
}
echo "test-c: the suite under valgrind"
valgrind_run test_abi "$OUT/dyn/test_abi"
valgrind_run test_client --suppressions=tests/c/valgrind-crypto.supp "$OUT/dyn/test_client"
valgrind_run test_surface --suppressions=tests/c/valgrind-crypto.supp "$OUT/dyn/test_surface"
# The fork tests: their children cannot reach what the parent's threads held
# (see the suppressions file); memory errors stay checked.
valgrind_run test_fork --suppressions=tests/c/valgrind-fork-child.supp "$OUT/dyn/test_fork"
valgrind_run test_dpop --suppressions=tests/c/valgrind-crypto.supp "$OUT/dyn/test_dpop"
valgrind_run test_verifier --suppressions=tests/c/valgrind-crypto.supp "$OUT/dyn/test_verifier"
valgrind_run test_interop --suppressions=tests/c/valgrind-crypto.supp "$OUT/dyn/test_interop"
valgrind_run conformance --suppressions=tests/c/valgrind-crypto.supp "$OUT/dyn/conformance" --no-fork --slow "${VECTORS[@]}"
start_devserver
echo "== valgrind-readme-example"
rm -f "$OUT/vg-logs/readme-example".*
if AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-client AUTH0_CLIENT_SECRET=demo-secret \
  API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" \
  "${VG[@]}" --log-file="$OUT/vg-logs/readme-example.%p" "$OUT/dyn/readme-example" >"$OUT/vg-example.log" 2>&1; then
  passed=$((passed + 1))
else
  cat "$OUT/vg-example.log"
  failed=$((failed + 1))
  problems+=("valgrind readme-example")
fi
stop_devserver
for f in "$OUT/vg-logs/readme-example".*; do
  grep -q 'ERROR SUMMARY' "$f" || continue
  errors="$(grep -E 'ERROR SUMMARY' "$f" | sed -E 's/.*ERROR SUMMARY: ([0-9,]+) errors.*/\1/' | tr -d , || true)"
  lost="$(grep -E 'definitely lost:' "$f" | sed -E 's/.*definitely lost: ([0-9,]+) bytes.*/\1/' | tr -d , || true)"
  vg_summaries+=("readme-example: ERROR SUMMARY: ${errors:-?} errors; definitely lost: ${lost:-0} bytes")
done

# ---- 6. ASan + UBSan -----------------------------------------------------------------------
echo "test-c: the suite under AddressSanitizer + UndefinedBehaviorSanitizer"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
run asan-test_abi "$OUT/asan/test_abi"
run asan-test_client "$OUT/asan/test_client"
run asan-test_surface "$OUT/asan/test_surface"
run asan-test_fork "$OUT/asan/test_fork"
run asan-test_dpop "$OUT/asan/test_dpop"
run asan-test_verifier "$OUT/asan/test_verifier"
run asan-test_interop "$OUT/asan/test_interop"
run asan-conformance "$OUT/asan/conformance" "${VECTORS[@]}"
unset ASAN_OPTIONS UBSAN_OPTIONS

# ---- summary -----------------------------------------------------------------------------------
echo
echo "valgrind (memcheck):"
printf '  %s\n' "${vg_summaries[@]}"
if [ "${#problems[@]}" -gt 0 ]; then
  echo "failures:"
  printf '  %s\n' "${problems[@]}"
fi
echo "test-c: done in ${SECONDS} s"
echo "c: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#problems[@]}" -eq 0 ]
