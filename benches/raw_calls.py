"""Server-side cost per tool call, without any MCP SDK in the way (BENCHMARKS.md, issue 16, session 6).

Starts `personio-mcp sandbox --employees 2000` (real limits) and `personio-mcp serve` against it
(`PERSONIO_API=v1`), sends `initialize`, one cold search, then CALLS calls each of search_employee,
get_pto_balance, list_absences (one person, one year) and list_time_off_types as raw JSON-RPC
lines over the server's stdio pipes, one at a time. Per tool it prints the p50 latency and the
server's and the stand-in's CPU time per call (`utime + stime` of /proc/PID/stat around the block;
clock ticks are 10 ms, so use a few hundred calls), and the server's RSS (anonymous / file) after
`initialize` and at the end. Keep CALLS × 4 under ~1,000 for latency figures: after 1,000 v1
requests in quick succession the client paces at one request per 60 ms (Personio's 2,000 a minute,
burst and refill), which is waiting, not CPU, but shows in the p50.

  .venv/bin/python benches/raw_calls.py --bin target/release/personio-mcp [--calls 300]
  .venv/bin/python benches/raw_calls.py --bin ./heaptrack-wrapper.sh   # any executable taking `serve`

`--sandbox-bin` picks the stand-in's binary (default: --bin), so that two server builds can be
compared against the same stand-in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

from raw_rpc import RawSession  # benches/raw_rpc.py, beside this script


def rss(pid: int) -> str:
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = int(line.split()[1]) / 1024
    return f"{fields['VmRSS']:.1f} MiB (anon {fields['RssAnon']:.1f}, file {fields['RssFile']:.1f})"


def cpu_secs(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sandbox-bin")
    ap.add_argument("--calls", type=int, default=300)
    opts = ap.parse_args()
    sandbox = subprocess.Popen(
        [opts.sandbox_bin or opts.bin, "sandbox", "--employees", "2000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert sandbox.stdout is not None
    base = sandbox.stdout.readline().decode().strip()
    env = dict(
        os.environ,
        RUST_LOG="warn",
        PERSONIO_BASE_URL=base,
        PERSONIO_CLIENT_ID="sandbox-client",
        PERSONIO_CLIENT_SECRET="sandbox-secret",
        PERSONIO_API="v1",
    )
    server = RawSession(opts.bin, env)
    try:
        time.sleep(0.3)
        idle = rss(server.pid)
        first = server.tool("search_employee", {"query": "müller", "limit": 5})
        person = first["result"]["structuredContent"]["employees"][0]
        pid = str(person["id"])
        year = time.gmtime().tm_year
        calls = [
            ("search_employee", {"query": person["name"]}),
            ("get_pto_balance", {"employee": pid}),
            ("list_absences", {"employee": pid, "from": f"{year}-01-01", "to": f"{year}-12-31"}),
            ("list_time_off_types", {}),
        ]
        print("| tool | p50 | server CPU per call | stand-in CPU per call |")
        print("|---|---|---|---|")
        for tool, args in calls:
            for _ in range(5):
                server.tool(tool, args)
            samples = []
            before, before_sandbox = cpu_secs(server.pid), cpu_secs(sandbox.pid)
            for _ in range(opts.calls):
                t = time.perf_counter()
                server.tool(tool, args)
                samples.append((time.perf_counter() - t) * 1e6)
            cpu = (cpu_secs(server.pid) - before) / opts.calls * 1e6
            upstream = (cpu_secs(sandbox.pid) - before_sandbox) / opts.calls * 1e6
            print(f"| {tool} | {statistics.median(samples):.0f} µs | {cpu:.0f} µs | {upstream:.0f} µs |")
        print(f"\nRSS after initialize {idle}; at the end {rss(server.pid)}")
    finally:
        server.close()
        sandbox.terminate()
        sandbox.wait(timeout=30)


if __name__ == "__main__":
    main()
