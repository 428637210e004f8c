"""create_time_off end to end: the write gate, the three confirmation channels the server picks per
client (2026-07-28 MRTR `input_required`, legacy `elicitation/create`, preview + sealed
confirmation_token), dry runs, pending status, and no duplicate on a repeated call.

Each test gets its own server process, hence its own fresh sandbox.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mcp import MCPError, types

from conftest import ERAS, READ_TOOLS, WRITE_TOOL, WRITE_TOOLS, Server, Tools, assert_schema_rejects_broken

pytestmark = pytest.mark.anyio


class Human:
    """An elicitation callback standing in for the person who confirms (or declines)."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.asked: list[str] = []

    async def __call__(self, ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params.message)
        if self.accept:
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")


async def _setup(tools: Tools) -> tuple[dict[str, Any], dt.date]:
    """Jürgen Müller (the seeded CEO) and the server's today (as_of of a balance)."""
    jm = (await tools.ok("search_employee", {"query": "Jürgen Müller"}))["employees"][0]
    assert jm["name"] == "Jürgen Müller" and jm["status"] == "active"
    as_of = (await tools.ok("get_pto_balance", {"employee": str(jm["id"])}))["as_of"]
    return jm, dt.date.fromisoformat(as_of)


async def _absences_on(tools: Tools, employee_id: int, day: dt.date) -> list[dict[str, Any]]:
    r = await tools.ok("list_absences", {"employee": str(employee_id), "from": day.isoformat(),
                                         "to": day.isoformat(), "limit": 200})
    return r["absences"]


async def _free_weekday(tools: Tools, employee_id: int, today: dt.date, weekday: int, skip: int = 0) -> dt.date:
    """The first `weekday` (0 = Monday) at least 31 days after today with no absence booked
    (after skipping `skip` free ones)."""
    day = today + dt.timedelta(days=31)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    for _ in range(30):
        if not await _absences_on(tools, employee_id, day):
            if skip == 0:
                return day
            skip -= 1
        day += dt.timedelta(days=7)
    raise AssertionError("no free day found in 30 weeks")


def _assert_write_annotations(tool: types.Tool) -> None:
    assert tool.title and tool.description
    ann = tool.annotations
    assert ann is not None
    assert (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint, ann.open_world_hint) == (
        False, False, False, True,
    ), ann
    props = tool.input_schema["properties"]
    for arg in ("employee", "time_off_type", "start_date", "end_date", "half_day_start", "half_day_end",
                "start_time", "end_time", "comment", "dry_run", "confirmation_token", "idempotency_key"):
        assert arg in props and props[arg].get("description"), f"create_time_off.{arg}"
    assert set(tool.input_schema.get("required", [])) == {"employee", "time_off_type", "start_date"}
    assert tool.output_schema and tool.output_schema.get("type") == "object"


@pytest.mark.parametrize("mode", ERAS)
async def test_write_gate_default_read_only_and_enabled(server: Server, mode: str):
    """Default: create_time_off is listed (with write annotations) but every call is a
    WRITES_DISABLED tool error saying how to enable writes. --read-only: not listed and not
    callable (protocol error). --enable-writes: listed and working (see the tests below)."""
    async with server.connect(mode) as client:
        tools = await Tools.of(client)
        assert sorted(tools.tools) == sorted([*READ_TOOLS, *WRITE_TOOLS])
        _assert_write_annotations(tools.tools[WRITE_TOOL])
        err = await tools.error(WRITE_TOOL, {"employee": "Jürgen Müller", "time_off_type": "Paid vacation",
                                             "start_date": "2030-01-08"}, "WRITES_DISABLED")
        assert "--enable-writes" in err["text"]

    async with server.connect(mode, extra_args=["--read-only"]) as client:
        tools = await Tools.of(client)
        assert sorted(tools.tools) == sorted(READ_TOOLS)
        with pytest.raises(MCPError):
            await tools.raw(WRITE_TOOL, {"employee": "1", "time_off_type": "Paid vacation", "start_date": "2030-01-08"})

    async with server.connect(mode, writes=True) as client:
        tools = await Tools.of(client)
        assert sorted(tools.tools) == sorted([*READ_TOOLS, *WRITE_TOOLS])
        _assert_write_annotations(tools.tools[WRITE_TOOL])


