#!/usr/bin/env bash
# Coverage-guided fuzzing (issue #11): builds the cargo-fuzz targets in fuzz/
# and runs each for SECONDS, then prints executions and crashes per target.
# Not part of `make test` (it needs nightly and takes SECONDS per target).
#
#   scripts/fuzz.sh SECONDS [TARGET...]     (default: every target)
#
# Environment: FUZZ_TARGET_DIR (cargo's target directory for the fuzz build,
# default fuzz/target), FUZZ_SANITIZER (address, the default, or none:
# faster, for the targets without unsafe code; give each its own
# FUZZ_TARGET_DIR, or every switch rebuilds everything), FUZZ_RSS_MB
# (libFuzzer's -rss_limit_mb, default 2048), FUZZ_TIMEOUT (seconds one input
# may take, default 10).
#
# Each run starts from the checked-in seeds (fuzz/corpus/TARGET, read only)
# plus what earlier runs found (fuzz/corpus-work/TARGET, not checked in).
# A crash leaves its input in fuzz/artifacts/TARGET/ and makes the script
# exit 1; reproduce it with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# and turn it into a regression test (fuzz/README.md).
. "$(dirname "$0")/lib.sh"

seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || {
  echo "$SCRIPT_NAME: SECONDS must be a positive integer" >&2
  exit 2
}
target_dir=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}
sanitizer=${FUZZ_SANITIZER:-address}
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! "$CARGO" fuzz --version >/dev/null 2>&1; then
  "$CARGO" install cargo-fuzz --locked
fi

cd "$ROOT/fuzz"
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <("$CARGO" +nightly fuzz list)
fi
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
# Optimized, with debug assertions and overflow checks (cargo fuzz's default).
build_args=() # one target: build it alone; else all of them
[[ ${#targets[@]} -eq 1 ]] && build_args=("${targets[0]}")
"$CARGO" +nightly fuzz build --sanitizer "$sanitizer" --target-dir "$target_dir" "${build_args[@]}"

logs=$(mktemp -d)
on_exit 'rm -rf "$logs"'
failed=0
total=0
echo "== ${seconds} s per target, sanitizer $sanitizer, -rss_limit_mb=$rss_mb"
printf '%-26s %14s %10s %8s\n' target executions exec/s crashes
for t in "${targets[@]}"; do
  bin="$target_dir/$triple/release/$t"
  work="$ROOT/fuzz/corpus-work/$t"
  artifacts="$ROOT/fuzz/artifacts/$t"
  mkdir -p "$work" "$artifacts"
  before=$(find "$artifacts" -type f | wc -l)
  rc=0
  "$bin" "$work" "$ROOT/fuzz/corpus/$t" \
    -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" \
    >"$logs/$t.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -n 1)
  crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
  if [[ $rc -ne 0 && $crashes -eq 0 ]]; then
    crashes=1 # it died without writing an input (e.g. out of memory at start)
  fi
  printf '%-26s %14s %10s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes"
  total=$(( total + ${execs:-0} ))
  if [[ $crashes -gt 0 ]]; then
    failed=1
    echo "--- $t (exit $rc): the end of its log" >&2
    grep -v '^#' "$logs/$t.log" | tail -n 40 >&2
  fi
done
echo "total executions: $total"
if [[ $failed -ne 0 ]]; then
  echo "$SCRIPT_NAME: a target crashed; its input is in fuzz/artifacts/" >&2
  exit 1
fi
