""".ics files in and out: broken events are skipped and named with the reason while the
rest come in; files that are no calendar at all are refused with what to do; an export
imported again gives the same events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from calendar_parts import BERLIN, NOW, context, store

from os1.errors import InputError
from os1.skills.calendar.agenda import occurrences, what_is_on
from os1.skills.calendar.events import new_event
from os1.skills.calendar.ics import MAX_BYTES, read_calendar, write_calendar
from os1.skills.calendar.importing import ImportCalendar, ImportCalendarArgs
from os1.skills.calendar.store import CalendarStore
from os1.store import UserStore

__all__ = ["store"]

MIXED = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//EN
BEGIN:VTIMEZONE
TZID:Custom Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:dentist@example
DTSTAMP:20261101T000000Z
DTSTART;TZID=Custom Berlin:20261201T100000
DTEND;TZID=Custom Berlin:20261201T110000
SUMMARY:Dentist
LOCATION:Main Street 5
X-OTHER-APP:kept as it was
END:VEVENT
BEGIN:VEVENT
UID:broken-date@example
DTSTART:2026-13-45
SUMMARY:Broken date
END:VEVENT
BEGIN:VEVENT
UID:backwards@example
DTSTART:20261202T100000Z
DTEND:20261202T090000Z
SUMMARY:Backwards
END:VEVENT
BEGIN:VEVENT
UID:christmas@example
DTSTART;VALUE=DATE:20261224
DTEND;VALUE=DATE:20261227
RRULE:FREQ=YEARLY
SUMMARY:Christmas with the family
END:VEVENT
BEGIN:VTODO
UID:task@example
SUMMARY:A task
END:VTODO
BEGIN:VEVENT
UID:nostart@example
SUMMARY:No start
END:VEVENT
BEGIN:VEVENT
UID:bad-rule@example
DTSTART:20261203T100000Z
RRULE:FREQ=SOMETIMES
SUMMARY:Bad rule
END:VEVENT
BEGIN:VEVENT
UID:unended@example
DTSTART:20261204T100000Z
SUMMARY:Never ends
END:VCALENDAR
"""


def test_broken_events_are_skipped_by_name_and_reason_the_rest_read() -> None:
    result = read_calendar(MIXED.encode(), "mixed.ics")
    assert sorted(r.summary for r in result.records) == ["Christmas with the family", "Dentist"]
    skipped = {s.which: s.why for s in result.skipped}
    assert skipped["event 2 (line 28, “Broken date”)"].startswith(
        "its start (DTSTART) cannot be read"
    )
    assert skipped["event 3 (line 33, “Backwards”)"] == "it ends before it starts"
    assert skipped["event 5 (line 50, “No start”)"] == "it has no start (DTSTART)"
    assert "repeat rule" in skipped["event 6 (line 54, “Bad rule”)"]
    assert skipped["event 7 (line 60, “Never ends”)"] == "it never ends (no END:VEVENT)"
    assert any("not events" in note for note in result.notes)
    dentist = next(r for r in result.records if r.summary == "Dentist")
    assert dentist.start == dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)  # its own zone, honoured
    assert "X-OTHER-APP:kept as it was" in dentist.ics and "TZID:Custom Berlin" in dentist.ics


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_calendar"),
        (b"   \n\n", "empty_calendar"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not_a_calendar"),
        (b"Dear Amy, see you Thursday at one.\n", "not_a_calendar"),
        (b"x" * (MAX_BYTES + 1), "calendar_too_big"),
    ],
)
def test_files_that_are_no_calendar_are_refused_with_what_to_do(data: bytes, code: str) -> None:
    with pytest.raises(InputError) as refused:
        read_calendar(data, "thing.ics")
    assert refused.value.code == code and refused.value.hint
    assert str(refused.value).startswith("thing.ics ")  # which file, then why


def test_a_calendar_not_in_utf8_is_read_and_the_report_says_so() -> None:
    text = MIXED.replace("Dentist", "Zahnärztin").encode("cp1252")
    result = read_calendar(text, "old.ics")
    assert "Zahnärztin" in {r.summary for r in result.records}
    assert any("Windows-1252" in note for note in result.notes)


async def test_export_then_import_gives_the_same_events(store: UserStore, tmp_path: Path) -> None:
    calendar = CalendarStore(store)
    start = dt.datetime(2026, 12, 3, 13, tzinfo=BERLIN)
    mine = new_event(
        summary="Lunch with Amy",
        start=start,
        end=start + dt.timedelta(hours=1),
        location="Café Rose",
        reminder_minutes=15,
        now=NOW.timestamp(),
    )
    weekly = new_event(
        summary="Standup",
        start=dt.datetime(2026, 11, 30, 9, tzinfo=BERLIN),
        end=dt.datetime(2026, 11, 30, 9, 15, tzinfo=BERLIN),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        now=NOW.timestamp(),
    )
    await calendar.put_many([mine, weekly, *read_calendar(MIXED.encode()).records])
    exported = write_calendar([e.record for e in await calendar.all()])
    assert exported.count("BEGIN:VTIMEZONE") == 2  # Europe/Berlin made, Custom Berlin kept
    assert "BEGIN:VALARM" in exported and "TRIGGER:-PT15M" in exported

    again = read_calendar(exported.encode())
    assert again.skipped == []

    def key(r: object) -> tuple[object, ...]:
        return tuple(getattr(r, f) for f in ("uid", "summary", "start", "end", "rrule", "location"))

    assert sorted(map(key, again.records), key=str) == sorted(
        (key(e.record) for e in await calendar.all()), key=str
    )
    window = (dt.datetime(2026, 11, 30, tzinfo=BERLIN), dt.datetime(2026, 12, 31, tzinfo=BERLIN))
    fresh = CalendarStore(store)
    before = [(o.summary, o.begins(BERLIN)) for o in await occurrences(fresh, *window, BERLIN)]
    await fresh.put_many(again.records)
    after = [(o.summary, o.begins(BERLIN)) for o in await occurrences(fresh, *window, BERLIN)]
    assert before == after and len(after) == 8


