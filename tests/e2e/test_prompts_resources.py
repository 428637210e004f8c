"""Prompts, resources and completions through the SDK, in both eras."""

from __future__ import annotations

import json

import anyio
import pytest

from mcp import MCPError, types

from conftest import ERAS, REQUEST_TIMEOUT_S, Server, Tools

pytestmark = pytest.mark.anyio

PROMPTS = {"request_time_off", "who_is_out", "team_availability", "my_leave_summary"}


@pytest.mark.parametrize("mode", ERAS)
async def test_prompts_list_and_get(server: Server, mode: str):
    """The four prompts are listed with titles, descriptions and declared arguments; prompts/get
    fills in the user's arguments (dropping lines of optional ones left out); a missing required
    argument and an unknown prompt are protocol errors."""
    async with server.connect(mode) as client:
        listed = await client.list_prompts()
        prompts = {p.name: p for p in listed.prompts}
        assert PROMPTS <= set(prompts), sorted(prompts)
        for name in PROMPTS:
            p = prompts[name]
            assert p.title and p.description, name
            assert p.arguments and all(a.description for a in p.arguments), name
        assert {a.name: a.required for a in prompts["request_time_off"].arguments}["employee"] is True

        got = await client.get_prompt("request_time_off", {"employee": "Jürgen Müller", "dates": "next Friday"})
        assert got.messages and got.messages[0].role == "user"
        text = got.messages[0].content.text
        assert "Jürgen Müller" in text and "next Friday" in text
        assert "{{" not in text, "unfilled placeholder"
        assert "The type of time off is" not in text, "the line of the omitted optional argument was kept"
        assert "create_time_off" in text

        with pytest.raises(MCPError):
            await client.get_prompt("request_time_off", {})
        with pytest.raises(MCPError):
            await client.get_prompt("no_such_prompt", {})


@pytest.mark.parametrize("mode", ERAS)
async def test_resources_list_templates_and_read(server: Server, mode: str):
    """resources/list has personio://time-off-types and personio://scope; the template list has
    personio://employees/{id}; reading them returns JSON matching what the tools say; an unknown
    URI is a protocol error."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        resources = {str(r.uri): r for r in (await client.list_resources()).resources}
        assert {"personio://time-off-types", "personio://scope"} <= set(resources), sorted(resources)
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert "personio://employees/{id}" in templates, templates

        tot = await client.read_resource("personio://time-off-types")
        assert tot.contents[0].mime_type == "application/json"
        as_resource = json.loads(tot.contents[0].text)
        assert as_resource == await tools.ok("list_time_off_types", {})

        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
        emp = await client.read_resource(f"personio://employees/{jm['id']}")
        record = json.loads(emp.contents[0].text)
        assert record["id"] == jm["id"] and record["name"] == "Jürgen Müller"
        assert record == await tools.ok("get_employee", {"employee": str(jm["id"])})

        scope = json.loads((await client.read_resource("personio://scope")).contents[0].text)
        assert isinstance(scope, dict) and scope

        with pytest.raises(MCPError):
            await client.read_resource("personio://nothing-here")


@pytest.mark.parametrize("mode", ERAS)
async def test_completions_for_prompt_arguments(server: Server, mode: str):
    """completion/complete suggests employee names for a prompt's `employee` argument (folding
    umlauts: "jur" finds Jürgen), department names for `department`, and type names for
    `time_off_type`; nonsense completes to nothing."""
    async with server.connect(mode) as client:
        ref = types.PromptReference(type="ref/prompt", name="request_time_off")

        async def complete(r: types.PromptReference, arg: str, value: str) -> list[str]:
            with anyio.fail_after(REQUEST_TIMEOUT_S):
                res = await client.complete(r, {"name": arg, "value": value})
            return res.completion.values

        for prefix in ("Jür", "jur", "MÜLL"):
            values = await complete(ref, "employee", prefix)
            assert "Jürgen Müller" in values, (prefix, values)
        values = await complete(ref, "employee", "Jür")
        assert all("jur" in v.lower().replace("ü", "u") for v in values), values
        assert await complete(ref, "employee", "zzzzqx") == []

        depts = await complete(types.PromptReference(type="ref/prompt", name="who_is_out"), "department", "eng")
        assert depts == ["Engineering"], depts
        kinds = await complete(ref, "time_off_type", "pa")
        assert "Paid vacation" in kinds and "Parental leave" in kinds and "Sick leave" not in kinds, kinds
