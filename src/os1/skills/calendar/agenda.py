"""What happens when: events expanded into occurrences, clashes, and reminders due.

Repeating events are expanded by ``recurring_ical_events`` from their iCalendar text,
so EXDATEs, moved or retitled single occurrences (RECURRENCE-ID) and changes to summer
time come out as other calendar programs show them. One-off events need no parsing:
their stored fields are enough, which keeps a long agenda cheap.

Dates (all-day events) and floating times (no zone) are read in the person's zone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

import icalendar
import recurring_ical_events

from os1.skills.calendar.clock import clock_words, span_words
from os1.skills.calendar.events import EventRecord
from os1.skills.calendar.store import CalendarStore

REMINDER_LOOKAHEAD = dt.timedelta(days=8)  # the longest reminder ahead os1 honours


@dataclass(frozen=True)
class Occurrence:
    uid: str
    summary: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    location: str
    repeats: bool
    reminder_minutes: int | None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    def begins(self, tz: dt.tzinfo) -> dt.datetime:
        return aware(self.start, tz)

    def ends(self, tz: dt.tzinfo) -> dt.datetime:
        return aware(self.end, tz)


@dataclass(frozen=True)
class Reminder:
    at: dt.datetime
    occurrence: Occurrence


def aware(value: dt.datetime | dt.date, tz: dt.tzinfo) -> dt.datetime:
    """``value`` as an aware moment in ``tz``: dates at midnight and floating times there."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0))
    return value.astimezone(tz) if value.tzinfo is not None else value.replace(tzinfo=tz)


def _end_of(start: dt.date, component: icalendar.Component) -> dt.date:
    end = getattr(component.get("DTEND"), "dt", None)
    if isinstance(end, dt.date):
        return end
    length = getattr(component.get("DURATION"), "dt", None)
    if isinstance(length, dt.timedelta):
        return start + length
    return start + dt.timedelta(days=1) if not isinstance(start, dt.datetime) else start


def expand_record(
    record: EventRecord, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[Occurrence]:
    """The occurrences of ``record`` that overlap [start, end)."""
    if not record.repeats:
        finish = record.end if record.end is not None else record.start
        found = Occurrence(
            record.uid,
            record.summary,
            record.start,
            finish,
            record.location,
            False,
            record.reminder_minutes,
        )
        begins, ends = found.begins(tz), found.ends(tz)
        overlaps = begins < end and (ends > start or (ends == begins and begins >= start))
        return [found] if overlaps else []
    calendar = icalendar.Calendar.from_ical(record.ics)
    out = []
    for component in recurring_ical_events.of(calendar).between(start, end):
        begin = getattr(component.get("DTSTART"), "dt", None)
        if not isinstance(begin, dt.date):
            continue
        summary = component.get("SUMMARY")
        out.append(
            Occurrence(
                record.uid,
                str(summary) if summary is not None else record.summary,
                begin,
                _end_of(begin, component),
                str(component.get("LOCATION", record.location)),
                True,
                record.reminder_minutes,
            )
        )
    return out


def expand(
    records: list[EventRecord], start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[Occurrence]:
    """All occurrences of ``records`` in [start, end), in order of start."""
    found = [o for r in records for o in expand_record(r, start, end, tz)]
    return sorted(found, key=lambda o: (o.begins(tz), o.summary))


async def occurrences(
    calendar: CalendarStore, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[Occurrence]:
    """The person's occurrences in [start, end), expanded off the event loop."""
    stored = await calendar.between(start.timestamp(), end.timestamp())
    records = [s.record for s in stored]
    if sum(r.repeats for r in records) < 20:
        return expand(records, start, end, tz)
    return await asyncio.to_thread(expand, records, start, end, tz)


def clashes(
    new: list[Occurrence], existing: list[Occurrence], tz: dt.tzinfo, limit: int = 5
) -> list[tuple[Occurrence, Occurrence]]:
    """Pairs (new occurrence, existing one) whose times overlap. All-day events (a
    holiday, a birthday) are not clashes: they do not take the hours."""
    timed = [o for o in existing if not o.all_day]
    pairs: list[tuple[Occurrence, Occurrence]] = []
    for mine in new:
        if mine.all_day:
            continue
        begins, ends = (
            mine.begins(tz),
            max(mine.ends(tz), mine.begins(tz) + dt.timedelta(minutes=1)),
        )
        for other in timed:
            if other.uid == mine.uid:
                continue
            if other.begins(tz) < ends and other.ends(tz) > begins:
                pairs.append((mine, other))
                if len(pairs) >= limit:
                    return pairs
    return pairs


async def conflicts(
    calendar: CalendarStore,
    record: EventRecord,
    tz: dt.tzinfo,
    *,
    horizon: dt.timedelta = dt.timedelta(weeks=8),
) -> list[tuple[Occurrence, Occurrence]]:
    """What ``record`` would clash with: for a repeating event, over its first weeks."""
    start = aware(record.start, tz)
    end = start + (horizon if record.repeats else dt.timedelta(days=2))
    mine = expand_record(record, start, end, tz)
    if not mine:
        return []
    theirs = await occurrences(calendar, mine[0].begins(tz), mine[-1].ends(tz), tz)
    return clashes(mine, theirs, tz)


async def due_reminders(
    calendar: CalendarStore, now: dt.datetime, within: dt.timedelta, tz: dt.tzinfo
) -> list[Reminder]:
    """Reminders that go off between ``now`` and ``now + within``, soonest first (what
    the companion or the morning briefing says next)."""
    upcoming = await occurrences(calendar, now, now + within + REMINDER_LOOKAHEAD, tz)
    due = []
    for occurrence in upcoming:
        if occurrence.reminder_minutes is None:
            continue
        at = occurrence.begins(tz) - dt.timedelta(minutes=occurrence.reminder_minutes)
        if now <= at < now + within:
            due.append(Reminder(at, occurrence))
    return sorted(due, key=lambda r: r.at)


def occurrence_line(occurrence: Occurrence, tz: dt.tzinfo, *, with_day: bool = True) -> str:
    """``Thursday 26 November 2026, 1:00 pm – 2:00 pm: Lunch with Amy (at Café Rose)``."""
    if occurrence.all_day:
        when = span_words(occurrence.start, occurrence.end, tz) if with_day else "all day"
    elif with_day:
        when = span_words(occurrence.start, occurrence.end, tz)
    else:
        begins, ends = occurrence.begins(tz), occurrence.ends(tz)
        when = clock_words(begins) + (f" – {clock_words(ends)}" if ends > begins else "")
    where = f" (at {occurrence.location})" if occurrence.location else ""
    again = " (repeats)" if occurrence.repeats else ""
    return f"{when}: {occurrence.summary}{where}{again}"
