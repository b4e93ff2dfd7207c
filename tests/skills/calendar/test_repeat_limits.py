"""Repeat-rule bombs (issue 24): rules that repeat more often than every 15 minutes are
refused wherever an event comes in (an .ics file, a CalDAV server, os1's own events) with
a reason the person sees; listings stay quick for such events stored before, and for
rules that are slow to expand, cap what they show, and say that some repeats are not
shown. The expansion itself runs in the parsing pool."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import icalendar
import pytest
from calendar_parts import BERLIN, NOW, context, radicale, server_calendar, store

from os1.skills.calendar.agenda import occurrences, what_is_on
from os1.skills.calendar.events import (
    BadEvent,
    EventRecord,
    calendar_text,
    new_event,
    read_event,
    record_of,
    too_often,
)
from os1.skills.calendar.importing import ImportCalendar, ImportCalendarArgs
from os1.skills.calendar.listing import ListEvents, ListEventsArgs
from os1.skills.calendar.repeats import EVENT_SECONDS, MAX_PER_EVENT
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.sync import Account, connect, sync
from os1.store import UserStore

__all__ = ["radicale", "store"]
TODAY = NOW.strftime("%Y%m%d")


def _vevent(uid: str, summary: str, rule: str, start: str = f"{TODAY}T000000Z") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n"
        f"DTEND:{start}\r\nSUMMARY:{summary}\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
    )


def _stored_before(
    uid: str, summary: str, rule: str, start: str = f"{TODAY}T000000Z"
) -> EventRecord:
    """An event as stored before such rules were refused (no checks on the way in)."""
    ics = calendar_text([_vevent(uid, summary, rule, start)])
    return record_of(icalendar.Calendar.from_ical(ics).walk("VEVENT"), ics)


@pytest.mark.parametrize(
    ("rule", "refused"),
    [
        ("FREQ=SECONDLY", "by the second"),
        ("FREQ=MINUTELY;INTERVAL=30", "by the minute"),
        ("FREQ=HOURLY;BYMINUTE=0,10,20,30,40", "120 times a day"),
        ("FREQ=YEARLY;BYMINUTE=0,1;BYSECOND=" + ",".join(map(str, range(60))), "120 times a day"),
        ("FREQ=HOURLY", None),
        ("FREQ=HOURLY;BYMINUTE=0,15,30,45", None),
        ("FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30", None),
        ("FREQ=WEEKLY;BYDAY=MO,WE", None),
    ],
)
def test_rules_repeating_more_often_than_every_15_minutes_are_refused(
    rule: str, refused: str | None
) -> None:
    why = too_often(rule)
    assert (why is None) if refused is None else (why is not None and refused in why)


async def test_the_import_preview_names_each_bomb_and_why(store: UserStore, tmp_path: Path) -> None:
    path = tmp_path / "bombs.ics"
    path.write_text(
        calendar_text(
            [
                _vevent("s@x", "Every second", "FREQ=SECONDLY"),
                _vevent("m@x", "Every minute", "FREQ=MINUTELY"),
                _vevent("h@x", "Standup", "FREQ=DAILY;BYHOUR=9"),
            ]
        )
    )
    plan = await ImportCalendar().plan(context(store), ImportCalendarArgs(path=str(path)))
    assert not isinstance(plan, str)
    assert "1 new event(s)" in plan.preview
    assert "Skipped event 1 (line 4, “Every second”): it repeats by the second" in plan.preview
    assert "Skipped event 2 (line 12, “Every minute”): it repeats by the minute" in plan.preview


def test_os1_never_makes_nor_reads_such_an_event() -> None:
    start = NOW + dt.timedelta(days=1)
    with pytest.raises(BadEvent, match="by the minute"):
        new_event(summary="x", start=start, end=start, rrule="FREQ=MINUTELY", now=0)
    with pytest.raises(BadEvent, match="by the second"):
        read_event(calendar_text([_vevent("s@x", "x", "FREQ=SECONDLY")]))


async def test_a_bomb_on_the_calendar_server_is_not_brought_in(
    store: UserStore, radicale: str
) -> None:
    await connect(store, Account(radicale, "ada", "secret", "os1"))
    server = await asyncio.to_thread(server_calendar, radicale)
    bomb = calendar_text([_vevent("bomb@phone", "Every second", "FREQ=SECONDLY")])
    await asyncio.to_thread(server.save_event, bomb)
    report = await sync(store)
    assert not report.pulled and "by the second" in " ".join(report.failed)
    assert await CalendarStore(store).count() == 0


async def test_a_bomb_stored_before_lists_at_once_with_its_first_time(store: UserStore) -> None:
    calendar = CalendarStore(store)
    await calendar.put(_stored_before("s@x", "Every second", "FREQ=SECONDLY"))
    await calendar.put(_stored_before("m@x", "Every minute", "FREQ=MINUTELY", "20000101T000000Z"))
    started = time.monotonic()
    answer = await ListEvents().plan(context(store), ListEventsArgs(when="today"))
    assert time.monotonic() - started < 5  # 7.6 s of a frozen server before, for one day
    assert isinstance(answer, str)
    assert "Every second (repeats)" in answer
    not_shown = answer.partition("Some repeats are not shown")[2]
    assert "“Every second”" in not_shown and "“Every minute”" in not_shown


async def test_a_rule_slow_to_expand_is_cut_in_time(store: UserStore) -> None:
    """A daily rule that never happens is checked day by day up to the year 9999."""
    calendar = CalendarStore(store)
    await calendar.put(_stored_before("n@x", "Never", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"))
    await calendar.put(_stored_before("w@x", "Weekly", "FREQ=WEEKLY", "20261116T100000Z"))
    started = time.monotonic()
    found = await what_is_on(calendar, NOW, NOW + dt.timedelta(days=7), BERLIN)
    assert time.monotonic() - started < EVENT_SECONDS + 5
    assert found.not_shown == ("Never",)
    assert [o.summary for o in found.occurrences] == ["Weekly"]


async def test_a_listing_caps_the_repeats_of_one_event(store: UserStore) -> None:
    await CalendarStore(store).put(_stored_before("h@x", "Hourly", "FREQ=HOURLY"))
    found = await what_is_on(CalendarStore(store), NOW, NOW + dt.timedelta(days=60), BERLIN)
    assert len(found.occurrences) == MAX_PER_EVENT and found.not_shown == ("Hourly",)
    assert found.occurrences == sorted(found.occurrences, key=lambda o: o.begins(BERLIN))
    plain = await occurrences(CalendarStore(store), NOW, NOW + dt.timedelta(days=1), BERLIN)
    assert len(plain) == 24
