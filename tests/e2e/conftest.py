"""Shared plumbing for the end-to-end suite.

Every test starts the real binary (`$PERSONIO_MCP_BIN serve --sandbox ...`) as a subprocess and talks
to it over stdio, with the official MCP Python SDK (`mcp` on PyPI) or, for wire-level checks, with
raw JSON-RPC lines. Each server process gets a fresh embedded sandbox (seed 42, 250 employees), so
tests never see each other's writes.

Run by `cargo test` through tests/e2e_python.rs, which sets PERSONIO_MCP_BIN and
PERSONIO_MCP_VERSION. By hand: `PERSONIO_MCP_BIN=target/debug/personio-mcp PERSONIO_MCP_VERSION=0.1.0
.venv/bin/python -m pytest -q tests/e2e`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import anyio
import pytest
from jsonschema import Draft202012Validator

from mcp import Client, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.session import ElicitationFnT

#: Protocol versions each era must negotiate with the SDK's own defaults.
LEGACY_VERSION = "2025-11-25"
MODERN_VERSION = "2026-07-28"

#: The two client modes every protocol-level test runs in: `legacy` = `initialize` handshake,
#: `auto` = `server/discover` first (the SDK then adopts 2026-07-28).
ERAS = ["legacy", "auto"]

#: No single request may take longer than this (a hang guard, not a performance assertion).
REQUEST_TIMEOUT_S = 60.0

READ_TOOLS = ["search_employee", "get_employee", "get_pto_balance", "list_absences", "list_time_off_types"]
WRITE_TOOL = "create_time_off"
CANCEL_TOOL = "cancel_time_off"
WRITE_TOOLS = [WRITE_TOOL, CANCEL_TOOL]


def _required_env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise pytest.UsageError(
            f"{name} is not set: it must be {what}. The suite is meant to run through `cargo test` "
            f"(tests/e2e_python.rs sets it); by hand, export it first."
        )
    return value


def pytest_configure(config: pytest.Config) -> None:
    bin_path = _required_env("PERSONIO_MCP_BIN", "the path of the personio-mcp binary to test")
    p = Path(bin_path)
    if not p.is_file() or not os.access(p, os.X_OK):
        raise pytest.UsageError(f"PERSONIO_MCP_BIN={bin_path!r} is not an executable file")
    _required_env("PERSONIO_MCP_VERSION", "the crate version the binary must report (CARGO_PKG_VERSION)")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def server_bin() -> str:
    return str(Path(os.environ["PERSONIO_MCP_BIN"]).resolve())


@pytest.fixture(scope="session")
def expected_version() -> str:
    return os.environ["PERSONIO_MCP_VERSION"].strip()


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A hermetic environment for the server: the caller's environment without any PERSONIO_* or
    RUST_LOG variable (a stray PERSONIO_MCP_ENABLE_WRITES must not change what is listed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIO_") and k != "RUST_LOG"}
    # Each server its own state directory: used tokens and idempotency keys persist (issue 17), and
    # a key one test used must not replay in another test's server.
    env["PERSONIO_MCP_STATE_DIR"] = tempfile.mkdtemp(prefix="personio-mcp-state-")
    env.update(extra or {})
    return env


def server_args(*, writes: bool = False, credential: str | None = None, extra: list[str] | None = None) -> list[str]:
    args = ["serve", "--sandbox"]
    if credential:
        args += ["--sandbox-credential", credential]
    if writes:
        args.append("--enable-writes")
    return args + (extra or [])


class Server:
    """Starts `personio-mcp serve --sandbox ...` under the SDK's `Client` in one era."""

    def __init__(self, bin_path: str, log_dir: Path) -> None:
        self.bin_path = bin_path
        self.log_dir = log_dir
        self._count = 0

    @contextlib.asynccontextmanager
    async def connect(
        self,
        mode: str,
        *,
        writes: bool = False,
        credential: str | None = None,
        extra_args: list[str] | None = None,
        elicitation: ElicitationFnT | None = None,
    ) -> AsyncIterator[Client]:
        """A connected SDK client. `elicitation` makes the client advertise (and answer) form
        elicitation: in auto mode through MRTR `input_required` results, in legacy mode through
        `elicitation/create` requests; without it the client advertises no elicitation at all."""
        self._count += 1
        log_path = self.log_dir / f"server-{self._count}-{mode}.stderr.log"
        params = StdioServerParameters(
            command=self.bin_path,
            args=server_args(writes=writes, credential=credential, extra=extra_args),
            # Merged over the SDK's minimal default environment (PATH, HOME, ...), which carries
            # no PERSONIO_* variables.
            # Each server its own state directory: used tokens and idempotency keys persist.
            env={"RUST_LOG": "warn", "PERSONIO_MCP_STATE_DIR": tempfile.mkdtemp(prefix="personio-mcp-state-")},
        )
        body_error: BaseException | None = None
        with open(log_path, "w", encoding="utf-8") as errlog:
            transport = stdio_client(params, errlog=errlog)
            try:
                async with Client(
                    transport, mode=mode, read_timeout_seconds=REQUEST_TIMEOUT_S, elicitation_callback=elicitation
                ) as client:
                    expected = LEGACY_VERSION if mode == "legacy" else MODERN_VERSION
                    assert client.protocol_version == expected, (
                        f"mode={mode} negotiated {client.protocol_version}, expected {expected}"
                    )
                    try:
                        yield client
                    except (Exception, pytest.fail.Exception) as e:
                        # Raised by the test body: shut the session down cleanly first, then
                        # re-raise it as is (not wrapped in the SDK's task-group ExceptionGroup).
                        body_error = e
            except BaseException:
                self._print_log(log_path)
                raise
        if body_error is not None:
            self._print_log(log_path)
            raise body_error

    @staticmethod
    def _print_log(log_path: Path) -> None:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        if tail.strip():
            print(f"--- server stderr ({log_path.name}) ---\n{tail}", file=sys.stderr)


