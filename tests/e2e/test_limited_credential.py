"""--sandbox-credential limited: a narrow attribute whitelist and no absence scope. The server must
say what it could not read instead of pretending the fields are empty."""

from __future__ import annotations

import json

import pytest

from conftest import ERAS, Server, Tools

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ERAS)
async def test_limited_credential_reports_omitted_attributes(server: Server, mode: str):
    """search_employee still finds people by name, but reports omitted_attributes naming
    Supervisor, Office and Position (with a hint), and those fields come back null; the scope
    resource says the same. With the full credential nothing is omitted (the contrast)."""
    async with server.connect(mode, credential="limited") as client:
        tools = await Tools.of(client)
        r = await tools.ok("search_employee", {"query": "müller"})
        assert any(e["name"] == "Jürgen Müller" for e in r["employees"]), r
        omitted = {a["key"]: a for a in r["omitted_attributes"]}
        for key, label in (("supervisor", "Supervisor"), ("office", "Office"), ("position", "Position")):
            assert key in omitted, f"{key} not reported as omitted: {sorted(omitted)}"
            assert omitted[key]["label"] == label
            assert omitted[key]["used_by"]
        for readable in ("first_name", "last_name", "email", "department"):
            assert readable not in omitted, f"{readable} is readable but reported omitted"
        assert r["hint"], "omitted attributes without a hint on how to enable them"
        for e in r["employees"]:
            assert e["position"] is None and e["office"] is None and e["supervisor"] is None, e

        scope = await client.read_resource("personio://scope")
        report = json.loads(scope.contents[0].text)
        assert "supervisor" in json.dumps(report), "the scope resource does not mention the missing supervisor"

        # No absence scope: a clear tool error, not an empty list or a protocol error.
        await tools.error("get_pto_balance", {"employee": "Jürgen Müller"}, "PERMISSION_MISSING")

    async with server.connect(mode) as client:
        full = await (await Tools.of(client)).ok("search_employee", {"query": "müller"})
        assert full["omitted_attributes"] == [] and full["hint"] is None
        assert any(e["position"] for e in full["employees"])
