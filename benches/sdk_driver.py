"""Load driver for `cargo bench --bench load -- sdk` (issue 16): the official MCP Python SDK drives
`personio-mcp serve` over stdio against a running sandbox, the way an assistant's client does.

Per function it sends CALLS calls back to back (one at a time), RUNS times, and reports every
call's latency (time.perf_counter around `call_tool`), the sandbox's upstream request count per
route for the function (from its `/__sandbox/stats`), and the number of 429s Personio's limits
produced. It also reports spawn → initialize, the first (cold) search, and the server's RSS when
idle and after the run.

Then, per function, CALLS triples in rotating order: the call to our server (`paired_ms`), the same
call through a second SDK client to benches/floor_stub.py answering at once with the answer our
server gave (`floor_ms`: what the client, the pipes and the wake-ups cost for that answer), and
through a third to the stub answering almost nothing (`noop_ms`: the issue's no-op floor). A triple
sees one moment of the machine, so "above the floor" holds while its speed drifts.

Last, the same read calls as raw JSON-RPC lines over pipes, without the SDK (`raw_p50_ms`): the
server's and the pipes' share. Everything goes to stdout as one JSON document; benches/load.rs
prints the tables.

Run by benches/load.rs with the project's pinned venv (scripts/setup-e2e.sh); by hand:
  .venv/bin/python benches/sdk_driver.py --bin target/release/personio-mcp --base-url http://127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from raw_rpc import RawSession  # benches/raw_rpc.py, beside this script


def admin(base: str, method: str, path: str) -> Any:
    req = urllib.request.Request(f"{base}{path}", method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return json.loads(body) if body else None


def stats(base: str) -> dict[str, Any]:
    return admin(base, "GET", "/__sandbox/stats")


def reset(base: str) -> None:
    admin(base, "DELETE", "/__sandbox/stats")


def by_route(s: dict[str, Any]) -> dict[str, int]:
    return {k: v.get("total", 0) for k, v in (s.get("by_route") or {}).items() if not k.startswith("GET /__")}


def count_429(s: dict[str, Any]) -> int:
    return int((s.get("by_status") or {}).get("429", 0))


def rss_kib(pid: int, field: str = "VmRSS:") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def server_pid(binary: str) -> int | None:
    """The server process this driver spawned (a child of ours running `binary`)."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            exe = os.readlink(entry / "exe")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and os.path.basename(exe) == os.path.basename(binary):
            return int(entry.name)
    return None


def structured(result: Any) -> dict[str, Any]:
    if result.is_error:
        text = " ".join(getattr(c, "text", "") for c in result.content)
        raise RuntimeError(f"tool error: {text[:300]}")
    return result.structured_content or {}


