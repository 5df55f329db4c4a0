#!/usr/bin/env bash
# The project benchmark (issue #17; not part of `make test`): one table for
# Rust, C, Python and Node in one run -- hot path, cold path, herd, API loop,
# load time and RSS -- next to the floors (RwLock / dict / Map, `wrk -t1 -c1`,
# plain HTTP clients), the fastest peer of each language and Go's x/oauth2.
#
#   scripts/bench.sh            BENCH_ROUNDS (default 3) alternating rounds:
#                               every language once per round, medians printed
#   BENCH_ONLY="rust go"        only these languages (rust c python node go)
#
# Builds release binaries (the dev server, the Python extension,
# libm2m_auth; the Node addon as it ships, with the dist profile), installs
# what it needs (wrk and Go's x/oauth2 from Debian, the Python and Node peers
# from their registries). The machine is
# rarely quiet: compare the ratios of one run, not figures across runs.
. "$(dirname "$0")/lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
ONLY=" ${BENCH_ONLY:-rust c python node go} "
wants() { [[ "$ONLY" == *" $1 "* ]]; }
OUT="$TARGET_DIR/bench"
rm -rf "$OUT/json"
mkdir -p "$OUT/json"
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# ---- building --------------------------------------------------------------------
apt_install wrk
build_devserver --release
if wants go; then
  apt_install golang-golang-x-oauth2-dev
  GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  # Debian's x/oauth2 sits in a GOPATH tree: a GOPATH build, no module proxy.
  mkdir -p "$OUT/go/src/m2m-bench"
  cp scripts/bench/go/main.go "$OUT/go/src/m2m-bench/"
  (cd "$OUT/go/src/m2m-bench" && GO111MODULE=off GOFLAGS= GOPATH="$OUT/go:/usr/share/gocode" \
    "$GO" build -o "$OUT/bench-go" .)
fi
if wants rust; then
  "$CARGO" bench -q --no-run -p m2m-auth --bench hot_path
fi
if wants python; then
  M2M_AUTH_PYTHON_PROFILE=release python_build httpx requests httpx-auth authlib requests-oauth2client
fi
if wants node; then
  node_deps
  # The addon users install: cargo's dist profile (fat LTO, stripped), built
  # as scripts/package-node.sh builds it, where node/bench looks for it.
  "$CARGO" build -q --profile dist -p m2m-auth-node
  mkdir -p node/bench/.release
  cp "$TARGET_DIR/dist/libm2m_auth_node.so" node/bench/.release/m2m-auth.node
fi
if wants c; then
  M2M_C_PROFILE=release c_build
  gcc -std=c11 -Wall -Wextra -Werror -O2 -Iinclude -Itests/c scripts/bench/cold.c \
    tests/c/support/*.c "$TARGET_DIR/release/libm2m_auth.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
    -o "$OUT/bench-c"
fi

# ---- running: every language once per round --------------------------------------
run_go() {
  start_devserver --cheap-tokens
  "$OUT/bench-go" -token-url "$DEV_TOKEN_URL" -api-url "$DEV_API_URL" \
    -control-url "$DEV_CONTROL_URL" -control-token "$DEV_CONTROL_TOKEN" >"$1"
  stop_devserver
}
run_rust() {
  M2M_BENCH_JSON="$1" "$CARGO" bench -q -p m2m-auth --bench hot_path >"$OUT/rust.log" 2>&1
}
run_python() {
  (cd / && "$PY" "$ROOT/python/bench/bench.py" --json "$1" >"$OUT/python.log")
}
run_node() {
  (cd node && node bench/run.mjs --quick --long-api --only=hot,cold,concurrency,load,api --json "$1" >"$OUT/node.log")
}
run_c() {
  "$OUT/bench-c" "$1" >"$OUT/c.log"
}
for ((r = 1; r <= ROUNDS; r++)); do
  for lang in rust c python node go; do
    wants "$lang" || continue
    echo "bench: round $r/$ROUNDS: $lang" >&2
    "run_$lang" "$OUT/json/$lang-$r.json"
  done
done
python3 scripts/bench/table.py "$OUT/json"
echo
echo "(each language's own report of its last round: $OUT/{rust,c,python,node}.log)"
