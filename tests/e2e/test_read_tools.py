"""The read tools, called through the SDK in both eras against a fresh sandbox (seed 42, 250 people).

Every successful call goes through `Tools.ok`, which validates structuredContent against the tool's
advertised outputSchema with jsonschema (Draft 2020-12) and checks the text copy. Ids, e-mails and
memberships are discovered through the tools, never hard-coded. The tests rely only on what the
sandbox fixes for every seed: its anchor people (Jürgen Müller, José Núñez, two Anna Schmidts), its
department names (Engineering, Sales) and time-off type names (Paid vacation, Doctor's appointment...),
and that data is seeded over the calendar year of the server's today (read from get_pto_balance).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from jsonschema import Draft202012Validator

from mcp import MCPError

from conftest import ERAS, READ_TOOLS, WRITE_TOOL, WRITE_TOOLS, Server, Tools, assert_schema_rejects_broken, ids, search_all

pytestmark = pytest.mark.anyio

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HHMM = re.compile(r"^\d{2}:\d{2}$")


@pytest.mark.parametrize("mode", ERAS)
async def test_tools_list_advertises_the_read_tools_fully_described(server: Server, mode: str):
    """The five read tools are listed (next to create_time_off, see test_writes.py), each with a
    title, a description, all four annotations set (read-only, not destructive, idempotent,
    open-world), an input schema that rejects unknown fields and describes every field, and a valid
    Draft 2020-12 output schema."""
    async with server.connect(mode) as client:
        tools = (await Tools.of(client)).tools
        assert set(READ_TOOLS) <= set(tools) <= {*READ_TOOLS, *WRITE_TOOLS}, sorted(tools)
        for name in READ_TOOLS:
            tool = tools[name]
            assert tool.title, f"{name}: no title"
            assert tool.description and len(tool.description) > 40, f"{name}: no real description"
            ann = tool.annotations
            assert ann is not None, f"{name}: no annotations"
            assert (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint, ann.open_world_hint) == (
                True, False, True, True,
            ), f"{name}: annotations {ann}"
            assert tool.input_schema.get("type") == "object", f"{name}: input schema {tool.input_schema}"
            assert tool.input_schema.get("additionalProperties") is False, f"{name}: input schema accepts unknown fields"
            for prop, spec in (tool.input_schema.get("properties") or {}).items():
                assert spec.get("description"), f"{name}.{prop}: input field without description"
            out = tool.output_schema
            assert out is not None and out.get("type") == "object", f"{name}: output schema {out}"
            assert out.get("properties"), f"{name}: output schema without properties"
            Draft202012Validator.check_schema(out)
            Draft202012Validator.check_schema(tool.input_schema)


@pytest.mark.parametrize("mode", ERAS)
async def test_unknown_and_unlisted_tools_are_protocol_errors(server: Server, mode: str):
    """An unknown tool is a JSON-RPC error (MCPError in the SDK), not an isError result; so is
    create_time_off under --read-only (it is not even routed). Arguments that don't fit the input
    schema are an isError result the model can read and correct."""
    async with server.connect(mode, extra_args=["--read-only"]) as client:
        tools = await Tools.of(client)
        for bad in ({"query": "x", "bogus": 1}, {"query": ["x"]}, {}):
            r = await tools.raw("search_employee", bad)
            assert r.is_error, f"search_employee({bad}) was accepted"
            text = " ".join(getattr(c, "text", "") for c in r.content)
            assert text, f"search_employee({bad}): isError without an explanation"
        with pytest.raises(MCPError) as unknown:
            await tools.raw("no_such_tool", {})
        assert "not found" in unknown.value.message.lower()
        with pytest.raises(MCPError):
            await tools.raw(WRITE_TOOL, {"employee": "1", "time_off_type": "Paid vacation", "start_date": "2030-01-08"})


@pytest.mark.parametrize("mode", ERAS)
async def test_search_folds_umlauts_case_and_spelling(server: Server, mode: str):
    """Queries "muller", "Müller" and "Mueller" find the same Müllers (the seeded Jürgen Müller among them),
    best match first; results validate against the schema, and the schema rejects a broken copy."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        found = {}
        for q in ("muller", "Müller", "Mueller", "MÜLLER"):
            r = await tools.ok("search_employee", {"query": q, "limit": 50})
            assert r["next_cursor"] is None and r["total"] == len(r["employees"])
            found[q] = {e["id"]: e["name"] for e in r["employees"] if "Müller" in e["name"]}
        assert "Jürgen Müller" in found["Müller"].values()
        assert found["muller"] == found["Müller"] == found["Mueller"] == found["MÜLLER"], found
        first = await tools.ok("search_employee", {"query": "Jürgen Müller"})
        assert first["employees"][0]["name"] == "Jürgen Müller"
        assert_schema_rejects_broken(tools.tools["search_employee"].output_schema, first, "search_employee")
        # Accent folding beyond German: the seeded José Núñez.
        jose = await tools.ok("search_employee", {"query": "jose nunez"})
        assert any(e["name"] == "José Núñez" for e in jose["employees"]), jose


