"""The official Python SDK over the HTTP transports of `personio-mcp serve --http`.

Each server is the real binary (`$PERSONIO_MCP_BIN serve --http 127.0.0.1:0 --sandbox ...`); its
first stdout line is the base URL. The SDK connects over Streamable HTTP (`/mcp`) and over the
legacy HTTP+SSE pair (`/sse` + `/message`), each in both eras the SDK speaks: `legacy` (the
`initialize` handshake) and `auto` (`server/discover`, then 2026-07-28).

- Tool tests authenticate with a bearer token mapped to Jürgen Müller (hr), whom the sandbox
  promises for every seed; his email is looked up once with `tools call`.
- Progress tests run without tokens (loopback): a principal is resolved against the directory
  before the tool runs, which loads it without progress, so only an anonymous (operator) call shows
  the cold load's progress.
- Every server is stopped with SIGTERM and must exit 0.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx2
import pytest

from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from conftest import ERAS, LEGACY_VERSION, MODERN_VERSION, READ_TOOLS, REQUEST_TIMEOUT_S, Tools, server_env

pytestmark = pytest.mark.anyio

#: The two HTTP transports: Streamable HTTP at /mcp, legacy HTTP+SSE at /sse.
TRANSPORTS = ["streamable", "sse"]

#: How long a server gets to start (print its URL) or to stop after SIGTERM (hang guards).
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0


class HttpServer:
    """A running `serve --http` process."""

    def __init__(self, proc: subprocess.Popen[str], url: str, log_path: Path) -> None:
        self.proc = proc
        self.url = url
        self.log_path = log_path

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> int | None:
        """SIGTERM, then the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


@contextlib.contextmanager
def http_server(
    server_bin: str, log_path: Path, *, tokens: str | None = None, extra: list[str] | None = None
) -> Iterator[HttpServer]:
    """Starts `serve --http 127.0.0.1:0 --sandbox` (tokens through PERSONIO_MCP_AUTH_TOKENS) and
    stops it with SIGTERM afterwards, asserting a clean exit."""
    env = server_env({"RUST_LOG": "info"})
    if tokens:
        env["PERSONIO_MCP_AUTH_TOKENS"] = tokens
    args = [server_bin, "serve", "--http", "127.0.0.1:0", "--sandbox", *(extra or [])]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        server: HttpServer | None = None
        try:
            url = _first_line(proc)
            assert url.startswith("http://127.0.0.1:"), f"first stdout line: {url!r}"
            server = HttpServer(proc, url, log_path)
            yield server
        except BaseException:
            print(f"--- server stderr ({log_path.name}) ---\n{log_path.read_text(errors='replace')[-4000:]}",
                  file=sys.stderr)
            raise
        finally:
            code = server.stop() if server else None
            if server is None and proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
    assert code == 0, f"serve --http exited with {code} after SIGTERM:\n{log_path.read_text(errors='replace')[-4000:]}"


def _first_line(proc: subprocess.Popen[str]) -> str:
    """The first stdout line, with a hang guard (the read runs in a helper thread)."""
    import threading

    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""))
    reader.daemon = True
    reader.start()
    reader.join(START_TIMEOUT_S)
    if not line or not line[0]:
        raise AssertionError(f"the server printed no URL (exit code {proc.poll()})")
    return line[0].strip()


@pytest.fixture(scope="module")
def hr_email(server_bin: str) -> str:
    """Jürgen Müller's work email in the seeded sandbox."""
    out = subprocess.run(
        [server_bin, "tools", "call", "search_employee", json.dumps({"query": "Jürgen Müller", "limit": 1}),
         "--sandbox"],
        capture_output=True, text=True, env=server_env({"RUST_LOG": "warn"}), timeout=START_TIMEOUT_S, check=True,
    )
    employee = json.loads(out.stdout)["employees"][0]
    assert employee["name"] == "Jürgen Müller", employee
    return employee["email"]


@pytest.fixture(scope="module")
def token() -> str:
    return "e2e-http-" + secrets.token_hex(24)