async def timed(client: Client, name: str, args: dict[str, Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    r = await client.call_tool(name, args)
    return (time.perf_counter() - t) * 1e3, r


def raw_p50_ms(binary: str, env: dict[str, str], calls: list[tuple[str, str, dict[str, Any]]], count: int) -> dict[str, float]:
    """The same read calls as raw JSON-RPC lines over the same kind of stdio pipes, without the SDK:
    what the server and the pipes take. The difference to the SDK's figure is the SDK's own work
    (pydantic models, output-schema validation, its task plumbing)."""
    session = RawSession(binary, env)
    out: dict[str, float] = {}
    for label, tool, args in calls:
        session.tool(tool, args)  # warm
        samples = []
        for _ in range(count):
            t = time.perf_counter()
            session.tool(tool, args)
            samples.append((time.perf_counter() - t) * 1e3)
        out[label] = statistics.median(samples)
    session.close()
    return out


def call_key(tool: str, args: dict[str, Any]) -> str:
    """How benches/floor_stub.py finds the answer to a call: the tool and its arguments."""
    return json.dumps([tool, args], sort_keys=True, ensure_ascii=False)


def dumped(model: Any) -> Any:
    """An SDK result as the JSON our server sent: the fields it set (explicit nulls included), none of
    the SDK model's defaults, camelCase names. Key order and number formatting may differ."""
    return model.model_dump(by_alias=True, exclude_unset=True, mode="json")


async def paired_with_floor(
    client: Client,
    env: dict[str, str],
    recorded: dict[str, Any],
    functions: list[tuple[str, str, Any]],
    count: int,
) -> dict[str, dict[str, Any]]:
    """Per function, `count` triples: one call to our server, the same call through a second SDK
    client to benches/floor_stub.py replaying `recorded` (the same answer from a server that parses
    the request and does nothing else), and through a third to the stub answering with almost nothing
    (FLOOR_TINY), in rotating order. A triple sees one moment of the machine, so the differences
    hold when its speed drifts between runs (it does: the same-answer floor of one function moved from
    0.34 to 0.66 ms between two runs within an hour)."""
    stub = str(Path(__file__).with_name("floor_stub.py"))
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.json"
        answers.write_text(json.dumps(recorded, ensure_ascii=False), encoding="utf-8")
        stub_env = {**env, "FLOOR_ANSWERS": str(answers)}
        same = StdioServerParameters(command=sys.executable, args=[stub], env=stub_env)
        tiny = StdioServerParameters(command=sys.executable, args=[stub], env={**stub_env, "FLOOR_TINY": "1"})
        with open(os.devnull, "w") as errlog:
            async with (
                Client(stdio_client(same, errlog=errlog)) as floor,
                Client(stdio_client(tiny, errlog=errlog)) as noop,
            ):
                await floor.list_tools()
                await noop.list_tools()
                for label, tool, args in functions:
                    series: dict[str, list[float]] = {"paired_ms": [], "floor_ms": [], "noop_ms": []}
                    errors = 0
                    for i in range(count + 1):
                        a = args()
                        # Who goes first rotates, so that no side always follows the same one.
                        took: dict[int, tuple[float, Any]] = {}
                        for k in (i % 3, (i + 1) % 3, (i + 2) % 3):
                            took[k] = await timed((client, floor, noop)[k], tool, a)
                        if i:  # the first triple warms the stubs' answer paths
                            for k, key in enumerate(series):
                                series[key].append(took[k][0])
                            # A create that our server refused while the stub replays a success.
                            errors += bool(took[0][1].is_error)
                    out[label] = {**series, "paired_errors": errors}
    return out


def weekdays_from(start: dt.date, count: int) -> list[dt.date]:
    """`count` Monday..Thursday dates from `start` on (each followed by a weekday: 2-day requests)."""
    out, d = [], start
    while len(out) < count:
        if d.weekday() <= 3:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--runs", type=int, default=2)
    opts = ap.parse_args()
    base = opts.base_url
    env = {
        "RUST_LOG": "warn",
        "PERSONIO_BASE_URL": base,
        "PERSONIO_CLIENT_ID": "sandbox-client",
        "PERSONIO_CLIENT_SECRET": "sandbox-secret",
        "PERSONIO_MCP_ENABLE_WRITES": "true",
        "PERSONIO_MCP_SKIP_CONFIRMATION": "true",
        # `PERSONIO_API=v1 cargo bench --bench load -- sdk` measures the v1 absence endpoints.
        "PERSONIO_API": os.environ.get("PERSONIO_API", "auto"),
    }
    # `PERSONIO_MCP_ABSENCE_CACHE_SECS=0 cargo bench --bench load -- sdk`: every listing asks Personio.
    if (life := os.environ.get("PERSONIO_MCP_ABSENCE_CACHE_SECS")) is not None:
        env["PERSONIO_MCP_ABSENCE_CACHE_SECS"] = life
    params = StdioServerParameters(command=opts.bin, args=["serve"], env=env)
    out: dict[str, Any] = {"calls": opts.calls, "runs": opts.runs, "functions": {}}
    reset(base)
    t0 = time.perf_counter()
    with open(os.devnull, "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            out["startup_ms"] = (time.perf_counter() - t0) * 1e3
            pid = server_pid(opts.bin)
            await anyio.sleep(0.5)
            out["rss_idle_kib"] = rss_kib(pid) if pid else None

            # First call on a cold server: token, attribute list and the whole directory.
            ms, r = await timed(client, "search_employee", {"query": "müller", "limit": 5})
            first = structured(r)
            s = stats(base)
            out["first_search"] = {"ms": ms, "requests": by_route(s), "status_429": count_429(s)}
            people = first["employees"]
            person = people[0]
            pid_arg = str(person["id"])
            name = person["name"]
            email = person.get("email")
            many = structured(await client.call_tool("search_employee", {"query": "ann", "limit": 50}))
            ids = [str(e["id"]) for e in many["employees"]]
            types = structured(await client.call_tool("list_time_off_types", {}))["types"]
            day_type = next(t for t in types if t.get("unit") == "days" and "vacation" in t["name"].lower())
            year = dt.date.today().year
            # The measured creates, then those of the paired phase (one more for its warm-up pair).
            dates = weekdays_from(dt.date(year + 1, 2, 2), opts.calls * (opts.runs + 1) + 1)
            creates = iter(
                {
                    "employee": ids[i % len(ids)],
                    "time_off_type": str(day_type["id"]),
                    "start_date": d.isoformat(),
                    "end_date": (d + dt.timedelta(days=1)).isoformat(),
                }
                for i, d in enumerate(dates)
            )
            functions: list[tuple[str, str, Any]] = [
                ("search by name", "search_employee", lambda: {"query": name}),
                ("search by email", "search_employee", lambda: {"query": email}),
                ("get employee", "get_employee", lambda: {"employee": pid_arg}),
                ("PTO balance", "get_pto_balance", lambda: {"employee": pid_arg}),
                (
                    "list absences (1 person, 1 year)",
                    "list_absences",
                    lambda: {"employee": pid_arg, "from": f"{year}-01-01", "to": f"{year}-12-31"},
                ),
                ("list time-off types", "list_time_off_types", lambda: {}),
                ("create time-off (2 days)", "create_time_off", lambda: next(creates)),
            ]
            # The handshake our server answered (the modern era's `server/discover`, or
            # `initialize`), replayed by the floor stub so that the client runs the same era.
            session = client.session
            handshake = session.discover_result or session.initialize_result
            recorded: dict[str, Any] = {
                "handshake": dumped(handshake) if handshake else None,
                "tools": dumped(await client.list_tools()),
                "answers": {},
                "by_tool": {},
            }
            answered: list[tuple[dict[str, Any], Any]] = []
            for label, tool, args in functions:
                samples: list[float] = []
                errors: list[str] = []
                reset(base)
                for _ in range(opts.runs):
                    for _ in range(opts.calls):
                        a = args()
                        ms, r = await timed(client, tool, a)
                        samples.append(ms)
                        answered.append((a, r))
                        if r.is_error:
                            errors.append(" ".join(getattr(c, "text", "") for c in r.content)[:200])
                # Recorded after the run, so that the calls stay back to back. Errors too: the floor
                # replays whatever our server answered to these arguments.
                last_ok = None
                for a, r in answered:
                    key = call_key(tool, a)
                    if key not in recorded["answers"]:
                        recorded["answers"][key] = dumped(r)
                    if not r.is_error:
                        last_ok = r
                if last_ok is not None:
                    recorded["by_tool"][tool] = dumped(last_ok)
                answered.clear()
                s = stats(base)
                out["functions"][label] = {
                    "tool": tool,
                    "ms": samples,
                    "errors": errors,
                    "requests": by_route(s),
                    "status_429": count_429(s),
                }
            out["rss_after_kib"] = rss_kib(pid) if pid else None
            out["rss_peak_kib"] = rss_kib(pid, "VmHWM:") if pid else None
            try:
                triples = await paired_with_floor(client, env, recorded, functions, opts.calls)
            except Exception as e:  # the main figures above still stand; say why the floor is missing
                out["floor_error"] = repr(e)[:500]
                triples = {}
            for label, series in triples.items():
                out["functions"][label].update(series)
            reads = [(label, tool, args()) for label, tool, args in functions if tool != "create_time_off"]
    raw = raw_p50_ms(opts.bin, env, reads, opts.calls * opts.runs)
    for label, ms in raw.items():
        out["functions"][label]["raw_p50_ms"] = ms
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    anyio.run(main)
