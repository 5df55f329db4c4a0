#!/usr/bin/env bash
# Builds and tests the Go module (go/, package m2mauth, cgo over libm2m_auth):
#   scripts/test-go.sh      gofmt, go vet, go test ./... (`make test-go` runs it)
#
# Finds go (/usr/local/go/bin/go, else PATH; none: Debian's golang-go via
# apt-get; older than the go.mod's Go: that toolchain from the module proxy),
# builds the C library and the dev server with cargo unless M2M_AUTH_LIB_DIR
# (a directory holding libm2m_auth.so) and M2M_AUTH_DEVSERVER are set, checks
# that gofmt has nothing to say and go vet is clean, then runs go test ./...:
# every shared conformance vector (tests/conformance, a fresh dev server each;
# "conformance: N passed, N failed, N skipped"; and those with a call_api
# step once more through the http.RoundTripper), a 10,000-goroutine herd on a
# cold cache (one token request), the http.RoundTripper, the context, the
# errors, the oauth2.TokenSource adapter, the surface parity; then builds the
# README's quickstart (go/examples/quickstart) and runs it against the dev
# server. Modules come from the Go module proxy (go.sum is committed).
# Exits non-zero on any failure. Build output goes to target/go-tests.
. "$(dirname "$0")/lib.sh"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# ---- 1. go, gcc ----------------------------------------------------------------
apt_install gcc libc6-dev binutils
OUT="$ROOT/target/go-tests"
mkdir -p "$OUT/lib"
want_go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' go/go.mod)"
GO=""
if [ -x /usr/local/go/bin/go ]; then
  GO=/usr/local/go/bin/go
elif command -v go >/dev/null 2>&1; then
  GO="$(command -v go)"
else
  apt_install golang-go
  GO="$(command -v go)"
fi
# Go 1.21 and later fetch the toolchain go.mod asks for by themselves
# (GOTOOLCHAIN=auto); an older go gets it here, from the module proxy.
have_go="$("$GO" env GOVERSION 2>/dev/null | sed 's/^go//')"
if [ -z "$have_go" ] || [ "$(printf '%s\n' 1.21 "$have_go" | sort -V | head -n1)" != 1.21 ]; then
  apt_install curl unzip ca-certificates
  arch="$(dpkg --print-architecture)"
  zip="$OUT/toolchain-go$want_go.zip"
  if [ ! -x "$OUT/toolchain/golang.org/toolchain@v0.0.1-go$want_go.linux-$arch/bin/go" ]; then
    echo "test-go: go $have_go is too old: fetching go $want_go from the module proxy"
    curl -fsSL -o "$zip" "${GOPROXY_URL:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-go$want_go.linux-$arch.zip"
    rm -rf "$OUT/toolchain" && mkdir -p "$OUT/toolchain" && unzip -q "$zip" -d "$OUT/toolchain"
    chmod +x "$OUT/toolchain/golang.org/toolchain@v0.0.1-go$want_go.linux-$arch/bin/"* \
      "$OUT/toolchain/golang.org/toolchain@v0.0.1-go$want_go.linux-$arch/pkg/tool/"*/* 2>/dev/null || true
  fi
  GO="$OUT/toolchain/golang.org/toolchain@v0.0.1-go$want_go.linux-$arch/bin/go"
fi
GOFMT="$(dirname "$GO")/gofmt"
echo "test-go: $("$GO" version)"

# ---- 2. the C library and the dev server ---------------------------------------
if [ -n "${M2M_AUTH_LIB_DIR:-}" ]; then
  LIBDIR="$M2M_AUTH_LIB_DIR"
  [ -n "${M2M_AUTH_DEVSERVER:-}" ] || build_devserver
else
  echo "test-go: building libm2m_auth and the dev server"
  c_build
  LIBDIR="$TARGET_DIR/debug"
fi
export M2M_AUTH_DEVSERVER="${M2M_AUTH_DEVSERVER:-$TARGET_DIR/debug/m2m-auth-devserver}"
# A directory of our own with the library under both names a link and a
# run ask for (libm2m_auth.so, and its soname).
soname="$(readelf -d "$LIBDIR/libm2m_auth.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
ln -sfn "$LIBDIR/libm2m_auth.so" "$OUT/lib/libm2m_auth.so"
[ -z "$soname" ] || ln -sfn "$LIBDIR/libm2m_auth.so" "$OUT/lib/$soname"
export CGO_ENABLED=1
export CGO_LDFLAGS="-L$OUT/lib -Wl,-rpath,$OUT/lib${CGO_LDFLAGS:+ $CGO_LDFLAGS}"
export LD_LIBRARY_PATH="$OUT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# ---- 3. gofmt, go vet, go test -----------------------------------------------------
cd "$ROOT/go"
unformatted="$("$GOFMT" -l .)"
if [ -n "$unformatted" ]; then
  echo "test-go: gofmt would change: $unformatted" >&2
  exit 1
fi
echo "test-go: gofmt -l: nothing"
"$GO" vet ./...
echo "test-go: go vet ./...: clean"
log="$OUT/go-test.log"
rc=0
"$GO" test -count=1 -v -timeout 10m ./... >"$log" 2>&1 || rc=$?
grep -E '^(not ok - |conformance|herd: |--- FAIL|FAIL|ok  |panic:)' "$log" || true
if [ "$rc" != 0 ]; then
  echo "test-go: go test failed (the whole output: $log)" >&2
  exit "$rc"
fi

# ---- 4. the README's quickstart against the dev server ---------------------------
"$GO" build -buildvcs=false -o "$OUT/quickstart" ./examples/quickstart
cd "$ROOT"
start_devserver
out="$(AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-client AUTH0_CLIENT_SECRET=demo-secret \
  API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" "$OUT/quickstart")"
echo "$out"
grep -q '^API answered 200: ' <<<"$out"
stop_devserver
echo "test-go: passed (${SECONDS} s)"