async def test_import_is_a_proposal_that_undo_takes_back(store: UserStore, tmp_path: Path) -> None:
    path = tmp_path / "mixed.ics"
    path.write_text(MIXED)
    calendar = CalendarStore(store)
    tool = ImportCalendar()
    ctx = context(store)
    plan = await tool.plan(ctx, ImportCalendarArgs(path=str(path)))
    assert not isinstance(plan, str)
    assert "2 new event(s), 0 changed, 0 already here" in plan.preview
    assert "Skipped event 3 (line 33, “Backwards”): it ends before it starts" in plan.preview
    assert await calendar.count() == 0  # planning wrote nothing

    outcome = await tool.run(ctx, plan.args)
    assert outcome.message.startswith("Imported 2 new and 0 changed event(s) from mixed.ics")
    assert await calendar.count() == 2
    again = await tool.plan(ctx, ImportCalendarArgs(path=str(path)))
    assert isinstance(again, str) and "2 event(s) already here" in again

    path.write_text(MIXED.replace("Dentist", "Dentist (moved)"))
    with pytest.raises(InputError):  # the file changed since the preview
        await tool.run(ctx, plan.args)

    assert outcome.undo is not None
    await tool.undo(ctx, outcome.undo)
    assert await calendar.count() == 0


async def test_import_refuses_what_is_no_calendar(store: UserStore, tmp_path: Path) -> None:
    path = tmp_path / "photo.ics"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300))
    answer = await ImportCalendar().plan(context(store), ImportCalendarArgs(path=str(path)))
    assert isinstance(answer, str) and "binary file, not an iCalendar" in answer
    missing = await ImportCalendar().plan(
        context(store), ImportCalendarArgs(path=str(tmp_path / "nope.ics"))
    )
    assert isinstance(missing, str) and "There is no file" in missing


BARE_EVENT = """BEGIN:VEVENT
UID:bare@example
DTSTART:20261125T090000Z
DTEND:20261125T100000Z
SUMMARY:Standalone breakfast
END:VEVENT
"""

SUMMARY_WITHOUT_COLON = """BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:nocolon@example
SUMMARY
END:VEVENT
BEGIN:VEVENT
UID:fine@example
DTSTART:20261125T120000Z
DTEND:20261125T130000Z
SUMMARY:Lunch
END:VEVENT
END:VCALENDAR
"""

# RDATE's default value type is a date-time; here it holds a bare time of day, which the
# expansion library trips over with a TypeError
RDATE_WITH_A_TIME = """BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:odd-rdate@example
DTSTART:20261123T090000Z
DTEND:20261123T100000Z
RRULE:FREQ=DAILY;COUNT=3
RDATE;VALUE=TIME:120000
SUMMARY:Odd repeats
END:VEVENT
BEGIN:VEVENT
UID:plain@example
DTSTART:20261124T150000Z
DTEND:20261124T160000Z
SUMMARY:Tea with Sam
END:VEVENT
END:VCALENDAR
"""


def test_a_bare_event_without_a_calendar_around_it_is_read_with_a_note() -> None:
    result = read_calendar(BARE_EVENT.encode(), "breakfast.ics")
    assert [r.summary for r in result.records] == ["Standalone breakfast"]
    assert any("breakfast.ics" in note and "VCALENDAR" in note for note in result.notes)


BARE_EVENT_AND_TASK = """BEGIN:VTODO
UID:milk@example
SUMMARY:Buy milk
END:VTODO
BEGIN:VEVENT
UID:walk@example
DTSTART:20261126T170000Z
DTEND:20261126T180000Z
SUMMARY:Evening walk
END:VEVENT
"""


def test_bare_items_without_a_calendar_come_in_with_notes_saying_so() -> None:
    result = read_calendar(BARE_EVENT_AND_TASK.encode(), "mixed-bare.ics")
    assert [r.summary for r in result.records] == ["Evening walk"] and not result.skipped
    assert any("mixed-bare.ics" in note and "VCALENDAR" in note for note in result.notes)
    assert any("not events" in note for note in result.notes)  # the task, left out by word
    task_only = read_calendar(BARE_EVENT_AND_TASK.split("BEGIN:VEVENT")[0].encode(), "t.ics")
    assert task_only.records == [] and len(task_only.notes) == 2  # read, not refused


def test_a_summary_line_without_its_colon_breaks_nothing_else() -> None:
    result = read_calendar(SUMMARY_WITHOUT_COLON.encode(), "nocolon.ics")
    assert [r.summary for r in result.records] == ["Lunch"]
    [skipped] = result.skipped  # named by its place, as it has no readable title
    assert skipped.which == "event 1 (line 3)" and "cannot be read" in skipped.why


async def test_one_event_the_expander_cannot_follow_leaves_the_listing_whole(
    store: UserStore,
) -> None:
    result = read_calendar(RDATE_WITH_A_TIME.encode(), "odd.ics")
    calendar = CalendarStore(store)
    await calendar.put_many(result.records)
    week = await what_is_on(
        calendar,
        dt.datetime(2026, 11, 23, tzinfo=BERLIN),
        dt.datetime(2026, 11, 30, tzinfo=BERLIN),
        BERLIN,
    )
    assert "Tea with Sam" in {o.summary for o in week.occurrences}
    assert "Odd repeats" in {o.summary for o in week.occurrences}  # its first time, at least
    assert week.not_shown == ("Odd repeats",)  # and named as the one not worked out
