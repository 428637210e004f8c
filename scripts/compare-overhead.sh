#!/usr/bin/env bash
# Compares the per-tool server overhead of two builds fairly: their `overhead` bench binaries run
# alternately on the same machine, RUNS times each (default 7), and the median over the runs of
# each tool's "median of paired differences" and "block overhead" columns is printed with the
# change. One build's figures taken at another time (another load) are not comparable; this is
# how BENCHMARKS.md's issue-12 tables were made. A baseline older than the block column needs
# today's measurement in its bench first: `python3 benches/patch_baseline_overhead.py BEFORE_DIR`.
#
#   scripts/compare-overhead.sh BEFORE_DIR AFTER_DIR
#
# Each directory is a checkout whose bench binary is built (`cargo bench --bench load --no-run`).
set -euo pipefail
before=${1:?checkout of the baseline}
after=${2:?checkout to compare}
runs=${RUNS:-7}
bench_of() {
  ls -t "$1"/target/release/deps/load-* | grep -v '\.d$' | head -1
}
b=$(bench_of "$before")
a=$(bench_of "$after")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# ISOLATED=1: each tool in a process of its own (OVERHEAD_ONLY), so that no tool's figures carry
# what the calls before it left behind (the search rows run first otherwise).
if [ -n "${ISOLATED:-}" ]; then
  tools="search_employee get_pto_balance list_absences list_time_off_types"
else
  tools="all"
fi
for _ in $(seq "$runs"); do
  for t in $tools; do
    only=""
    [ "$t" = all ] || only="$t"
    (cd "$before" && OVERHEAD_ONLY=$only "$b" overhead | grep '^| [a-z_]* ' | grep -v '^| tool' >> "$out/before")
    (cd "$after" && OVERHEAD_ONLY=$only "$a" overhead | grep '^| [a-z_]* ' | grep -v '^| tool' >> "$out/after")
  done
done
python3 - "$out/before" "$out/after" <<'PY'
import statistics, sys

def micros(cell):
    value, unit = cell.split()[:2]
    return float(value) * {"s": 1e6, "ms": 1e3}.get(unit, 1)

def load(path, column):
    rows = {}
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.setdefault(cells[0], []).append(micros(cells[column]))
    return rows

for title, column in (("median of paired differences", 6), ("block overhead", 7), ("CPU overhead (block)", 8)):
    before, after = load(sys.argv[1], column), load(sys.argv[2], column)
    print(f"\n{title}\n\n| tool | before | after | change |\n|---|---|---|---|")
    for tool, samples in before.items():
        b, a = statistics.median(samples), statistics.median(after.get(tool, [float("nan")]))
        print(f"| {tool} | {b:.1f} µs | {a:.1f} µs | {100 * (a - b) / b:+.0f} % |")
PY
