#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for a bounded time (libFuzzer
# -max_total_time). Not part of CI: run it by hand (docs/fuzzing.md).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# Environment:
#   FUZZ_TARGETS    space-separated subset of targets (default: all, see `cargo fuzz list`)
#   FUZZ_SANITIZER  address (default) or none (faster; panics are found either way)
#   FUZZ_TOOLCHAIN  rustup toolchain for the build (default: the default one). cargo-fuzz wants
#                   nightly-only flags; the stable compiler accepts them with RUSTC_BOOTSTRAP=1,
#                   which this script sets, so no nightly toolchain is needed.
#   FUZZ_EXTRA      extra libFuzzer flags, e.g. "-jobs=2 -workers=2"
#
# Needs cargo-fuzz (installed from crates.io at the pinned version when missing).
# Corpora grow in fuzz/corpus/<target>/ (seeded from fuzz/seeds/<target>/ and, for the payload
# target, the Personio fixtures in tests/fixtures/personio/fixtures when present); crashes land in
# fuzz/artifacts/<target>/ with a minimized copy, logs in fuzz/artifacts/logs/. All git-ignored.
# Before fuzzing a target, the inputs in fuzz/regressions/<target>/ (known crashers, committed)
# are replayed; one that still crashes fails the target but fuzzing goes on. To keep fuzzing past
# a crash, pass FUZZ_EXTRA="-fork=1 -ignore_crashes=1" (execution counts are then not summed).
# Exit status: 0 when no target crashed, 1 otherwise. Last line: `fuzz: N passed, M failed`
# (targets).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/fuzz"
CARGO_FUZZ_VERSION="0.13.2"
SECS="${1:-60}"
SANITIZER="${FUZZ_SANITIZER:-address}"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

log() { echo "fuzz: $*" >&2; }
die() { log "ERROR: $*"; exit 2; }

case "$SECS" in '' | *[!0-9]*) die "SECONDS_PER_TARGET must be a whole number, got '$SECS'" ;; esac
case "$SANITIZER" in address | none) ;; *) die "FUZZ_SANITIZER must be address or none" ;; esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION from crates.io"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked 1>&2
fi

toolchain=()
[ -n "${FUZZ_TOOLCHAIN:-}" ] && toolchain=("+$FUZZ_TOOLCHAIN")
export RUSTC_BOOTSTRAP=1

cd "$FUZZ"
mapfile -t ALL < <(cargo "${toolchain[@]}" fuzz list)
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a TARGETS <<<"$FUZZ_TARGETS"
else
  TARGETS=("${ALL[@]}")
fi

log "building ${#TARGETS[@]} target(s) (sanitizer: $SANITIZER; $(cargo fuzz --version))"
t0=$SECONDS
for t in "${TARGETS[@]}"; do
  cargo "${toolchain[@]}" fuzz build --sanitizer "$SANITIZER" "$t" 1>&2 || die "build of $t failed"
done
log "built in $((SECONDS - t0)) s"

# Where cargo-fuzz puts the binaries (release profile, the host triple).
BIN_DIR="$FUZZ/target/$TRIPLE/release"

# libFuzzer options per target: dictionary and input size.
options_for() {
  case "$1" in
    personio_payload) echo "-dict=$FUZZ/dict/json.dict -max_len=16384" ;;
    tool_args) echo "-dict=$FUZZ/dict/json.dict -max_len=4096" ;;
    lenient_text) echo "-dict=$FUZZ/dict/dates.dict -max_len=1024" ;;
    transport_config) echo "-max_len=1024" ;;
    *) echo "-max_len=4096" ;;
  esac
}

mkdir -p "$FUZZ/artifacts/logs"
passed=0
failed=0
total_execs=0
total_secs=0
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$FUZZ/corpus/$t"
  artifacts="$FUZZ/artifacts/$t"
  logf="$FUZZ/artifacts/logs/$t.log"
  mkdir -p "$corpus" "$artifacts"
  dirs=("$corpus")
  [ -d "$FUZZ/seeds/$t" ] && dirs+=("$FUZZ/seeds/$t")
  if [ "$t" = personio_payload ] && [ -d "$ROOT/tests/fixtures/personio/fixtures" ]; then
    while IFS= read -r d; do dirs+=("$d"); done \
      < <(find "$ROOT/tests/fixtures/personio/fixtures" -mindepth 1 -maxdepth 1 -type d)
  fi
  # Known crashers first (fuzz/regressions/<target>/): each must run clean once its bug is fixed.
  regressions=0
  if [ -d "$FUZZ/regressions/$t" ]; then
    for input in "$FUZZ/regressions/$t"/*; do
      [ -f "$input" ] || continue
      if ! "$BIN_DIR/$t" "$input" >"$logf.regression" 2>&1; then
        regressions=$((regressions + 1))
        log "$t: regression input ${input#"$ROOT"/} still crashes:"
        grep -m 2 -A 1 'panicked at' "$logf.regression" | sed 's/^/  /' >&2 || true
      fi
    done
  fi
  marker="$logf.start"
  : >"$marker"
  log "running $t for $SECS s (corpus $(find "$corpus" -type f | wc -l) files)"
  start=$SECONDS
  rc=0
  # shellcheck disable=SC2046,SC2086
  "$BIN_DIR/$t" "${dirs[@]}" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" $(options_for "$t") ${FUZZ_EXTRA:-} \
    >"$logf" 2>&1 || rc=$?
  took=$((SECONDS - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -n 1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logf" | tail -n 1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$logf" | tail -n 1)
  execs=${execs:-0}
  total_execs=$((total_execs + execs))
  total_secs=$((total_secs + took))
  corpus_n=$(find "$corpus" -type f | wc -l)
  # Failures libFuzzer writes (slow-unit-* files are only reports).
  crash=$(find "$artifacts" -maxdepth 1 -type f -newer "$marker" \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) ! -name '*.min' \
    | head -n 1)
  if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
    status="ok"
    if [ "$regressions" -gt 0 ]; then status="KNOWN"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
    summary+=("$(printf '%-5s %-18s %4s s  %10s execs  %6s/s  corpus %5s  rss %4s MB%s' \
      "$status" "$t" "$took" "$execs" "${eps:-?}" "$corpus_n" "${rss:-?}" \
      "$([ "$regressions" -eq 0 ] || echo "  ($regressions regression input(s) still crash)")")")
    continue
  fi
  failed=$((failed + 1))
  summary+=("$(printf 'CRASH %-18s %4s s  %10s execs  exit %s  %s' "$t" "$took" "$execs" "$rc" \
    "${crash#"$ROOT"/}")")
  log "$t FAILED (exit $rc); log: ${logf#"$ROOT"/}"
  grep -m 3 -E 'panicked at|ERROR: libFuzzer|SUMMARY:' "$logf" | sed 's/^/  /' >&2 || true
  if [ -n "$crash" ] && [ -f "$crash" ]; then
    log "minimizing ${crash#"$ROOT"/} (60 s)"
    "$BIN_DIR/$t" -minimize_crash=1 -max_total_time=60 -exact_artifact_path="$crash.min" "$crash" \
      >"$logf.minimize" 2>&1 || true
    [ -f "$crash.min" ] && log "minimized: ${crash#"$ROOT"/}.min ($(wc -c <"$crash.min") bytes)"
    log "reproduce: $BIN_DIR/$t ${crash#"$ROOT"/}"
  fi
done

log "results (sanitizer $SANITIZER, $SECS s per target):"
for line in "${summary[@]}"; do log "  $line"; done
log "total: $total_execs executions in $total_secs s of fuzzing"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
