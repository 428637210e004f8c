"""The official MCP Python SDK's OAuth client (`OAuthClientProvider`) with a scripted person.

Shared by tests/e2e/test_oauth.py (full MCP sessions against `serve --http`) and run as a script by
tests/oauth_sdk.rs (the SDK's OAuth flow against the OAuth module's test server):

    python tests/oauth/sdk_client.py --url PUBLIC_URL --issuer PROVIDER_ISSUER --user SUB

The script POSTs to `{url}/mcp` through the SDK's auth (which discovers, registers, authorizes with
PKCE and `resource`, and exchanges the code on the 401), then again after marking the access token
expired (the SDK refreshes), and prints one JSON line: both answers, the number of logins, whether
the token changed and whether the client registered.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import anyio
import httpx2

from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

#: The MCP client's redirect URI: nothing listens there; the scripted browser stops at it.
REDIRECT_URI = "http://127.0.0.1:1/callback"


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class ScriptedBrowser:
    """Plays the person: picks the user at the provider (its test endpoint), then follows the
    authorization URL's redirects, keeping cookies, until they reach the redirect URI."""

    def __init__(self, issuer: str, user: str) -> None:
        self.issuer = issuer
        self.user = user
        self.result: AuthorizationCodeResult | None = None
        self.logins = 0

    async def redirect_handler(self, authorization_url: str) -> None:
        self.logins += 1
        async with httpx2.AsyncClient(timeout=30.0, follow_redirects=False) as browser:
            r = await browser.post(f"{self.issuer}/__test/login", json={"sub": self.user})
            assert r.status_code == 204, r.text
            url = authorization_url
            for _ in range(20):
                r = await browser.get(url)
                location = r.headers.get("location")
                assert r.status_code in (302, 303) and location, f"login stopped at {url}: {r.status_code} {r.text[:500]}"
                url = str(httpx2.URL(url).join(location))
                if url.startswith(REDIRECT_URI):
                    q = httpx2.URL(url).params
                    assert "code" in q, f"the authorization failed: {url}"
                    self.result = AuthorizationCodeResult(code=q["code"], state=q.get("state"), iss=q.get("iss"))
                    return
            raise AssertionError("the login did not reach the redirect URI within 20 redirects")

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


class Connector:
    """One MCP client installation: its OAuth provider, storage (registration + tokens), browser."""

    def __init__(self, url: str, issuer: str, user: str) -> None:
        self.url = url
        self.storage = MemoryStorage()
        self.browser = ScriptedBrowser(issuer, user)
        self.auth = OAuthClientProvider(
            server_url=f"{url}/mcp",
            client_metadata=OAuthClientMetadata(
                client_name="personio-mcp tests",
                redirect_uris=[REDIRECT_URI],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=self.storage,
            redirect_handler=self.browser.redirect_handler,
            callback_handler=self.browser.callback_handler,
        )

    def expire_access_token(self) -> None:
        """What the SDK concludes after `expires_in` seconds: its next request refreshes first."""
        self.auth.context.token_expiry_time = time.time() - 1


async def _main(url: str, issuer: str, user: str) -> dict:
    c = Connector(url, issuer, user)
    headers = {"MCP-Protocol-Version": "2025-11-25"}
    async with httpx2.AsyncClient(auth=c.auth, timeout=30.0) as http:
        first = await http.post(f"{url}/mcp", json={}, headers=headers)
        token1 = c.storage.tokens.access_token if c.storage.tokens else None
        c.expire_access_token()
        second = await http.post(f"{url}/mcp", json={}, headers=headers)
        token2 = c.storage.tokens.access_token if c.storage.tokens else None
    return {
        "first": {"status": first.status_code, "body": first.json()},
        "second": {"status": second.status_code, "body": second.json()},
        "logins": c.browser.logins,
        "refreshed": token1 is not None and token2 is not None and token1 != token2,
        "registered": c.storage.client_info is not None,
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--user", required=True)
    a = p.parse_args()
    print(json.dumps(anyio.run(_main, a.url, a.issuer, a.user)))
    sys.stdout.flush()
