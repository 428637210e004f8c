"""Gives an older checkout's `benches/load.rs` today's `overhead` measurement, so that
scripts/compare-overhead.sh compares two builds measured alike (issue 12's baseline, `25915c7`,
predates the block and CPU columns and the worker-thread driver).

    python3 benches/patch_baseline_overhead.py ../base    # then, in ../base:
    cargo bench --bench load --no-run

It copies from this checkout's bench: the BLOCK constants and `process_cpu_secs`, the
OVERHEAD_ONLY filter, the block rounds with their two columns, and the `overhead` scenario run on
a worker thread. The baseline's own cases and bare calls stay as they are. It refuses (with the
text it did not find) rather than guess, should the baseline's bench differ from `25915c7`'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "load.rs"
SPAWNED = '"overhead" => rt.block_on(async { tokio::spawn(overhead()).await.unwrap() }),'


def between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i)]


def replace_once(text: str, old: str, new: str) -> str:
    if old not in text:
        sys.exit(f"not found in the baseline's bench: {old[:80]!r}")
    return text.replace(old, new, 1)


def main() -> None:
    target = Path(sys.argv[1]) / "benches" / "load.rs"
    ours, theirs = HERE.read_text(), target.read_text()
    if "process_cpu_secs" in theirs:
        sys.exit("the baseline's bench already has the block columns")
    helpers = between(ours, "const BLOCK: usize", "/// The upstream calls a tool makes")
    blocks = between(ours, "        // Blocks: BLOCK tool calls", "        let tp = percentiles(&mut tool_t);")
    s = replace_once(theirs, "const OVERHEAD_ITERS: usize = 400;\n", "const OVERHEAD_ITERS: usize = 400;\n" + helpers)
    s = replace_once(
        s,
        "| overhead p50 (tool p50 − upstream p50) | median of paired differences |\"",
        "| overhead p50 (tool p50 − upstream p50) | median of paired differences | block overhead \
(mean, median of {BLOCK_ROUNDS} rounds) | CPU overhead (block) |\"",
    )
    s = replace_once(s, 'println!("|---|---|---|---|---|---|---|");', 'println!("|---|---|---|---|---|---|---|---|---|");')
    s = replace_once(
        s,
        "        let tool = label.split(' ').next().unwrap();\n",
        "        let tool = label.split(' ').next().unwrap();\n"
        '        if std::env::var("OVERHEAD_ONLY")\n'
        "            .is_ok_and(|o| !o.is_empty() && !o.split(',').any(|x| x == tool))\n"
        "        {\n            continue;\n        }\n",
    )
    s = replace_once(
        s,
        "        diffs.sort_by(f64::total_cmp);\n        let tp = percentiles(&mut tool_t);",
        "        diffs.sort_by(f64::total_cmp);\n" + blocks + "        let tp = percentiles(&mut tool_t);",
    )
    s = replace_once(s, '"| {label} | {} | {} | {} | {} | **{}** | {} |",', '"| {label} | {} | {} | {} | {} | **{}** | {} | {} | {} |",')
    s = replace_once(
        s,
        "            fmt_us(diffs[diffs.len() / 2] * 1e6),\n",
        "            fmt_us(diffs[diffs.len() / 2] * 1e6),\n"
        "            fmt_us(rounds[rounds.len() / 2] * 1e6),\n"
        "            fmt_us(cpu_rounds[cpu_rounds.len() / 2] * 1e6),\n",
    )
    s = replace_once(s, '"overhead" => rt.block_on(overhead()),', SPAWNED)
    target.write_text(s)
    print(f"patched {target}")


if __name__ == "__main__":
    main()
