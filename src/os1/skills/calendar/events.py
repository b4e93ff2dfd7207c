"""One event: its iCalendar text, and the few fields os1 reads from it.

The iCalendar text is the truth (it keeps everything other programs put in, such as
attendees or colours, so nothing is lost on the way through os1); the fields beside it
(title, start, end, rule, reminder) are read from it once, for lists and searches.
An "event" here is everything sharing one UID: the main VEVENT and the overrides of
single occurrences (RECURRENCE-ID), as CalDAV stores them together.

A repeat rule may come from anyone (a file, a server), and working out when a rule
happens walks it from its start one step at a time: a rule repeating every second costs
86,400 steps a day since it began. So rules that repeat more often than every 15 minutes
(``MAX_PER_DAY``) are refused where an event comes in (``problem``, ``new_event``) with a
reason the person sees; ``agenda`` stays safe for those already stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import icalendar
from dateutil.rrule import rrulestr

MAX_TEXT = 2000
PRODID = "-//os1//calendar//EN"
MAX_PER_DAY = 96  # a rule may repeat at most this often in a day (every 15 minutes)
_STEPS = {"SECONDLY": "by the second", "MINUTELY": "by the minute"}
_KEPT = "I only keep events that repeat every 15 minutes or less often"
_PARTS = {
    "DTSTART": "its start (DTSTART)",
    "DTEND": "its end (DTEND)",
    "DURATION": "its length (DURATION)",
    "RRULE": "its repeat rule (RRULE)",
    "EXDATE": "its skipped dates (EXDATE)",
    "RECURRENCE-ID": "the occurrence it changes (RECURRENCE-ID)",
}


class BadEvent(ValueError):
    """A VEVENT that cannot be used; the message says why, in plain words."""


@dataclass(frozen=True)
class EventRecord:
    uid: str
    summary: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date | None
    rrule: str
    location: str
    description: str
    reminder_minutes: int | None
    last_modified: float  # seconds since the epoch; who wins when both sides changed
    ics: str

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    @property
    def repeats(self) -> bool:
        return bool(self.rrule) or "RDATE" in self.ics or self.ics.count("RECURRENCE-ID") > 0

    def index_span(self) -> tuple[float, float | None]:
        """Seconds since the epoch of the first start and the last end (None: it repeats
        for ever), for finding candidates of a window. Dates and floating times are
        read as UTC; callers widen windows by a day for them."""
        first = epoch(self.start)
        if self.repeats:
            return first, _until(self.rrule)
        end = self.end if self.end is not None else self.start
        last = epoch(end) + (86400 if not isinstance(end, dt.datetime) and end == self.start else 0)
        return first, max(first, last)


def epoch(value: dt.datetime | dt.date) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _until(rrule: str) -> float | None:
    for part in rrule.upper().split(";"):
        if part.startswith("UNTIL="):
            raw = part[6:].rstrip("Z")
            try:
                moment = dt.datetime.strptime(raw[:15], "%Y%m%dT%H%M%S" if "T" in raw else "%Y%m%d")
            except ValueError:
                return None
            return moment.replace(tzinfo=dt.UTC).timestamp() + 2 * 86400
    return None


def new_event(
    *,
    summary: str,
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date,
    rrule: str = "",
    location: str = "",
    description: str = "",
    reminder_minutes: int | None = None,
    now: float,
    uid: str = "",
) -> EventRecord:
    """A new event made by os1 (a VALARM carries the reminder to other calendars).

    Raises:
        BadEvent: ``rrule`` repeats too often (see ``too_often``).
    """
    if rrule and (why := too_often(rrule)):
        raise BadEvent(why)
    event = icalendar.Event()
    event.add("uid", uid or f"{uuid.uuid4()}@os1")
    event.add("summary", summary[:MAX_TEXT])
    event.add("dtstart", start)
    event.add("dtend", end)
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).replace(microsecond=0)
    event.add("dtstamp", stamp)
    event.add("created", stamp)
    event.add("last-modified", stamp)
    if rrule:
        event.add("rrule", icalendar.vRecur.from_ical(rrule))
    if location:
        event.add("location", location[:MAX_TEXT])
    if description:
        event.add("description", description[:MAX_TEXT])
    if reminder_minutes is not None:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary[:MAX_TEXT])
        alarm.add("trigger", dt.timedelta(minutes=-reminder_minutes))
        event.add_component(alarm)
    return record_of([event], calendar_text([event.to_ical().decode()]))


def calendar_text(blocks: Iterable[str], header: str = "") -> str:
    """A VCALENDAR around component texts (each ``BEGIN:...`` to ``END:...``)."""
    body = "".join(b if b.endswith("\n") else b + "\r\n" for b in blocks)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\n{header}{body}END:VCALENDAR\r\n"


def too_often(rule: str) -> str | None:
    """Why the repeat rule ``rule`` (``FREQ=...;...``) repeats too often to keep, or None.

    SECONDLY and MINUTELY rules are refused whatever else they say (a rule is walked
    step by step even where its BY-parts skip most steps); other rules by how many
    times a day they can happen: the hours, minutes and seconds they list, multiplied.
    """
    parts = dict(p.split("=", 1) for p in rule.upper().replace(" ", "").split(";") if "=" in p)
    freq = parts.get("FREQ", "")
    if freq in _STEPS:
        return f"it repeats {_STEPS[freq]} (FREQ={freq}); {_KEPT}"
    try:
        interval = max(1, int(parts.get("INTERVAL", "1") or 1))
    except ValueError:
        return None  # not a number: the rule's parser says why
    counts = {n: len(parts.get(n, "").split(",")) for n in ("BYHOUR", "BYMINUTE", "BYSECOND")}
    hours = -(-24 // interval) if freq == "HOURLY" else counts["BYHOUR"]
    per_day = hours * counts["BYMINUTE"] * counts["BYSECOND"]
    if per_day > MAX_PER_DAY:
        return f"it can repeat {per_day:,} times a day; {_KEPT}"
    return None


def problem(event: icalendar.Component) -> str | None:
    """Why ``event`` cannot be used, or None."""
    if event.errors:
        return "; ".join(
            f"{_PARTS.get(str(name), name or 'a line')} cannot be read ({why})"
            for name, why in event.errors
        )
    start = event.get("DTSTART")
    if start is None or not hasattr(start, "dt"):
        return "it has no start (DTSTART)"
    begin = start.dt
    if not isinstance(begin, dt.date):
        return "its start is not a date"
    end = _end(event, begin)
    if isinstance(begin, dt.datetime) != isinstance(end, dt.datetime):
        return "its start and end are not both dates or both times"
    if _compare(end, begin) < 0:
        return "it ends before it starts"
    rule = event.get("RRULE")
    if rule is not None:
        try:
            text = rule.to_ical().decode()
            if why := too_often(text):
                return why
            naive = begin.replace(tzinfo=None) if isinstance(begin, dt.datetime) else begin
            rrulestr(
                text,
                dtstart=dt.datetime.combine(naive, dt.time(0))
                if not isinstance(naive, dt.datetime)
                else naive,
            )
        except (ValueError, TypeError, AttributeError) as exc:
            return f"its repeat rule cannot be read ({exc})"
    return None


def _compare(a: dt.date, b: dt.date) -> int:
    if (
        isinstance(a, dt.datetime)
        and isinstance(b, dt.datetime)
        and (a.tzinfo is None) != (b.tzinfo is None)
    ):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return (a > b) - (a < b)


def _end(event: icalendar.Component, begin: dt.date) -> dt.date:
    end = event.get("DTEND")
    if end is not None and hasattr(end, "dt"):
        value: dt.date = end.dt
        return value
    length = event.get("DURATION")
    if length is not None and isinstance(getattr(length, "dt", None), dt.timedelta):
        step: dt.timedelta = length.dt
        return begin + step
    return begin + dt.timedelta(days=1) if not isinstance(begin, dt.datetime) else begin


def _value(event: icalendar.Component, name: str) -> Any:
    """The decoded value of property ``name`` (a date, time, duration, ...) or None."""
    return getattr(event.get(name), "dt", None)


def _text(event: icalendar.Component, name: str) -> str:
    value = event.get(name)
    return str(value)[:MAX_TEXT] if value is not None else ""


def _reminder(event: icalendar.Component) -> int | None:
    for alarm in event.walk("VALARM"):
        trigger = alarm.get("TRIGGER")
        when = getattr(trigger, "dt", None)
        related = str(trigger.params.get("RELATED", "START")).upper() if trigger is not None else ""
        if isinstance(when, dt.timedelta) and related != "END" and when <= dt.timedelta(0):
            return int(-when.total_seconds() // 60)
    return None


def _modified(event: icalendar.Component) -> float:
    for name in ("LAST-MODIFIED", "DTSTAMP", "CREATED"):
        value = getattr(event.get(name), "dt", None)
        if isinstance(value, dt.datetime):
            return epoch(value)
    return 0.0


def record_of(events: list[icalendar.Component], ics: str) -> EventRecord:
    """The record of one UID's VEVENTs (checked with ``problem`` first), kept as ``ics``."""
    main = next((e for e in events if e.get("RECURRENCE-ID") is None), events[0])
    begin: dt.date = _value(main, "DTSTART")
    rule = main.get("RRULE")
    return EventRecord(
        uid=str(main.get("UID", "")),
        summary=_text(main, "SUMMARY") or "(no title)",
        start=begin,
        end=_end(main, begin),
        rrule=rule.to_ical().decode() if rule is not None else "",
        location=_text(main, "LOCATION"),
        description=_text(main, "DESCRIPTION"),
        reminder_minutes=_reminder(main),
        last_modified=max(_modified(e) for e in events),
        ics=ics,
    )


