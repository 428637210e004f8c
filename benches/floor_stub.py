"""The SDK floor for `cargo bench --bench load -- sdk` (benches/sdk_driver.py): a stdio MCP server that
parses each request and does nothing else. It lists the tools `personio-mcp serve` listed (so the
client validates results against the same output schemas) and answers every `tools/call` at once with
the answer `serve` gave to the same arguments in the same run, serialised in advance. An SDK call against it costs what the client, the pipes and the
wake-ups cost for an answer of that size and shape; whatever our server adds is the difference.

  FLOOR_ANSWERS=answers.json python benches/floor_stub.py
  FLOOR_ANSWERS=answers.json FLOOR_TINY=1 python benches/floor_stub.py

With FLOOR_TINY=1 every `tools/call` gets the smallest answer a client takes without validating it
against an output schema: `isError` with a one-letter text. That is the issue's "no-op" floor, what the
round trip costs before any answer content.

answers.json: {"handshake": <serve's answer to `server/discover` or `initialize`>, "tools": <tools/list
result>, "answers": {"<key>": <tools/call result>}, "by_tool": {"<tool name>": <a tools/call result>}}, the key
being `json.dumps([tool, arguments], sort_keys=True, ensure_ascii=False)` (sdk_driver.call_key); a call
whose arguments were never answered (each create asks for new dates) gets the tool's last successful
answer from by_tool, and one with neither gets the tiny answer below.
Takes no other input than the driver's; it is bench code, not a server anybody should run.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    with open(os.environ["FLOOR_ANSWERS"], encoding="utf-8") as f:
        recorded = json.load(f)

    def encode(result: object) -> bytes:
        # Everything but the id, once: per call the stub only splices the id in.
        return json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode()

    # The client asks in the era our server answered in, so one recorded answer serves both names.
    handshake = encode(recorded["handshake"])
    tools = encode(recorded["tools"])
    answers = {key: encode(r) for key, r in recorded["answers"].items()}
    by_tool = {name: encode(r) for name, r in recorded["by_tool"].items()}
    empty = encode({})  # for methods the client may send that we do not measure (ping)
    # The newest protocol era wants the result's kind named; clients of older eras drop the field.
    tiny = encode({"content": [{"type": "text", "text": "x"}], "isError": True, "resultType": "complete"})
    only_tiny = bool(os.environ.get("FLOOR_TINY"))
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        if "id" not in msg or "method" not in msg:
            continue  # notifications, and answers to requests we never send
        method = msg["method"]
        if method in ("server/discover", "initialize"):
            body = handshake
        elif method == "tools/list":
            body = tools
        elif method == "tools/call":
            p = msg["params"]
            key = json.dumps([p["name"], p.get("arguments") or {}], sort_keys=True, ensure_ascii=False)
            body = tiny if only_tiny else answers.get(key) or by_tool.get(p["name"], tiny)
        else:
            body = empty
        out.write(b'{"jsonrpc":"2.0","id":' + json.dumps(msg["id"]).encode() + b',"result":' + body + b"}\n")
        out.flush()


if __name__ == "__main__":
    main()
