"""Occurrences in a window, repeats expanded within limits: the agenda's CPU work.

Repeating events are expanded by ``recurring_ical_events`` from their iCalendar text, so
EXDATEs, moved or retitled single occurrences (RECURRENCE-ID) and changes to summer time
come out as other calendar programs show them. One-off events need no parsing: their
stored fields are enough, which keeps a long agenda cheap.

A repeat rule comes from anyone (an imported file, a calendar server), and expanding one
walks it step by step from its first start: an old rule that repeats every half hour
takes seconds, one that never matches ("every 30 February", checked daily) runs to the
year 9999. So ``expand_within`` runs in the parsing pool, a separate process (see
``agenda``), and keeps to limits: each event's repeats get at most ``EVENT_SECONDS`` and
``MAX_PER_EVENT`` occurrences, a listing ``EXPAND_SECONDS``; what is cut is named, so the
person hears that some repeats are not shown. Rules that repeat more often than every 15
minutes (refused on the way in since, but perhaps stored before) show their first time
only. This module imports only what the expansion needs, so a worker starts quickly.

Dates (all-day events) and floating times (no zone) are read in the person's zone.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import icalendar
import recurring_ical_events

from os1.parsing_pool import OutOfTime, time_limit
from os1.skills.calendar.events import EventRecord, too_often

MAX_PER_EVENT = 1000  # occurrences of one event in one listing
MAX_PER_LISTING = 5000  # occurrences in one listing
EVENT_SECONDS = 1.0  # expanding one event's repeats
EXPAND_SECONDS = 3.0  # expanding all of one listing's repeats


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
class Expansion:
    """Occurrences in a window, and the titles of events whose repeats are not all in it
    (too many, too often, or not worked out in time)."""

    occurrences: list[Occurrence]
    not_shown: tuple[str, ...] = ()


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


def first_time(
    record: EventRecord, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[Occurrence]:
    """The record's own start to end (its first time, for a repeating one), if that
    overlaps [start, end)."""
    finish = record.end if record.end is not None else record.start
    found = Occurrence(
        record.uid,
        record.summary,
        record.start,
        finish,
        record.location,
        record.repeats,
        record.reminder_minutes,
    )
    begins, ends = found.begins(tz), found.ends(tz)
    overlaps = begins < end and (ends > start or (ends == begins and begins >= start))
    return [found] if overlaps else []


def first_time_or_none(
    record: EventRecord, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[Occurrence]:
    """``first_time``, or nothing for a record whose times cannot even be compared (a
    file mixing kinds of time in ways the reader let through): one such event must not
    take the whole listing down."""
    try:
        return first_time(record, start, end, tz)
    except (TypeError, ValueError, OverflowError):
        return []


def expand_record(
    record: EventRecord, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[Occurrence]:
    """The occurrences of ``record`` that overlap [start, end), with no limits: call it
    through ``expand_within`` for anything read from outside."""
    if not record.repeats:
        return first_time(record, start, end, tz)
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


def expand_within(
    records: list[EventRecord], start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> Expansion:
    """The occurrences of ``records`` in [start, end), within this module's limits, in
    no particular order (run in the parsing pool, where the time limits hold)."""
    found: list[Occurrence] = []
    cut: list[str] = []
    deadline = time.monotonic() + EXPAND_SECONDS
    for record in records:
        if not record.repeats:
            found += first_time_or_none(record, start, end, tz)
            continue
        if too_often(record.rrule):  # stored before such rules were refused
            found += first_time_or_none(record, start, end, tz)
            cut.append(record.summary)
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            cut.append(record.summary)
            continue
        try:
            with time_limit(min(left, EVENT_SECONDS)):
                mine = expand_record(record, start, end, tz)
        except OutOfTime:
            cut.append(record.summary)
            continue
        except Exception:  # the expander's error on one record's rule: that record only
            found += first_time_or_none(record, start, end, tz)
            cut.append(record.summary)
            continue
        if len(mine) > MAX_PER_EVENT:
            mine = sorted(mine, key=lambda o: o.begins(tz))[:MAX_PER_EVENT]
            cut.append(record.summary)
        found += mine
    return Expansion(found, tuple(dict.fromkeys(cut)))