def read_event(ics: str) -> EventRecord:
    """The record of a stored or downloaded VCALENDAR holding one event.

    Raises:
        BadEvent: it is not iCalendar, holds no usable VEVENT or more than one UID.
    """
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except ValueError as exc:
        raise BadEvent(f"it is not readable iCalendar ({exc})") from exc
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise BadEvent("it holds no event")
    if len({str(e.get("UID", "")) for e in events}) > 1:
        raise BadEvent("it holds more than one event")
    for event in events:
        if why := problem(event):
            raise BadEvent(why)
    return record_of(events, ics)


def _match_kind(moment: dt.date, start: dt.date) -> dt.date:
    """``moment`` as the same kind of value as ``start`` (date, floating or zoned time)."""
    if not isinstance(start, dt.datetime):
        return moment.date() if isinstance(moment, dt.datetime) else moment
    if not isinstance(moment, dt.datetime):
        return dt.datetime.combine(moment, start.timetz())
    if start.tzinfo is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(start.tzinfo)


def _stamp(event: icalendar.Component, now: float) -> None:
    """Mark ``event`` as changed at ``now`` (LAST-MODIFIED decides who wins in sync)."""
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).replace(microsecond=0)
    sequence = int(event.get("SEQUENCE", 0) or 0)
    for name in ("LAST-MODIFIED", "DTSTAMP", "SEQUENCE"):
        event.pop(name, None)
    event.add("last-modified", stamp)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence + 1)


def touch(record: EventRecord, now: float) -> EventRecord:
    """``record`` marked as changed at ``now`` (a restored event is news to the server)."""
    calendar = icalendar.Calendar.from_ical(record.ics)
    for event in calendar.walk("VEVENT"):
        if event.get("RECURRENCE-ID") is None:
            _stamp(event, now)
    return read_event(calendar.to_ical().decode())


def skip_occurrence(record: EventRecord, moment: dt.datetime | dt.date, now: float) -> EventRecord:
    """``record`` without its occurrence that starts at ``moment``: an EXDATE on the
    main event, and any override of that occurrence removed."""
    calendar = icalendar.Calendar.from_ical(record.ics)
    for event in list(calendar.walk("VEVENT")):
        recurrence = event.get("RECURRENCE-ID")
        if recurrence is not None:
            if _compare(recurrence.dt, _match_kind(moment, recurrence.dt)) == 0:
                calendar.subcomponents.remove(event)
            continue
        event.add("exdate", _match_kind(moment, _value(event, "DTSTART")))
        _stamp(event, now)
    return read_event(calendar.to_ical().decode())
