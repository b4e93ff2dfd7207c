"""What happens when: occurrences in a window, clashes, and reminders due.

The occurrences themselves are worked out in ``repeats``; repeating events are expanded
there in the parsing pool, a separate process (``os1.parsing_pool``), never on the event
loop or in a thread: a repeat rule from an imported file or a calendar server can take
seconds to expand, and in this process it would hold up every person the server answers
(issue 24). One-off events need no parsing and are placed here directly. When repeats
are cut (too many, too often, not worked out in time), ``Expansion.not_shown`` names the
events, so a listing can say that some repeats are not shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from os1.parsing_pool import ParsingError, parse
from os1.skills.calendar.clock import clock_words, span_words
from os1.skills.calendar.events import EventRecord
from os1.skills.calendar.repeats import (
    EXPAND_SECONDS,
    MAX_PER_LISTING,
    Expansion,
    Occurrence,
    aware,
    expand_within,
    first_time_or_none,
)
from os1.skills.calendar.store import CalendarStore

__all__ = [
    "Expansion",
    "Occurrence",
    "Reminder",
    "aware",
    "clashes",
    "conflicts",
    "due_reminders",
    "expand",
    "occurrence_line",
    "occurrences",
    "what_is_on",
]

REMINDER_LOOKAHEAD = dt.timedelta(days=8)  # the longest reminder ahead os1 honours
POOL_SECONDS = EXPAND_SECONDS + 10.0  # the pool's hard budget over the expansion's own


@dataclass(frozen=True)
class Reminder:
    at: dt.datetime
    occurrence: Occurrence


async def expand(
    records: list[EventRecord], start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> Expansion:
    """All occurrences of ``records`` in [start, end), in order of start: one-off events
    placed here, repeating ones expanded in the parsing pool within its limits."""
    found = [o for r in records if not r.repeats for o in first_time_or_none(r, start, end, tz)]
    not_shown: tuple[str, ...] = ()
    repeating = [r for r in records if r.repeats]
    if repeating:
        try:
            expanded = await parse(POOL_SECONDS, expand_within, repeating, start, end, tz)
        except ParsingError:  # overran even the pool's budget: show their first times
            expanded = Expansion(
                [o for r in repeating for o in first_time_or_none(r, start, end, tz)],
                tuple(r.summary for r in repeating),
            )
        found += expanded.occurrences
        not_shown = expanded.not_shown
    found.sort(key=lambda o: (o.begins(tz), o.summary))
    if len(found) > MAX_PER_LISTING:
        not_shown += tuple(o.summary for o in found[MAX_PER_LISTING:])
        found = found[:MAX_PER_LISTING]
    return Expansion(found, tuple(dict.fromkeys(not_shown)))


async def what_is_on(
    calendar: CalendarStore, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> Expansion:
    """The person's occurrences in [start, end), and what is not shown of them."""
    stored = await calendar.between(start.timestamp(), end.timestamp())
    return await expand([s.record for s in stored], start, end, tz)


async def occurrences(
    calendar: CalendarStore, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[Occurrence]:
    """The person's occurrences in [start, end), in order of start."""
    return (await what_is_on(calendar, start, end, tz)).occurrences


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
    mine = (await expand([record], start, end, tz)).occurrences
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