@pytest.fixture
def server(server_bin: str, tmp_path: Path) -> Server:
    return Server(server_bin, tmp_path)


# ---------------------------------------------------------------------------------------------------
# Tool-call helpers


async def list_tools_by_name(client: Client) -> dict[str, types.Tool]:
    result = await client.list_tools()
    assert result.next_cursor is None, "the tool list fits in one page"
    tools = {t.name: t for t in result.tools}
    assert len(tools) == len(result.tools), "tool names are unique"
    return tools


def validate_against(schema: dict[str, Any], instance: Any, what: str) -> None:
    """Validates with Draft 2020-12 (the dialect the server declares), independently of the SDK."""
    declared = schema.get("$schema")
    assert declared in (None, "https://json-schema.org/draft/2020-12/schema"), f"{what}: $schema {declared}"
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:10]]
        raise AssertionError(f"{what} does not match its outputSchema:\n" + "\n".join(lines))


def assert_schema_rejects_broken(schema: dict[str, Any], instance: dict[str, Any], what: str) -> None:
    """Proves the schema has teeth: the same instance without one required property must fail."""
    required = schema.get("required") or []
    assert required, f"{what}: outputSchema lists no required properties"
    broken = copy.deepcopy(instance)
    broken.pop(required[0], None)
    assert not Draft202012Validator(schema).is_valid(broken), (
        f"{what}: outputSchema accepts a result without required property {required[0]!r}"
    )