@pytest.fixture(scope="module")
def authed_server(server_bin: str, hr_email: str, token: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[HttpServer]:
    """One server for the tool tests, with a single token for Jürgen Müller (hr)."""
    log = tmp_path_factory.mktemp("http") / "authed-server.stderr.log"
    with http_server(server_bin, log, tokens=f"{token} {hr_email} hr") as server:
        yield server


@contextlib.asynccontextmanager
async def connect(url: str, transport: str, mode: str, token: str | None) -> AsyncIterator[Client]:
    """An SDK `Client` over one HTTP transport in one era, sending the bearer token if given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with contextlib.AsyncExitStack() as stack:
        if transport == "streamable":
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=REQUEST_TIMEOUT_S))
            )
            stream = streamable_http_client(f"{url}/mcp", http_client=http)
        else:
            stream = sse_client(f"{url}/sse", headers=headers, sse_read_timeout=REQUEST_TIMEOUT_S)
        client = await stack.enter_async_context(
            Client(stream, mode=mode, read_timeout_seconds=REQUEST_TIMEOUT_S)
        )
        expected = LEGACY_VERSION if mode == "legacy" else MODERN_VERSION
        assert client.protocol_version == expected, (
            f"{transport}/{mode} negotiated {client.protocol_version}, expected {expected}"
        )
        yield client


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_every_read_tool_works_over_http(authed_server: HttpServer, token: str, transport: str, mode: str):
    """With a bearer token: the read tools are listed, and each one answers a real call with
    structured content that validates against its output schema (checked by `Tools.ok`)."""
    async with connect(authed_server.url, transport, mode, token) as client:
        tools = await Tools.of(client)
        assert set(READ_TOOLS) <= set(tools.tools), sorted(tools.tools)

        found = await tools.ok("search_employee", {"query": "Jürgen Müller"})
        jm = found["employees"][0]
        assert jm["name"] == "Jürgen Müller", found
        employee = str(jm["id"])
        record = await tools.ok("get_employee", {"employee": employee})
        assert record["id"] == jm["id"], record
        balance = await tools.ok("get_pto_balance", {"employee": employee})
        assert balance["employee"]["id"] == jm["id"], balance
        absences = await tools.ok("list_absences", {"employee": employee})
        assert isinstance(absences["absences"], list), absences
        types = await tools.ok("list_time_off_types", {})
        assert types["types"], types


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_cold_directory_load_reports_progress_over_http(server_bin: str, tmp_path: Path, transport: str,
                                                              mode: str):
    """A search with a progress callback on a cold directory (1,000 employees, pages of 100)
    receives progress notifications, with increasing counts, over the HTTP transport."""
    log = tmp_path / f"progress-{transport}-{mode}.stderr.log"
    with http_server(server_bin, log, extra=["--sandbox-employees", "1000"]) as server:
        async with connect(server.url, transport, mode, None) as client:
            seen: list[tuple[float, float | None, str | None]] = []

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                seen.append((progress, total, message))

            with anyio.fail_after(REQUEST_TIMEOUT_S):
                result = await client.call_tool("search_employee", {"query": "müller"}, REQUEST_TIMEOUT_S,
                                                progress_callback=on_progress)
            assert not result.is_error, result
            # One per page is sent; the last may arrive after the response (a known server bug,
            # see test_progress.py), so ask for 3 of 10. Counts never go down (the final count
            # may repeat: it is reported once more when the load ends).
            values = [p for p, _, _ in seen]
            assert len(set(values)) >= 3, f"expected progress per directory page, got {seen}"
            assert values == sorted(values), values
            assert 0 < values[0] and values[-1] <= 1000, values
            assert all(m and "employees" in m for _, _, m in seen), seen


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_http_without_a_valid_token_is_refused(authed_server: HttpServer, transport: str):
    """No token and a wrong token: 401 with a Bearer challenge, and the SDK cannot connect."""
    path = "/mcp" if transport == "streamable" else "/sse"
    async with httpx2.AsyncClient(timeout=30.0) as http:
        for headers in ({}, {"Authorization": "Bearer not-the-token-not-the-token"}):
            r = await http.post(f"{authed_server.url}{path}", json={}, headers=headers) if transport == "streamable" \
                else await http.get(f"{authed_server.url}{path}", headers=headers)
            assert r.status_code == 401, (headers, r.status_code, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer"), r.headers
    # The SDK surfaces the 401 differently per transport (an HTTP error on SSE, a generic
    # JSON-RPC error on Streamable HTTP); either way it must not get a session.
    for mode in ERAS:
        with anyio.fail_after(REQUEST_TIMEOUT_S):
            with pytest.raises(Exception):
                async with connect(authed_server.url, transport, mode, None):
                    pass