@pytest.mark.parametrize("mode", ERAS)
async def test_confirmed_create_then_same_call_returns_the_existing_request(server: Server, mode: str):
    """With an elicitation-capable client the server asks the human through the client (auto:
    MRTR input_required, resolved by the SDK; legacy: elicitation/create). A Tuesday a month ahead:
    the dry run previews 1 day without asking or writing; the real call asks once (the message names
    the person and the date) and creates one pending absence, deducted from available_balance when
    in this year; the identical call again answers already_existed without asking, no duplicate
    appears in list_absences, and an overlapping request of another type is refused."""
    human = Human(accept=True)
    async with server.connect(mode, writes=True, elicitation=human) as client:
        tools = await Tools.of(client)
        jm, today = await _setup(tools)
        day = await _free_weekday(tools, jm["id"], today, weekday=1)
        assert day.weekday() == 1 and day >= today + dt.timedelta(days=31)
        args = {"employee": str(jm["id"]), "time_off_type": "Paid vacation", "start_date": day.isoformat(),
                "end_date": day.isoformat(), "comment": "e2e: one day off"}

        preview = await tools.ok(WRITE_TOOL, {**args, "dry_run": True})
        assert preview["dry_run"] is True and preview["created"] is False and preview["already_existed"] is False
        assert preview["absence"] is None and preview["status"] == "preview"
        assert (preview["amount"], preview["unit"]) == (1.0, "days")
        assert preview["employee"] == {"id": jm["id"], "name": "Jürgen Müller"}
        assert "Jürgen Müller" in preview["summary"] and day.isoformat() in preview["summary"]
        assert human.asked == [], "a dry run asked for confirmation"
        assert await _absences_on(tools, jm["id"], day) == [], "the dry run wrote something"

        async def paid_vacation() -> dict[str, Any]:
            r = await tools.ok("get_pto_balance", {"employee": str(jm["id"]), "time_off_type": "Paid vacation"})
            assert len(r["balances"]) == 1
            return r["balances"][0]

        before = await paid_vacation()
        created = await tools.ok(WRITE_TOOL, args)
        assert len(human.asked) == 1, f"expected one confirmation dialog, got {human.asked}"
        assert "Jürgen Müller" in human.asked[0] and day.isoformat() in human.asked[0], human.asked
        assert created["created"] is True and created["dry_run"] is False and created["already_existed"] is False
        absence = created["absence"]
        assert absence is not None
        assert (absence["start_date"], absence["end_date"]) == (day.isoformat(), day.isoformat())
        assert absence["employee"]["id"] == jm["id"]
        assert absence["time_off_type"]["name"] == "Paid vacation"
        assert absence["comment"] == "e2e: one day off"
        # Paid vacation needs approval, and the server never skips it.
        assert created["status"] == "pending" == absence["status"], created
        assert_schema_rejects_broken(tools.tools[WRITE_TOOL].output_schema, created, WRITE_TOOL)

        after = await paid_vacation()
        if day.year == today.year:
            # Planned (future, pending) time off is deducted from available_balance only; Personio
            # keeps balances per year, so this only holds for a day in the current year.
            assert after["balance"] == before["balance"], (before, after)
            assert after["available_balance"] == pytest.approx(before["available_balance"] - 1.0), (before, after)

        again = await tools.ok(WRITE_TOOL, args)
        assert again["already_existed"] is True and again["created"] is False, again
        assert again["absence"] and again["absence"]["id"] == absence["id"]
        assert len(human.asked) == 1, "the repeated call asked again instead of returning the existing request"

        booked = await _absences_on(tools, jm["id"], day)
        assert [a["id"] for a in booked] == [absence["id"]], f"expected exactly the one request: {booked}"

        # A different type on the same day overlaps the request: refused before any write.
        await tools.error(WRITE_TOOL, {**args, "time_off_type": "Unpaid leave"}, "CONFLICT")
        assert len(await _absences_on(tools, jm["id"], day)) == 1


@pytest.mark.parametrize("mode", ERAS)
async def test_declined_confirmation_books_nothing(server: Server, mode: str):
    """When the human declines the dialog, the result says declined and nothing is written."""
    human = Human(accept=False)
    async with server.connect(mode, writes=True, elicitation=human) as client:
        tools = await Tools.of(client)
        jm, today = await _setup(tools)
        day = await _free_weekday(tools, jm["id"], today, weekday=1)
        r = await tools.ok(WRITE_TOOL, {"employee": str(jm["id"]), "time_off_type": "Paid vacation",
                                        "start_date": day.isoformat()})
        assert len(human.asked) == 1
        assert r["status"] == "declined" and r["created"] is False and r["absence"] is None, r
        assert await _absences_on(tools, jm["id"], day) == []


