"""Repeating events expanded as calendar programs show them (skipped days, moved single
occurrences, summer time), clashes with the new event, and reminders that are due."""

from __future__ import annotations

import datetime as dt

from calendar_parts import BERLIN, NOW, store

from os1.skills.calendar.agenda import conflicts, due_reminders, occurrences
from os1.skills.calendar.events import new_event, read_event, skip_occurrence
from os1.skills.calendar.store import CalendarStore
from os1.store import UserStore

__all__ = ["store"]

STANDUP = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//phone//EN\r
BEGIN:VEVENT\r
UID:standup@work\r
DTSTAMP:20261001T080000Z\r
DTSTART;TZID=Europe/Berlin:20261012T090000\r
DTEND;TZID=Europe/Berlin:20261012T091500\r
RRULE:FREQ=WEEKLY;BYDAY=MO\r
EXDATE;TZID=Europe/Berlin:20261102T090000\r
SUMMARY:Standup\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
TRIGGER:-PT10M\r
END:VALARM\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:standup@work\r
DTSTAMP:20261001T080000Z\r
RECURRENCE-ID;TZID=Europe/Berlin:20261109T090000\r
DTSTART;TZID=Europe/Berlin:20261110T113000\r
DTEND;TZID=Europe/Berlin:20261110T114500\r
SUMMARY:Standup (moved to Tuesday)\r
END:VEVENT\r
END:VCALENDAR\r
"""


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


async def test_repeats_skip_exdates_follow_overrides_and_keep_the_wall_clock(
    store: UserStore,
) -> None:
    calendar = CalendarStore(store)
    await calendar.put(read_event(STANDUP))
    found = await occurrences(calendar, at(10, 18, 0), at(11, 20, 0), BERLIN)
    assert [(o.summary, o.begins(BERLIN)) for o in found] == [
        ("Standup", at(10, 19, 9)),
        ("Standup", at(10, 26, 9)),  # the first Monday of winter time: still 9:00
        ("Standup (moved to Tuesday)", at(11, 10, 11, 30)),
        ("Standup", at(11, 16, 9)),
    ]  # 2 November is skipped (EXDATE)
    assert found[0].begins(BERLIN).utcoffset() == dt.timedelta(hours=2)
    assert found[1].begins(BERLIN).utcoffset() == dt.timedelta(hours=1)


async def test_cancelling_one_occurrence_keeps_the_others(store: UserStore) -> None:
    calendar = CalendarStore(store)
    record = read_event(STANDUP)
    await calendar.put(skip_occurrence(record, at(11, 16, 9), NOW.timestamp()))
    found = await occurrences(calendar, at(11, 15, 0), at(12, 1, 0), BERLIN)
    assert [o.begins(BERLIN) for o in found] == [at(11, 23, 9), at(11, 30, 9)]
    # cancelling the moved occurrence removes its override too
    await calendar.put(skip_occurrence(record, at(11, 9, 9), NOW.timestamp()))
    moved = await occurrences(calendar, at(11, 9, 0), at(11, 12, 0), BERLIN)
    assert moved == []


async def test_clashes_include_occurrences_of_repeating_events(store: UserStore) -> None:
    calendar = CalendarStore(store)
    await calendar.put(read_event(STANDUP))
    holiday = new_event(
        summary="Holiday", start=dt.date(2026, 11, 30), end=dt.date(2026, 12, 1), now=0
    )
    await calendar.put(holiday)
    review = new_event(summary="Review", start=at(11, 30, 9, 10), end=at(11, 30, 10), now=0)
    clash = await conflicts(calendar, review, BERLIN)
    assert [(mine.summary, theirs.summary) for mine, theirs in clash] == [("Review", "Standup")]
    later = new_event(summary="Lunch", start=at(11, 30, 12), end=at(11, 30, 13), now=0)
    assert await conflicts(calendar, later, BERLIN) == []  # the all-day holiday is no clash
    weekly = new_event(
        summary="1:1",
        start=at(12, 1, 9),
        end=at(12, 1, 10),
        rrule="FREQ=DAILY",
        now=0,
    )
    clashing = await conflicts(calendar, weekly, BERLIN)
    assert {theirs.begins(BERLIN) for _, theirs in clashing} >= {at(12, 7, 9), at(12, 14, 9)}


async def test_reminders_due_soon(store: UserStore) -> None:
    calendar = CalendarStore(store)
    await calendar.put(read_event(STANDUP))
    await calendar.put(
        new_event(
            summary="Dentist", start=at(11, 23, 16), end=at(11, 23, 17), reminder_minutes=30, now=0
        )
    )
    await calendar.put(
        new_event(summary="No alarm", start=at(11, 23, 15, 40), end=at(11, 23, 16), now=0)
    )
    due = await due_reminders(calendar, NOW, dt.timedelta(minutes=60), BERLIN)
    assert [(r.at, r.occurrence.summary) for r in due] == [(at(11, 23, 15, 30), "Dentist")]
    sunday_evening = at(11, 29, 20)
    due = await due_reminders(calendar, sunday_evening, dt.timedelta(hours=13), BERLIN)
    assert [(r.at, r.occurrence.summary) for r in due] == [(at(11, 30, 8, 50), "Standup")]
