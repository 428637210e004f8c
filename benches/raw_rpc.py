"""A raw JSON-RPC session with `personio-mcp serve` over its stdio pipes, no MCP SDK: one line
out, one line back. Shared by benches/sdk_driver.py (its "raw" column) and benches/raw_calls.py."""

from __future__ import annotations

import json
import subprocess
from typing import Any


class RawSession:
    """`serve` started with `env`, initialized; `call` sends one request and reads its answer."""

    def __init__(self, binary: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [binary, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._ids = iter(range(1, 1_000_000))
        self.call(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        )
        self._send({"jsonrpc": "2.0", "method": "notifications/initialized", "params": {}})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _send(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def call(self, method: str, params: dict[str, Any]) -> Any:
        self._send({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def tool(self, name: str, arguments: dict[str, Any]) -> Any:
        return self.call("tools/call", {"name": name, "arguments": arguments})

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
