"""Add an appointment from the person's words.

The words are resolved into a day and time while planning, and the preview says them
back in full ("Thursday 26 November 2026, 1:00 pm – 2:00 pm (in 3 days), Europe/Berlin
time") with any clashes, so a wrong guess is caught before anything is written. The
plan carries the resolved times and the new event's UID, so what runs is exactly what
was shown; undo removes it again, from the server too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.skills.base import Outcome, Plan, ToolContext
from os1.skills.calendar.agenda import conflicts, occurrence_line
from os1.skills.calendar.clock import (
    local_now,
    rrule_words,
    span_words,
    system_zone,
    zone_key,
    zone_label,
    zone_named,
)
from os1.skills.calendar.events import new_event
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.sync import load_account, push_now
from os1.skills.calendar.when import (
    CALENDAR_HINTS,
    TIME_HINTS,
    When,
    parse_duration,
    parse_when,
)

REMINDER_SETTING = "calendar.reminder_minutes"
DEFAULT_REMINDER = 15
WHEN_CHARS = 200  # the longest "when" in the person's words (``AddEventArgs.when``)


class AddEventArgs(BaseModel):
    title: str = Field(
        description="What the appointment is, e.g. 'lunch with Amy'.", max_length=200
    )
    when: str = Field(
        description="When, in the person's words, e.g. 'next Thursday at one'.",
        max_length=WHEN_CHARS,
    )
    duration: str = Field(
        default="", description="How long, e.g. 'an hour' (optional).", max_length=50
    )
    where: str = Field(default="", description="Where (optional).", max_length=200)


def _first_cut(body: list[str]) -> int:
    """Where the longest tail of ``body`` that could be a when begins: one of at most
    ``WHEN_CHARS`` characters (longer is refused anyway), so a long message costs a
    bounded number of tries rather than one per word, each as long as the message."""
    first, size = len(body), -1
    while first > 1 and size + 1 + len(body[first - 1]) <= WHEN_CHARS:
        first -= 1
        size += 1 + len(body[first])
    return first


def split_title_and_time(text: str) -> tuple[str, str, str]:
    """ "lunch with Amy next Thursday at one at Café Rose" as (title, when, where): the
    longest tail of words that reads as a time is the when; a trailing "at/in Place"
    with a capital letter that is no time is the where."""
    words = text.split()
    now = dt.datetime.now(system_zone())
    for tail in range(0, min(len(words), 6)):
        body = words[: len(words) - tail]
        place = " ".join(words[len(words) - tail :])
        if tail and not (body[-1].lower() in ("at", "in") and words[-tail][:1].isupper()):
            continue
        if tail:
            body = body[:-1]
        for cut in range(_first_cut(body), len(body)):
            try:
                parse_when(" ".join(body[cut:]), now, now.tzinfo or dt.UTC)
            except InputError:
                continue
            return " ".join(body[:cut]), " ".join(body[cut:]), place
    return text.strip(), "", ""


def _times(
    when: When, length: dt.timedelta | None, tz: dt.tzinfo
) -> tuple[dt.datetime | dt.date, dt.datetime | dt.date]:
    """Start and end: a day's dates for an all-day event, else times in ``tz`` (kept as
    UTC if the zone has no name); an hour long unless the words said otherwise."""
    if when.all_day:
        day = when.start.date()
        days = max(1, length.days) if length else 1
        if when.end is not None and length is None:
            return day, max(when.end.date(), day + dt.timedelta(days=1))
        return day, day + dt.timedelta(days=days)
    kept = zone_named(zone_key(tz))
    end = when.start + length if length else when.end or when.start + dt.timedelta(hours=1)
    return when.start.astimezone(kept), end.astimezone(kept)


def _wall(moment: dt.datetime | dt.date) -> str:
    """A wall-clock time without its offset (the zone travels by name beside it, so a
    repeating event keeps its hour across summer time)."""
    if isinstance(moment, dt.datetime):
        return moment.replace(tzinfo=None).isoformat()
    return moment.isoformat()


def _moment(text: str, zone: dt.tzinfo) -> dt.datetime | dt.date:
    if "T" not in text:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


class AddEvent:
    name = "add_event"
    touches = "account"
    summary = "put a new appointment on the calendar at the day and time the person names"
    hints = (*CALENDAR_HINTS, *TIME_HINTS)
    Args = AddEventArgs
    examples = (
        "lunch with Amy next Thursday at one",
        "dentist on Friday at 9:30 for 45 minutes",
        "team standup every Monday at 9",
        "dinner with Sam tomorrow at 8",
    )

    def from_command(self, text: str) -> AddEventArgs:
        title, when, where = split_title_and_time(text)
        if not when:
            raise InputError(
                "missing_time",
                f'I could not find when "{text}" is.',
                f"Try: /{self.name} {self.examples[0]}",
            )
        return AddEventArgs(title=title, when=when, where=where)

    async def plan(self, ctx: ToolContext, args: AddEventArgs) -> Plan | str:
        title = " ".join(args.title.split())
        if not title:
            return (
                "Say what the appointment is, e.g. /add_event lunch with Amy next Thursday at one."
            )
        now, tz = await local_now(ctx.store, ctx.now)
        try:
            when = parse_when(args.when, now, tz, hint=title)
            length = parse_duration(args.duration) if args.duration.strip() else None
        except InputError as exc:
            return str(exc)
        if when.start < now - dt.timedelta(minutes=1) and not when.rrule:
            moment = span_words(
                when.start.date() if when.all_day else when.start, None, tz, now=now
            )
            return f"{moment} is in the past, so I did not add “{title}”. Say a later time."
        start, end = _times(when, length, tz)
        reminder = (
            None
            if when.all_day
            else int(await ctx.store.get_setting(REMINDER_SETTING, DEFAULT_REMINDER))
        )
        record = new_event(
            summary=title,
            start=start,
            end=end,
            rrule=when.rrule,
            location=args.where.strip(),
            reminder_minutes=reminder,
            now=ctx.now(),
        )
        lines = [
            f"“{title}”",
            f"When: {span_words(start, end, tz, now=now)}",
            f"Time zone: {zone_label(tz)}",
        ]
        if when.rrule:
            lines.append(f"Repeats: {rrule_words(when.rrule)}")
        if record.location:
            lines.append(f"Where: {record.location}")
        if reminder is not None:
            lines.append(f"Reminder: {reminder} minutes before")
        for _, other in await conflicts(CalendarStore(ctx.store), record, tz):
            lines.append(f"Clashes with: {occurrence_line(other, tz)}")
        if await load_account(ctx.store) is not None:
            lines.append("It goes to your calendar server too.")
        return Plan(
            title=f"Add “{title}” to the calendar",
            preview="\n".join(lines),
            args={
                "uid": record.uid,
                "title": title,
                "start": _wall(start),
                "end": _wall(end),
                "zone": zone_key(tz),
                "rrule": when.rrule,
                "where": record.location,
                "reminder": reminder,
            },
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        zone = zone_named(str(args.get("zone") or "UTC"))
        start, end = _moment(str(args["start"]), zone), _moment(str(args["end"]), zone)
        reminder = args.get("reminder")
        record = new_event(
            uid=str(args["uid"]),
            summary=str(args["title"]),
            start=start,
            end=end,
            rrule=str(args.get("rrule", "")),
            location=str(args.get("where", "")),
            reminder_minutes=int(reminder) if reminder is not None else None,
            now=ctx.now(),
        )
        calendar = CalendarStore(ctx.store)
        await calendar.put(record)
        _, tz = await local_now(ctx.store, ctx.now)
        server = await push_now(ctx.store, record.uid)
        message = f"Added “{record.summary}”: {span_words(start, end, tz)}."
        return Outcome(f"{message} {server}".strip(), {"uid": record.uid})

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        uid = str(undo["uid"])
        calendar = CalendarStore(ctx.store)
        event = await calendar.get(uid)
        if event is None or not await calendar.remove(uid, ctx.now()):
            return "That appointment was already gone."
        server = await push_now(ctx.store, uid)
        return f"Removed “{event.record.summary}” from the calendar. {server}".strip()