class Tools:
    """Calls tools on a connected client and checks each success against the advertised schema."""

    def __init__(self, client: Client, tools: dict[str, types.Tool]) -> None:
        self.client = client
        self.tools = tools

    @classmethod
    async def of(cls, client: Client) -> Tools:
        return cls(client, await list_tools_by_name(client))

    async def raw(self, name: str, args: dict[str, Any]) -> types.CallToolResult:
        with anyio.fail_after(REQUEST_TIMEOUT_S):
            return await self.client.call_tool(name, args)

    async def ok(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """A successful call: not isError, structuredContent valid against the tool's outputSchema,
        and a text copy of the same JSON."""
        result = await self.raw(name, args)
        text = " ".join(c.text for c in result.content if isinstance(c, types.TextContent))
        assert not result.is_error, f"{name}({args}) failed: {text}"
        sc = result.structured_content
        assert isinstance(sc, dict), f"{name}: structuredContent missing: {result}"
        schema = self.tools[name].output_schema
        assert schema is not None, f"{name}: no outputSchema advertised"
        validate_against(schema, sc, f"{name}({json.dumps(args, ensure_ascii=False)})")
        texts = [c for c in result.content if isinstance(c, types.TextContent)]
        assert texts, f"{name}: no text content alongside structuredContent"
        assert json.loads(texts[0].text) == sc, f"{name}: the text content is not a copy of structuredContent"
        return sc

    async def error(self, name: str, args: dict[str, Any], code: str) -> dict[str, Any]:
        """A tool error: isError, no structuredContent (it would not match the output schema, and the
        TypeScript SDK would throw), and a text that starts with the stable code and says what to do.
        Returns {"code", "message", "text"} read from the text."""
        result = await self.raw(name, args)
        text = " ".join(c.text for c in result.content if isinstance(c, types.TextContent))
        assert result.is_error, f"{name}({args}) succeeded, expected {code}: {result.structured_content}"
        assert result.structured_content is None, f"{name}: an error result carries structuredContent: {result}"
        assert text.startswith(f"{code}: "), f"{name}({args}): expected {code}, got {text!r}"
        first_line = text.split("\n", 1)[0]
        message = first_line[len(code) + 2:]
        assert message, f"{name}: error without message: {text!r}"
        return {"code": code, "message": message, "text": text}


def ids(records: Iterable[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in records]


async def search_all(tools: Tools, args: dict[str, Any], max_pages: int = 30) -> list[dict[str, Any]]:
    """All pages of search_employee."""
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(max_pages):
        page = await tools.ok("search_employee", {**args, "limit": 50, **({"cursor": cursor} if cursor else {})})
        out.extend(page["employees"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(out) == page["total"], f"paged {len(out)} employees, total says {page['total']}"
            return out
    raise AssertionError(f"search_employee({args}) did not finish within {max_pages} pages")


# ---------------------------------------------------------------------------------------------------
# Raw JSON-RPC over the binary's pipes (no SDK), for wire-level checks


META_2026 = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "e2e-raw", "version": "0"},
}

#: A hang guard for one raw session (not a performance assertion).
SESSION_TIMEOUT_S = 90


class RawSession:
    """The binary on pipes: one JSON line in, lines out until the matching response arrives."""

    def __init__(self, bin_path: str, stderr_path: Path, rust_log: str) -> None:
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [bin_path, *server_args()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,  # a file, so a chatty trace log can never fill a pipe and block
            env=server_env({"RUST_LOG": rust_log}),
        )
        self._watchdog = threading.Timer(SESSION_TIMEOUT_S, self.proc.kill)
        self._watchdog.start()
        #: Every stdout line seen, raw bytes.
        self.lines: list[bytes] = []

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        self.send(message)
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            assert line, f"stdout closed before the answer to id {message['id']} (exit {self.proc.poll()})"
            self.lines.append(line)
            try:
                msg = json.loads(line)
            except ValueError:
                raise AssertionError(f"stdout line is not JSON-RPC: {line[:300]!r}") from None
            if msg.get("id") == message["id"] and ("result" in msg or "error" in msg):
                return msg

    def close(self) -> tuple[int, str]:
        """Closes stdin, collects the remaining stdout, returns (exit code, stderr)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        self.proc.stdout.close()
        self.lines.extend(line + b"\n" for line in rest.splitlines() if line)
        code = self.proc.wait()
        self._watchdog.cancel()
        self._stderr.close()
        return code, self.stderr_path.read_text(encoding="utf-8", errors="replace")