@pytest.mark.parametrize("mode", ERAS)
async def test_search_records_filters_pagination_and_inactive(server: Server, mode: str):
    """Compact records carry every promised field; a department filter returns only that
    department; pages don't overlap and add up to `total`; inactive people appear only when asked."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
        for field in ("id", "name", "email", "position", "department", "office", "team", "supervisor",
                      "status", "hire_date", "termination_date"):
            assert field in jm, f"search record lacks {field}: {jm}"
        assert DATE.match(jm["hire_date"])

        # A department with at least two pages of 5.
        dept = "Engineering"
        page1 = await tools.ok("search_employee", {"query": "", "department": dept, "limit": 5})
        assert page1["total"] > 5 and len(page1["employees"]) == 5 and page1["next_cursor"]
        page2 = await tools.ok("search_employee", {"query": "", "department": dept, "limit": 5,
                                                   "cursor": page1["next_cursor"]})
        assert page2["total"] == page1["total"]
        assert not set(ids(page1["employees"])) & set(ids(page2["employees"])), "pages overlap"
        members = await search_all(tools, {"query": "", "department": dept})
        assert len(members) == page1["total"]
        assert all(e["department"] == dept for e in members)
        assert all(e["status"] != "inactive" for e in members), "inactive people in a default search"
        # A cursor is bound to its query.
        await tools.error("search_employee", {"query": "", "department": "Sales", "cursor": page1["next_cursor"]},
                          "VALIDATION_FAILED")

        inactive = await search_all(tools, {"query": "", "status": "inactive"})
        assert inactive, "the seeded company has former employees"
        assert all(e["status"] == "inactive" and e["termination_date"] for e in inactive)
        everyone = await search_all(tools, {"query": "", "department": dept, "include_inactive": True})
        assert len(everyone) == len(members) + sum(1 for e in inactive if e["department"] == dept)

        # Exact e-mail takes the fast path and finds exactly that person.
        by_mail = await tools.ok("search_employee", {"query": jm["email"]})
        assert ids(by_mail["employees"]) == [jm["id"]]

        await tools.error("search_employee", {"query": ""}, "VALIDATION_FAILED")
        await tools.error("search_employee", {"query": "a", "limit": 51}, "VALIDATION_FAILED")


@pytest.mark.parametrize("mode", ERAS)
async def test_get_employee_by_id_email_and_unique_name(server: Server, mode: str):
    """get_employee resolves an id, an e-mail and a unique full name to the same full record, with
    no sensitive data (the sandbox seeds IBANs, salaries and birth dates: none may come back, only
    their count), and custom attributes only when allow-listed (--expose-attribute), under their
    Personio label."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
        by_id = await tools.ok("get_employee", {"employee": str(jm["id"])})
        by_mail = await tools.ok("get_employee", {"employee": jm["email"]})
        by_name = await tools.ok("get_employee", {"employee": "Jürgen Müller"})
        assert by_id == by_mail == by_name
        assert by_id["id"] == jm["id"] and by_id["name"] == "Jürgen Müller"
        assert by_id["email"] == jm["email"] and by_id["department"] == jm["department"]
        assert by_id["custom_attributes"] == {}, "custom attributes returned without an allow-list"
        assert by_id["withheld_sensitive_attributes"] > 0
        text = repr(by_id)
        assert not re.search(r"\b[A-Z]{2}\d{2}[A-Z0-9]{12,30}\b", text), f"an IBAN-like value leaked: {text}"
        for word in ("salary", "iban", "birthday", "birth_date", "social_security", "tax_id"):
            assert word not in text.lower(), f"sensitive field {word} leaked"
        assert_schema_rejects_broken(tools.tools["get_employee"].output_schema, by_id, "get_employee")

        await tools.error("get_employee", {"employee": "999999999"}, "NOT_FOUND")
        await tools.error("get_employee", {"employee": "nobody@nowhere.example"}, "NOT_FOUND")

    async with server.connect(mode, extra_args=["--expose-attribute", "Employee ID"]) as client:
        tools = await Tools.of(client)
        record = await tools.ok("get_employee", {"employee": "Jürgen Müller"})
        assert list(record["custom_attributes"]) == ["Employee ID"], record["custom_attributes"]
        attr = record["custom_attributes"]["Employee ID"]
        assert attr["key"].startswith("dynamic_") and isinstance(attr["value"], str) and attr["value"], attr