@pytest.mark.parametrize("mode", ERAS)
async def test_token_confirmation_for_clients_without_elicitation(server: Server, mode: str):
    """A client without elicitation gets a preview with a sealed confirmation_token and nothing is
    written; the same arguments plus the token write. A token for another request, or an altered
    one, is refused. An idempotency_key replays the first result. (`--confirm-via token`: with the
    default `auto` such a client gets the confirmation page, see tests/confirm_flow_browser.rs.)"""
    async with server.connect(mode, writes=True, extra_args=["--confirm-via", "token"]) as client:
        tools = await Tools.of(client)
        jm, today = await _setup(tools)
        day = await _free_weekday(tools, jm["id"], today, weekday=1)
        other_day = await _free_weekday(tools, jm["id"], today, weekday=1, skip=1)
        args = {"employee": jm["email"], "time_off_type": "Paid vacation", "start_date": day.isoformat(),
                "idempotency_key": "e2e-token-1"}

        first = await tools.ok(WRITE_TOOL, args)
        assert first["status"] == "confirmation_required" and first["created"] is False, first
        token = first["confirmation_token"]
        assert token and first["next_step"] and "Jürgen Müller" in first["summary"]
        assert await _absences_on(tools, jm["id"], day) == [], "written before confirmation"

        other = {**args, "start_date": other_day.isoformat(), "idempotency_key": "e2e-token-2"}
        await tools.error(WRITE_TOOL, {**other, "confirmation_token": token}, "VALIDATION_FAILED")
        altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        await tools.error(WRITE_TOOL, {**args, "confirmation_token": altered}, "VALIDATION_FAILED")
        assert await _absences_on(tools, jm["id"], other_day) == []

        done = await tools.ok(WRITE_TOOL, {**args, "confirmation_token": token})
        assert done["created"] is True and done["status"] == "pending", done
        booked = await _absences_on(tools, jm["id"], day)
        assert [a["id"] for a in booked] == [done["absence"]["id"]]

        replay = await tools.ok(WRITE_TOOL, args)
        assert replay == done, "the idempotency key did not replay the first result"
        await tools.error(WRITE_TOOL, {**other, "idempotency_key": "e2e-token-1"}, "CONFLICT")
        assert len(await _absences_on(tools, jm["id"], day)) == 1


@pytest.mark.parametrize("mode", ERAS)
async def test_hour_type_create_and_validation_errors(server: Server, mode: str):
    """An hour-based type is booked with start/end times on one day (amount in hours, never days);
    invalid requests are VALIDATION_FAILED / NOT_FOUND tool errors, never ask the human, and write
    nothing."""
    human = Human(accept=True)
    async with server.connect(mode, writes=True, elicitation=human) as client:
        tools = await Tools.of(client)
        jm, today = await _setup(tools)
        emp = str(jm["id"])
        day = await _free_weekday(tools, jm["id"], today, weekday=2)

        r = await tools.ok(WRITE_TOOL, {"employee": emp, "time_off_type": "Doctor's appointment",
                                        "start_date": day.isoformat(), "start_time": "10:00", "end_time": "11:30"})
        assert r["created"] is True and (r["amount"], r["unit"]) == (1.5, "hours"), r
        a = r["absence"]
        assert (a["start_date"], a["start_time"], a["end_time"], a["unit"]) == (day.isoformat(), "10:00", "11:30", "hours")
        assert a["timezone"]
        asked = len(human.asked)
        assert asked == 1

        saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
        past_weekday = today - dt.timedelta(days=1)
        while past_weekday.weekday() >= 5:
            past_weekday -= dt.timedelta(days=1)
        bad = [
            ({"time_off_type": "Paid vacation", "start_date": day.isoformat(), "start_time": "09:00",
              "end_time": "12:00"}, "VALIDATION_FAILED"),  # times on a day type
            ({"time_off_type": "Doctor's appointment", "start_date": day.isoformat()}, "VALIDATION_FAILED"),
            ({"time_off_type": "Paid vacation", "start_date": day.isoformat(),
              "end_date": (day - dt.timedelta(days=1)).isoformat()}, "VALIDATION_FAILED"),
            ({"time_off_type": "Paid vacation", "start_date": day.isoformat(), "half_day_start": True,
              "half_day_end": True}, "VALIDATION_FAILED"),  # Personio's single-day rule
            ({"time_off_type": "Paid vacation", "start_date": saturday.isoformat()}, "VALIDATION_FAILED"),
            ({"time_off_type": "Paid vacation", "start_date": "2026-02-30"}, "VALIDATION_FAILED"),
            ({"time_off_type": "Paid vacation", "start_date": past_weekday.isoformat()}, "VALIDATION_FAILED"),
            ({"time_off_type": "Sabbatical", "start_date": day.isoformat()}, "NOT_FOUND"),
        ]
        for args, code in bad:
            await tools.error(WRITE_TOOL, {"employee": emp, **args}, code)
        assert len(human.asked) == asked, "an invalid request reached the confirmation dialog"
        booked = await _absences_on(tools, jm["id"], day)
        assert [x["id"] for x in booked] == [a["id"]], "a refused request wrote something"
