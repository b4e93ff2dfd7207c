"""Two-way CalDAV sync against a real Radicale server on loopback: what is made, changed
or deleted on either side ends up on both; a clash keeps the later change and says so."""

from __future__ import annotations

import asyncio
import datetime as dt

import caldav
from calendar_parts import BERLIN, NOW, context, radicale, server_calendar, server_titles, store

from os1.skills.calendar.adding import AddEvent, AddEventArgs
from os1.skills.calendar.events import EventRecord, new_event, read_event
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.sync import Account, connect, sync
from os1.store import UserStore

__all__ = ["radicale", "store"]


def _event(summary: str, day: int, hour: int, *, uid: str = "", stamp: float) -> EventRecord:
    start = dt.datetime(2026, 12, day, hour, tzinfo=BERLIN)
    return new_event(
        summary=summary, start=start, end=start + dt.timedelta(hours=1), uid=uid, now=stamp
    )


async def _titles(store: UserStore) -> set[str]:
    return {e.record.summary for e in await CalendarStore(store).all()}


async def _connected(store: UserStore, url: str) -> caldav.Calendar:
    await connect(store, Account(url, "ada", "secret", "os1"))
    return await asyncio.to_thread(server_calendar, url)


async def test_events_made_on_either_side_reach_the_other(store: UserStore, radicale: str) -> None:
    server = await _connected(store, radicale)
    calendar = CalendarStore(store)
    await calendar.put(_event("Dentist", 1, 9, stamp=NOW.timestamp()))
    theirs = _event("Book club", 2, 19, uid="club@phone", stamp=NOW.timestamp())
    await asyncio.to_thread(server.save_event, theirs.ics)

    report = await sync(store)
    assert report.pushed == ["“Dentist”"] and report.pulled == ["“Book club”"]
    assert await asyncio.to_thread(server_titles, server) == {"Dentist", "Book club"}
    assert await _titles(store) == {"Dentist", "Book club"}
    pulled = await calendar.get("club@phone")
    assert pulled is not None and pulled.record.start == dt.datetime(2026, 12, 2, 19, tzinfo=BERLIN)

    again = await sync(store)
    assert again.lines() == ["Already in step: nothing to sync."]


async def test_edits_and_deletions_on_both_sides(store: UserStore, radicale: str) -> None:
    server = await _connected(store, radicale)
    calendar = CalendarStore(store)
    early = NOW.timestamp()
    for title, uid, day in [("Yoga", "yoga", 3), ("Piano", "piano", 4), ("Tax", "tax", 5)]:
        await calendar.put(_event(title, day, 18, uid=uid, stamp=early))
    await calendar.put(_event("Old plan", 6, 10, uid="old", stamp=early))
    await sync(store)

    # on the phone: Yoga renamed, Tax deleted
    yoga = await asyncio.to_thread(server.event_by_uid, "yoga")
    yoga.data = yoga.data.replace("SUMMARY:Yoga", "SUMMARY:Yoga at the park")
    await asyncio.to_thread(yoga.save)
    tax = await asyncio.to_thread(server.event_by_uid, "tax")
    await asyncio.to_thread(tax.delete)
    # here: Piano moved an hour later, the old plan deleted
    await calendar.put(_event("Piano (later)", 4, 19, uid="piano", stamp=early + 60))
    await calendar.remove("old", early + 60)

    report = await sync(store)
    assert report.pulled == ["“Yoga at the park”"]
    assert report.pushed == ["“Piano (later)”"]
    assert report.deleted_here == ["“Tax”"] and report.deleted_there == ["“Old plan”"]
    expected = {"Yoga at the park", "Piano (later)"}
    assert await _titles(store) == expected
    assert await asyncio.to_thread(server_titles, server) == expected
    assert await calendar.get("old", deleted=True) is None  # the tombstone is gone too


async def test_a_clash_keeps_the_later_change_and_says_so(store: UserStore, radicale: str) -> None:
    server = await _connected(store, radicale)
    calendar = CalendarStore(store)
    stamp = NOW.timestamp()
    await calendar.put(_event("Review", 7, 11, uid="review", stamp=stamp))
    await calendar.put(_event("Run", 8, 7, uid="run", stamp=stamp))
    await sync(store)

    # both sides change both events; the server's Review change is later, ours of Run is
    for uid, there, here, later_here in [
        ("review", "Review (server)", "Review (here)", False),
        ("run", "Run (server)", "Run (here)", True),
    ]:
        their_stamp = stamp + (100 if not later_here else 50)
        remote = _event(there, 7, 11, uid=uid, stamp=their_stamp)
        found = await asyncio.to_thread(server.event_by_uid, uid)
        found.data = remote.ics
        await asyncio.to_thread(found.save, increase_seqno=False)
        await calendar.put(_event(here, 7, 11, uid=uid, stamp=stamp + (100 if later_here else 50)))

    report = await sync(store)
    assert len(report.conflicts) == 2
    assert any("Review (server)" in c and "server's" in c for c in report.conflicts)
    assert any("Run (here)" in c and "changed here" in c for c in report.conflicts)
    assert await _titles(store) == {"Review (server)", "Run (here)"}
    assert await asyncio.to_thread(server_titles, server) == {"Review (server)", "Run (here)"}


async def test_add_event_goes_to_the_server_and_its_undo_takes_it_away(
    store: UserStore, radicale: str
) -> None:
    server = await _connected(store, radicale)
    tool = AddEvent()
    ctx = context(store)
    plan = await tool.plan(ctx, AddEventArgs(title="Lunch with Amy", when="next Thursday at one"))
    assert not isinstance(plan, str)
    assert "goes to your calendar server too" in plan.preview
    outcome = await tool.run(ctx, plan.args)
    assert "on the calendar server too" in outcome.message
    assert await asyncio.to_thread(server_titles, server) == {"Lunch with Amy"}
    on_server = await asyncio.to_thread(server.event_by_uid, plan.args["uid"])
    start = read_event(on_server.data).start
    assert start == dt.datetime(2026, 11, 26, 13, tzinfo=BERLIN)
    assert "TZID=Europe/Berlin" in on_server.data and "BEGIN:VTIMEZONE" in on_server.data

    assert outcome.undo is not None
    message = await tool.undo(ctx, outcome.undo)
    assert "gone from the calendar server too" in message
    assert await asyncio.to_thread(server_titles, server) == set()
    assert await _titles(store) == set()


async def test_a_server_that_is_down_only_delays_the_upload(
    store: UserStore, radicale: str
) -> None:
    await _connected(store, radicale)
    await store.set_setting(
        "calendar.caldav",
        {**(await store.get_setting("calendar.caldav")), "url": "http://127.0.0.1:9/"},
    )
    good = await store.get_setting("calendar.caldav")
    good = {**good, "calendar_url": good["calendar_url"].replace(radicale, "http://127.0.0.1:9/")}
    await store.set_setting("calendar.caldav", good)
    tool = AddEvent()
    ctx = context(store)
    plan = await tool.plan(ctx, AddEventArgs(title="Haircut", when="Friday at 10"))
    assert not isinstance(plan, str)
    outcome = await tool.run(ctx, plan.args)
    assert "the next sync will" in outcome.message
    assert await _titles(store) == {"Haircut"}  # kept here, marked for the next sync
    stored = await CalendarStore(store).get(plan.args["uid"])
    assert stored is not None and stored.dirty and not stored.href
