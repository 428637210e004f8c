"""Progress notifications while the server loads the employee directory (first search of a session)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ERAS, REQUEST_TIMEOUT_S, RawSession, Server, Tools

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ERAS)
async def test_cold_search_reports_progress(server: Server, mode: str):
    """A search with a progress token on a cold directory (1,000 employees, pages of 100) gets
    progress notifications with increasing counts and a readable message, in both eras."""
    async with server.connect(mode, extra_args=["--sandbox-employees", "1000"]) as client:
        await Tools.of(client)
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))

        result = await client.call_tool("search_employee", {"query": "müller"}, REQUEST_TIMEOUT_S,
                                        progress_callback=on_progress)
        assert not result.is_error
        # One per directory page of 100 employees.
        assert len(seen) >= 3, f"expected progress per directory page, got {seen}"
        values = [p for p, _, _ in seen]
        assert values == sorted(values) and len(set(values)) == len(values), values
        assert 0 < values[0] and values[-1] <= 1000, values
        assert all(m and "employees" in m for _, _, m in seen), seen


def test_no_progress_notification_after_the_response(server_bin: str, tmp_path: Path):
    """Progress for a request must stop once its response is sent (clients drop later ones, so the
    final "250 employees loaded" is lost). Eight fresh sessions, each with a cold directory."""
    late: list[str] = []
    for i in range(8):
        s = RawSession(server_bin, tmp_path / f"progress-{i}.stderr", "warn")
        try:
            s.request({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                  "clientInfo": {"name": "e2e-raw", "version": "0"}}})
            s.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
            s.request({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                       "params": {"name": "search_employee", "arguments": {"query": "zzz"},
                                  "_meta": {"progressToken": "p"}}})
            # One harmless round trip more: anything the server still had queued arrives first.
            s.request({"jsonrpc": "2.0", "id": 3, "method": "ping"})
        finally:
            s.close()
        answered = False
        for line in s.lines:
            msg = json.loads(line)
            if msg.get("id") == 2:
                answered = True
            elif answered and msg.get("method") == "notifications/progress":
                late.append(f"session {i}: {msg['params']}")
    assert not late, "progress notifications after the response:\n" + "\n".join(late)
