"""Issue 18, end to end: the official Python SDK's OAuth client (`OAuthClientProvider`) against
`personio-mcp serve --http` with OAuth, and a real OpenID Provider (oidc-provider from npm,
tests/oauth/provider.mjs, installed by scripts/setup-oauth.sh) on loopback.

The SDK does everything a remote connector does: the 401 challenge leads it to the protected
resource metadata, then to the authorization server's metadata; it registers dynamically, runs the
authorization code flow with PKCE and `resource`, exchanges the code, calls tools, and refreshes.
The person's login is scripted: the provider's interaction pages log in the user chosen with its
test endpoint and grant the request, so following redirects with a cookie jar completes the login.

Two set-ups, same proof:
- direct: `--oauth-issuer <provider>` (the provider issues the access tokens);
- built-in: `--oauth-upstream-issuer <provider> --oauth-upstream-client-id personio-mcp-upstream`
  (this server is the authorization server; the person logs in at the provider).

The test users are sandbox employees (seed 42): Jürgen Müller with the `hr` role, a manager and
one of their reports (found with `tools call` as the operator). Tool results follow their roles.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import REQUEST_TIMEOUT_S, server_env

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_DIR = ROOT / "tests" / "oauth"
sys.path.insert(0, str(PROVIDER_DIR))
import sdk_client  # noqa: E402  (tests/oauth/sdk_client.py: the SDK's OAuth client, scripted person)

pytestmark = pytest.mark.anyio

START_TIMEOUT_S = 60.0
UPSTREAM_CLIENT_ID = "personio-mcp-upstream"
UPSTREAM_CLIENT_SECRET = "upstream-secret"


@pytest.fixture(scope="module", autouse=True)
def oauth_is_wired(server_bin: str) -> None:
    """Skips (loudly) while `serve` has no OAuth flags: the OAuth module exists before its wiring
    into `serve --http`; once the flags are there every test here runs."""
    out = subprocess.run([server_bin, "serve", "--help"], capture_output=True, text=True, timeout=START_TIMEOUT_S,
                         env=server_env())
    if "--oauth-issuer" not in out.stdout:
        pytest.skip("serve --http has no --oauth-issuer flag yet (OAuth not wired into the HTTP transport)")


def _first_line(proc: subprocess.Popen[str], what: str) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""))
    reader.daemon = True
    reader.start()
    reader.join(START_TIMEOUT_S)
    if not line or not line[0]:
        raise AssertionError(f"{what} printed nothing (exit code {proc.poll()})")
    return line[0].strip()


def _stop(proc: subprocess.Popen[str]) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def _tool(server_bin: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [server_bin, "tools", "call", name, json.dumps(args), "--sandbox"],
        capture_output=True, text=True, env=server_env({"RUST_LOG": "warn"}), timeout=START_TIMEOUT_S, check=True,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def people(server_bin: str) -> dict[str, dict[str, Any]]:
    """hr: Jürgen Müller; manager: someone with a report and a supervisor of their own; employee:
    that report; boss: the manager's supervisor (never in the manager's subtree)."""
    hr = _tool(server_bin, "search_employee", {"query": "Jürgen Müller", "limit": 1})["employees"][0]
    assert hr["name"] == "Jürgen Müller", hr
    candidates: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        args: dict[str, Any] = {"query": "", "status": "active", "limit": 50}
        if cursor:
            args["cursor"] = cursor
        page = _tool(server_bin, "search_employee", args)
        candidates += page["employees"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    by_id = {e["id"]: e for e in candidates}
    for e in candidates:
        sup = e.get("supervisor")
        if not sup or e["id"] == hr["id"] or sup["id"] == hr["id"] or sup["id"] not in by_id:
            continue
        manager = by_id[sup["id"]]
        boss = manager.get("supervisor")
        if boss and boss["id"] not in (hr["id"], e["id"]) and manager.get("email") and e.get("email"):
            return {"hr": hr, "manager": manager, "employee": e, "boss": {"id": boss["id"]}}
    raise AssertionError("the sandbox has no active employee → manager → boss chain")


@contextlib.contextmanager
def oidc_provider(tmp: Path, people: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Starts tests/oauth/provider.mjs with the sandbox people as its users; yields the issuer."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        raise pytest.UsageError("the OpenID Provider is not installed: run scripts/setup-oauth.sh")
    accounts = [
        {"sub": "hr", "email": people["hr"]["email"], "roles": ["hr"], "email_verified": True},
        {"sub": "manager", "email": people["manager"]["email"], "roles": [], "email_verified": True},
        {"sub": "employee", "email": people["employee"]["email"], "roles": [], "email_verified": True},
    ]
    accounts_file = tmp / "accounts.json"
    accounts_file.write_text(json.dumps(accounts), encoding="utf-8")
    proc = subprocess.Popen(
        ["node", str(PROVIDER_DIR / "provider.mjs"), "--accounts", str(accounts_file)],
        cwd=PROVIDER_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        yield json.loads(_first_line(proc, "the OpenID Provider"))["issuer"]
    finally:
        _stop(proc)
        for pipe in (proc.stdin, proc.stdout):
            if pipe:
                pipe.close()


def _free_port() -> int:
    # The server needs its public URL before it binds, so the port is chosen here.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def oauth_server(server_bin: str, tmp: Path, issuer: str, mode: str) -> Iterator[str]:
    """`serve --http` with OAuth in `mode` (direct | builtin); yields the public URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env({"RUST_LOG": "info"})
    args = [server_bin, "serve", "--http", f"127.0.0.1:{port}", "--sandbox", "--public-url", url]
    if mode == "direct":
        args += ["--oauth-issuer", issuer]
    else:
        args += ["--oauth-upstream-issuer", issuer, "--oauth-upstream-client-id", UPSTREAM_CLIENT_ID,
                 "--state-dir", str(tmp / "state")]
        env["PERSONIO_MCP_OAUTH_UPSTREAM_CLIENT_SECRET"] = UPSTREAM_CLIENT_SECRET
    log_path = tmp / f"server-{mode}.stderr.log"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        try:
            printed = _first_line(proc, "serve --http")
            assert printed.rstrip("/") == url, f"first stdout line: {printed!r}, expected {url}"
            yield url
        except BaseException:
            print(f"--- server stderr ---\n{log_path.read_text(errors='replace')[-4000:]}", file=sys.stderr)
            raise
        finally:
            code = _stop(proc)
            if proc.stdout:
                proc.stdout.close()
    assert code == 0, f"serve --http exited with {code}:\n{log_path.read_text(errors='replace')[-4000:]}"


