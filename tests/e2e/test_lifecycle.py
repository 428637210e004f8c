"""Connecting in both protocol eras: who the server says it is and what it offers."""

from __future__ import annotations

import pytest

from conftest import ERAS, LEGACY_VERSION, MODERN_VERSION, Server

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ERAS)
async def test_handshake_names_the_server_and_its_capabilities(server: Server, expected_version: str, mode: str):
    """legacy: `initialize` negotiates 2025-11-25; auto: `server/discover` is answered and the SDK
    adopts 2026-07-28. Either way the server names itself personio-mcp at the crate's version (not
    rmcp's default) and advertises tools, prompts, resources and completions."""
    async with server.connect(mode) as client:
        assert client.protocol_version == (LEGACY_VERSION if mode == "legacy" else MODERN_VERSION)
        info = client.server_info
        assert info is not None, "the server did not identify itself"
        assert info.name == "personio-mcp"
        assert info.version == expected_version
        caps = client.server_capabilities
        assert caps.tools is not None, "tools capability missing"
        assert caps.prompts is not None, "prompts capability missing"
        assert caps.resources is not None, "resources capability missing"
        assert caps.completions is not None, "completions capability missing"
        assert client.instructions and "search_employee" in client.instructions
