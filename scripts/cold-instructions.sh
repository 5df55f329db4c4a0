#!/usr/bin/env bash
# The cost of one cold token request (fetch_token: the POST to the token
# endpoint and its answer parsed) in figures that do not move with the
# machine's load (issue #17): instructions counted by callgrind, context
# switches and CPU time from getrusage, from Rust (the hot_path bench's
# M2M_BENCH_COLD_ONLY mode) and from C (scripts/bench/cold.c --cold-only),
# against the release dev server (--cheap-tokens, a separate process, not
# counted). Instructions per request are (count with N = 2000 − count with
# N = 0) / 2000; the breakdown is the same difference per function
# (callgrind_annotate, inclusive) and per crate (exclusive).
#
#   scripts/cold-instructions.sh [rust|c ...]   (default: both)
#
# COLD_TOP=K prints K functions (default 30). COLD_BENCH=PATH (the hot_path
# bench binary) and COLD_BENCH_C=PATH (bench-c) count with those builds
# instead of building (to compare two builds). COLD_KEEP=DIR keeps the
# callgrind files there.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null 2>&1 || apt_install valgrind
N=2000
top=${COLD_TOP:-30}
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(rust c)
out=${COLD_KEEP:-$(mktemp -d)}
mkdir -p "$out"
[ -n "${COLD_KEEP:-}" ] || on_exit "rm -rf '$out'"
build_devserver --release

rust_bench() {
  [ -z "${COLD_BENCH:-}" ] || { echo "$COLD_BENCH"; return; }
  "$CARGO" bench -p m2m-auth --bench hot_path --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "hot_path" and m.get("executable"):
        print(m["executable"])'
}
c_bench() {
  [ -z "${COLD_BENCH_C:-}" ] || { echo "$COLD_BENCH_C"; return; }
  M2M_C_PROFILE=release c_build >&2
  gcc -std=c11 -Wall -Wextra -Werror -O2 -g -Iinclude -Itests/c scripts/bench/cold.c \
    tests/c/support/*.c "$TARGET_DIR/release/libm2m_auth.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
    -o "$out/bench-c" >&2
  echo "$out/bench-c"
}
run() { # LANG BIN N: runs N cold requests (plus 20 to warm up)
  case $1 in
    rust) M2M_BENCH_COLD_ONLY=$3 "$2" ;;
    c) "$2" --cold-only "$3" ;;
  esac
}

for lang in "${langs[@]}"; do
  case $lang in
    rust) bin=$(rust_bench) ;;
    c) bin=$(c_bench) ;;
    *) echo "unknown language $lang (rust or c)" >&2; exit 2 ;;
  esac
  [ -x "$bin" ] || { echo "no bench binary for $lang" >&2; exit 1; }
  echo "== $lang: cold token request (fetch_token), dev server --cheap-tokens"
  # Context switches and CPU without valgrind (which serialises threads);
  # for Rust also with each request a task of the runtime (as the Python
  # binding's and the C library's requests run).
  switches() { # LABEL LINE
    python3 - "$N" "$1" "$2" <<'EOF'
import re, sys
n, label = int(sys.argv[1]), sys.argv[2]
v, i, cpu = map(int, re.search(r"(\d+) voluntary \+ (\d+) involuntary context switches, (\d+)", sys.argv[3]).groups())
print(f"{label}context switches/request: {v / n:.2f} voluntary + {i / n:.2f} involuntary; CPU {cpu / n:.1f} µs/request (this process, all threads)")
EOF
  }
  switches "" "$(run "$lang" "$bin" "$N" 2>&1 >/dev/null | grep '^cold-only:')"
  if [ "$lang" = rust ]; then
    switches "as tasks: " "$(M2M_BENCH_COLD_TASK=1 run rust "$bin" "$N" 2>&1 >/dev/null | grep '^cold-only:')"
  fi
  for n in 0 "$N"; do
    case $lang in
      rust) M2M_BENCH_COLD_ONLY=$n valgrind --tool=callgrind --callgrind-out-file="$out/$lang.$n.cg" "$bin" ;;
      c) valgrind --tool=callgrind --callgrind-out-file="$out/$lang.$n.cg" "$bin" --cold-only "$n" ;;
    esac >/dev/null 2>&1
    callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$out/$lang.$n.cg" >"$out/$lang.$n.incl"
    callgrind_annotate --auto=no --threshold=100 "$out/$lang.$n.cg" >"$out/$lang.$n.self"
  done
  python3 "$ROOT/scripts/bench/cold_breakdown.py" "$out/$lang" "$N" "$top"
done