@pytest.mark.parametrize("mode", ERAS)
async def test_get_pto_balance_and_ambiguous_names(server: Server, mode: str):
    """Balances per type in the type's own unit, available ≤ balance, an as_of date and the
    no-accrual note; a type filter narrows to one type. An ambiguous first name is an AMBIGUOUS
    tool error whose details list real candidates (id, name, department, email) — never a guess."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        types = {t["id"]: t for t in (await tools.ok("list_time_off_types", {}))["types"]}
        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]

        r = await tools.ok("get_pto_balance", {"employee": str(jm["id"])})
        assert r["employee"] == {"id": jm["id"], "name": "Jürgen Müller"}
        assert DATE.match(r["as_of"])
        assert "accrual" in r["note"].lower()
        assert r["balances"], "no balances"
        for b in r["balances"]:
            assert b["unit"] in ("days", "hours"), b
            t = types.get(b["time_off_type_id"])
            assert t is not None, f"balance for unknown type {b}"
            assert b["unit"] == t["unit"] and b["name"] == t["name"], (b, t)
            if b["available_balance"] is not None:
                assert b["available_balance"] <= b["balance"] + 1e-9, b
        assert_schema_rejects_broken(tools.tools["get_pto_balance"].output_schema, r, "get_pto_balance")

        only = await tools.ok("get_pto_balance", {"employee": jm["email"], "time_off_type": "paid vacation"})
        assert [b["name"] for b in only["balances"]] == ["Paid vacation"]
        await tools.error("get_pto_balance", {"employee": str(jm["id"]), "time_off_type": "Sabbatical"}, "NOT_FOUND")

        annas = [e for e in await search_all(tools, {"query": "Anna", "include_inactive": True})
                 if e["name"].split()[0] == "Anna"]
        assert len(annas) >= 2, "the sandbox should have several people called Anna"
        err = await tools.error("get_pto_balance", {"employee": "Anna"}, "AMBIGUOUS")
        # The candidates are in the text (many clients show the model nothing else):
        # "- id 123: Anna Becker, Sales, anna.becker@…, active".
        cands = re.findall(r"^- id (\d+): ([^,\n]+)", err["text"], re.M)
        assert len(cands) >= 2, err["text"]
        anna_ids = set(ids(annas))
        for cid, name in cands:
            assert name.split()[0] == "Anna", name
            assert int(cid) in anna_ids, f"candidate {cid} is not one of the Annas search_employee knows"
        assert "\nNext: " in err["text"], "AMBIGUOUS without a next step"
        # Every tool that takes a person resolves the same way.
        await tools.error("get_employee", {"employee": "Anna"}, "AMBIGUOUS")
        await tools.error("list_absences", {"employee": "anna"}, "AMBIGUOUS")


@pytest.mark.parametrize("mode", ERAS)
async def test_list_absences_window_filters_and_pagination(server: Server, mode: str):
    """A department's absences over this calendar year: each overlaps the window, belongs to a
    member of the department, has the one shape for days and hours; paging with a cursor walks the
    whole result without overlap; type and employee filters narrow it."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
        today = dt.date.fromisoformat((await tools.ok("get_pto_balance", {"employee": str(jm["id"])}))["as_of"])
        frm, to = f"{today.year}-01-01", f"{today.year}-12-31"
        dept = "Engineering"
        members = {e["id"] for e in await search_all(tools, {"query": "", "department": dept, "include_inactive": True})}

        seen: list[dict] = []
        cursor = None
        total = None
        for _ in range(40):
            args = {"department": dept, "from": frm, "to": to, "limit": 100}
            if cursor:
                args["cursor"] = cursor
            page = await tools.ok("list_absences", args)
            assert (page["from"], page["to"]) == (frm, to)
            total = page["total"] if total is None else total
            assert page["total"] == total, "total changed between pages"
            seen.extend(page["absences"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert total and total > 100, f"expected more than one page of absences, got {total}"
        # One query pages through at most the record cap (200); the summary counts everything.
        assert len(seen) == min(total, 200)
        assert len({a["id"] for a in seen}) == len(seen), "an absence appears on two pages"
        assert sum(page["summary"]["by_type"].values()) == total
        assert (page["note"] is not None) == (total > 200)

        units = set()
        for a in seen:
            assert a["employee"]["id"] in members, f"{a['employee']} is not in {dept}"
            assert a["start_date"] <= to and a["end_date"] >= frm, f"outside the window: {a}"
            assert a["start_date"] <= a["end_date"]
            assert a["unit"] == a["time_off_type"]["unit"] and a["unit"] in ("days", "hours")
            assert a["status"] in ("approved", "pending", "requested"), a
            units.add(a["unit"])
            if a["unit"] == "hours":
                assert HHMM.match(a["start_time"] or "") and HHMM.match(a["end_time"] or ""), a
                assert a["timezone"], a
            else:
                assert a["start_time"] is None and a["end_time"] is None, a
        assert units == {"days", "hours"}, f"expected day and hour absences in a year of {dept}: {units}"

        vac = await tools.ok("list_absences", {"department": dept, "from": frm, "to": to, "limit": 200,
                                               "time_off_types": ["Paid vacation"]})
        assert vac["total"] and all(a["time_off_type"]["name"] == "Paid vacation" for a in vac["absences"])
        assert vac["total"] < total

        someone = seen[0]["employee"]
        mine = await tools.ok("list_absences", {"employee": str(someone["id"]), "from": frm, "to": to, "limit": 200})
        assert mine["total"] >= 1 and all(a["employee"]["id"] == someone["id"] for a in mine["absences"])
        mine_ids = {a["id"] for a in mine["absences"]}
        seen_ids = {a["id"] for a in seen if a["employee"]["id"] == someone["id"]}
        # `seen` stops at the record cap (200): beyond it, the person may have more absences.
        assert seen_ids <= mine_ids
        if total <= 200:
            assert seen_ids == mine_ids

        default = await tools.ok("list_absences", {"department": dept})
        assert default["from"] == today.replace(day=1).isoformat(), "default window is not this month"


@pytest.mark.parametrize("mode", ERAS)
async def test_list_absences_rejects_bad_input(server: Server, mode: str):
    """Invalid dates, reversed and over-long windows, unknown statuses and departments are
    isError results with a stable code (VALIDATION_FAILED / NOT_FOUND), not protocol errors."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        err = await tools.error("list_absences", {"from": "2026-02-30", "to": "2026-03-05"}, "VALIDATION_FAILED")
        assert "from" in err["message"]
        await tools.error("list_absences", {"from": "31.12.2026"}, "VALIDATION_FAILED")
        await tools.error("list_absences", {"from": "2026-03-10", "to": "2026-03-01"}, "VALIDATION_FAILED")
        await tools.error("list_absences", {"from": "2025-01-01", "to": "2026-12-31"}, "VALIDATION_FAILED")
        await tools.error("list_absences", {"status": ["cancelled"]}, "VALIDATION_FAILED")
        await tools.error("list_absences", {"department": "Department of Nothing"}, "NOT_FOUND")
        await tools.error("list_absences", {"limit": 0}, "VALIDATION_FAILED")
        # A cursor only continues the listing it came from.
        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
        year = (await tools.ok("get_pto_balance", {"employee": str(jm["id"])}))["as_of"][:4]
        window = {"from": f"{year}-01-01", "to": f"{year}-12-31", "limit": 1}
        page = await tools.ok("list_absences", {"department": "Engineering", **window})
        assert page["next_cursor"]
        await tools.error("list_absences", {"department": "Sales", **window, "cursor": page["next_cursor"]},
                          "VALIDATION_FAILED")


@pytest.mark.parametrize("mode", ERAS)
async def test_list_time_off_types(server: Server, mode: str):
    """The account's types: unique ids, names, days and hours units both present, approval flags;
    every type name is accepted back by get_pto_balance's type filter."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        r = await tools.ok("list_time_off_types", {})
        types = r["types"]
        assert len({t["id"] for t in types}) == len(types) >= 2
        assert {t["unit"] for t in types} == {"days", "hours"}
        names = [t["name"] for t in types]
        assert "Paid vacation" in names
        assert all(isinstance(t["approval_required"], bool) for t in types)
        assert_schema_rejects_broken(tools.tools["list_time_off_types"].output_schema, r, "list_time_off_types")
        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
        for t in types:
            b = await tools.ok("get_pto_balance", {"employee": str(jm["id"]), "time_off_type": t["name"]})
            assert [x["time_off_type_id"] for x in b["balances"]] == [t["id"]], (t, b)


@pytest.mark.parametrize("mode", ["legacy"])
async def test_absence_types_match_the_type_list(server: Server, mode: str):
    """Each absence's embedded type (id, name, category, unit) is the same as list_time_off_types
    says for that id, for day and hour types alike."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        types = {t["id"]: t for t in (await tools.ok("list_time_off_types", {}))["types"]}
        jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
        year = (await tools.ok("get_pto_balance", {"employee": str(jm["id"])}))["as_of"][:4]
        r = await tools.ok("list_absences", {"department": "Engineering", "from": f"{year}-01-01",
                                             "to": f"{year}-12-31", "limit": 200})
        assert r["absences"]
        for a in r["absences"]:
            t = types[a["time_off_type"]["id"]]
            got = a["time_off_type"]
            assert (got["name"], got["category"], got["unit"]) == (t["name"], t["category"], t["unit"]), (got, t)