class Connector(sdk_client.Connector):
    """One MCP client installation (tests/oauth/sdk_client.py) that opens MCP sessions."""

    @contextlib.asynccontextmanager
    async def connect(self):
        auth = self.auth
        async with httpx2.AsyncClient(auth=auth, timeout=httpx2.Timeout(30.0, read=REQUEST_TIMEOUT_S)) as http:
            stream = streamable_http_client(f"{self.url}/mcp", http_client=http)
            async with Client(stream, read_timeout_seconds=REQUEST_TIMEOUT_S) as client:
                yield client


async def _balance_visible(client: Client, employee_id: int) -> bool:
    with anyio.fail_after(REQUEST_TIMEOUT_S):
        result = await client.call_tool("get_pto_balance", {"employee": str(employee_id)})
    return not result.is_error


async def _prove_roles(url: str, issuer: str, people: dict[str, dict[str, Any]]) -> None:
    employee, manager, boss, hr = (people[k]["id"] for k in ("employee", "manager", "boss", "hr"))

    # HR: everyone. The first connection does the whole dance: 401 → metadata → registration →
    # authorization (PKCE, resource) → token.
    hr_connector = Connector(url, issuer, "hr")
    async with hr_connector.connect() as client:
        tools = await client.list_tools()
        assert any(t.name == "get_pto_balance" for t in tools.tools)
        assert await _balance_visible(client, employee)
        assert await _balance_visible(client, boss)
    assert hr_connector.browser.logins == 1
    assert hr_connector.storage.client_info is not None, "the SDK registered dynamically"
    first = hr_connector.storage.tokens
    assert first is not None and first.refresh_token, "a refresh token was issued"

    # Refresh: once the access token has expired, the next connection refreshes without a login.
    hr_connector.expire_access_token()
    async with hr_connector.connect() as client:
        assert await _balance_visible(client, boss)
    assert hr_connector.browser.logins == 1, "refreshed, not logged in again"
    assert hr_connector.storage.tokens.access_token != first.access_token

    # Manager: self and reports, not their own boss.
    async with Connector(url, issuer, "manager").connect() as client:
        assert await _balance_visible(client, manager)
        assert await _balance_visible(client, employee)
        assert not await _balance_visible(client, boss)

    # Employee: self only.
    async with Connector(url, issuer, "employee").connect() as client:
        assert await _balance_visible(client, employee)
        assert not await _balance_visible(client, manager)
        assert not await _balance_visible(client, hr)


@pytest.mark.parametrize("mode", ["direct", "builtin"])
async def test_sdk_oauth_client_logs_in_and_tool_results_follow_the_role(
    server_bin: str, tmp_path: Path, people: dict[str, dict[str, Any]], mode: str
):
    with oidc_provider(tmp_path, people) as issuer, oauth_server(server_bin, tmp_path, issuer, mode) as url:
        await _prove_roles(url, issuer, people)


@pytest.mark.parametrize("mode", ["direct", "builtin"])
async def test_unauthenticated_requests_are_challenged_towards_the_metadata(
    server_bin: str, tmp_path: Path, people: dict[str, dict[str, Any]], mode: str
):
    with oidc_provider(tmp_path, people) as issuer, oauth_server(server_bin, tmp_path, issuer, mode) as url:
        async with httpx2.AsyncClient(timeout=30.0) as http:
            r = await http.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert r.status_code == 401, r.text
            www = r.headers["www-authenticate"]
            assert www.startswith("Bearer ") and "error=" not in www, www
            assert f'resource_metadata="{url}/.well-known/oauth-protected-resource/mcp"' in www, www
            r = await http.post(f"{url}/mcp", json={}, headers={"Authorization": "Bearer e30.e30.c2ln"})
            assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
            prm = (await http.get(f"{url}/.well-known/oauth-protected-resource/mcp")).json()
            assert prm["resource"] == f"{url}/mcp", prm
            expected_as = issuer if mode == "direct" else url
            assert prm["authorization_servers"] == [expected_as], prm
            assert prm["bearer_methods_supported"] == ["header"], prm
