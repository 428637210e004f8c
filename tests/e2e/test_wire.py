"""Wire-level checks without the SDK: stdout carries nothing but JSON-RPC, even at RUST_LOG=trace."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import META_2026, READ_TOOLS, WRITE_TOOLS, RawSession


def assert_all_json_rpc(lines: list[bytes]) -> None:
    assert lines, "the server wrote nothing to stdout"
    for raw in lines:
        assert raw.endswith(b"\n"), f"unterminated stdout line: {raw[:200]!r}"
        try:
            msg = json.loads(raw)
        except ValueError as e:
            raise AssertionError(f"stdout line is not JSON ({e}): {raw[:300]!r}") from None
        assert isinstance(msg, dict) and msg.get("jsonrpc") == "2.0", f"not JSON-RPC 2.0: {raw[:300]!r}"
        is_response = "id" in msg and (("result" in msg) != ("error" in msg))
        is_request_or_notification = isinstance(msg.get("method"), str)
        assert is_response or is_request_or_notification, f"not a JSON-RPC message: {raw[:300]!r}"


def test_stdout_is_pure_json_rpc_at_trace_level_legacy(server_bin: str, tmp_path: Path, expected_version: str):
    """Legacy session at RUST_LOG=trace: initialize, initialized, tools/list and a tool call that
    makes the server talk to its sandbox. Every stdout line is one JSON-RPC message; the (plentiful)
    logs are on stderr. Also checks the wire form of the tool annotations: all four hints present."""
    s = RawSession(server_bin, tmp_path / "legacy.stderr", "trace")
    try:
        init = s.request({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "e2e-raw", "version": "0"}},
        })
        assert init["result"]["serverInfo"]["name"] == "personio-mcp"
        assert init["result"]["serverInfo"]["version"] == expected_version
        s.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        listed = s.request({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools = {t["name"]: t for t in listed["result"]["tools"]}
        assert set(tools) == {*READ_TOOLS, *WRITE_TOOLS}
        for name, tool in tools.items():
            ann = tool.get("annotations", {})
            for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
                assert isinstance(ann.get(hint), bool), f"{name}: {hint} not set explicitly on the wire: {ann}"
        call = s.request({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                          "params": {"name": "list_time_off_types", "arguments": {}}})
        assert "result" in call, call
    finally:
        code, stderr = s.close()
    assert_all_json_rpc(s.lines)
    assert code == 0, f"server exited {code} after stdin closed"
    # The trace level was really on (otherwise this test proves nothing): logs went to stderr.
    assert "TRACE" in stderr or "DEBUG" in stderr, "no trace/debug logs on stderr at RUST_LOG=trace"


def test_stdout_is_pure_json_rpc_at_trace_level_2026(server_bin: str, tmp_path: Path, expected_version: str):
    """2026-07-28 session at RUST_LOG=trace: server/discover, then tools/list and a tool call with
    the per-request _meta. Same purity guarantee; discover carries serverInfo in _meta."""
    s = RawSession(server_bin, tmp_path / "modern.stderr", "trace")
    try:
        disc = s.request({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": META_2026}})
        result = disc["result"]
        assert "2026-07-28" in result["supportedVersions"]
        assert "2025-11-25" in result["supportedVersions"]
        info = result["_meta"]["io.modelcontextprotocol/serverInfo"]
        assert info["name"] == "personio-mcp" and info["version"] == expected_version
        for cap in ("tools", "prompts", "resources", "completions"):
            assert cap in result["capabilities"], f"discover does not advertise {cap}"
        listed = s.request({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": META_2026}})
        assert {t["name"] for t in listed["result"]["tools"]} == {*READ_TOOLS, *WRITE_TOOLS}
        call = s.request({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                          "params": {"name": "search_employee", "arguments": {"query": "müller"}, "_meta": META_2026}})
        assert call["result"]["isError"] is False, call
        unknown = s.request({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                             "params": {"name": "no_such_tool", "arguments": {}, "_meta": META_2026}})
        assert "error" in unknown and "result" not in unknown, unknown
    finally:
        code, stderr = s.close()
    assert_all_json_rpc(s.lines)
    assert code == 0, f"server exited {code} after stdin closed"
    assert "TRACE" in stderr or "DEBUG" in stderr, "no trace/debug logs on stderr at RUST_LOG=trace"
