#!/usr/bin/env bash
# Instructions per token verification, counted by callgrind (figures that do
# not move with the machine's load; issue #13): for RS256 and ES256, raw ring,
# the Verifier uncached and cached, and the jsonwebtoken crate. Each figure is
# (count with N = 2000 − count with N = 0) / 2000, from the verify bench's
# M2M_VERIFY_CALLGRIND mode (core/benches/verify.rs).
#
#   scripts/verify-instructions.sh [CONTENDER...]   (default: all four)
#
# VERIFY_BENCH=PATH counts with that bench binary instead of building one
# (to compare two builds).
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null 2>&1 || apt_install valgrind
N=2000
bench=${VERIFY_BENCH:-}
[ -n "$bench" ] || bench=$("$CARGO" bench -p m2m-auth --bench verify --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "verify" and m.get("executable"):
        print(m["executable"])')
contenders=("$@")
[ ${#contenders[@]} -gt 0 ] || contenders=(ring uncached cached jsonwebtoken)
count() { # ALG CONTENDER N: the instructions of one run
  M2M_VERIFY_CALLGRIND="$1,$2,$3" valgrind --tool=callgrind \
    --callgrind-out-file=/dev/null "$bench" 2>&1 >/dev/null |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
printf '%-6s %-13s %12s\n' alg contender 'instr/verify'
for alg in RS256 ES256; do
  for c in "${contenders[@]}"; do
    base=$(count "$alg" "$c" 0)
    full=$(count "$alg" "$c" "$N")
    printf '%-6s %-13s %12d\n' "$alg" "$c" $(((full - base) / N))
  done
done
