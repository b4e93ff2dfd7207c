"""Cancel an appointment the person names in their own words.

"the dentist" finds events whose titles hold every one of those words in the coming
weeks; "standup on Monday" also names a day, and for a repeating event that cancels
only that day's occurrence (an EXDATE), while "standup" alone cancels the whole series
(the preview says which). Two different events that both match are listed back
instead of guessed between. Undo puts the event back exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.skills.base import Outcome, Plan, ToolContext, args_from_text
from os1.skills.calendar.agenda import Occurrence, occurrence_line, occurrences
from os1.skills.calendar.clock import local_now, rrule_words, span_words
from os1.skills.calendar.events import read_event, skip_occurrence, touch
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.sync import push_now
from os1.skills.calendar.when import CALENDAR_HINTS, TIME_HINTS, parse_when

LOOK_AHEAD = dt.timedelta(weeks=8)
_SMALL = {"the", "a", "an", "my", "our", "with", "appointment", "meeting", "event", "cancel"}


class CancelEventArgs(BaseModel):
    what: str = Field(
        description="Which appointment, in the person's words, e.g. 'the dentist on Friday'.",
        max_length=200,
    )


def _split(text: str, now: dt.datetime, tz: dt.tzinfo) -> tuple[list[str], dt.date | None]:
    """Title words, and the day the words name at their end (if any)."""
    words = text.split()
    for cut in range(1, len(words)):
        try:
            when = parse_when(" ".join(words[cut:]), now, tz)
        except InputError:
            continue
        if not when.rrule:
            return words[:cut], when.start.date()
    return words, None


def _matches(summary: str, wanted: list[str]) -> bool:
    have = set(re.findall(r"\w+", summary.lower()))
    return all(w in have or any(h.startswith(w) for h in have) for w in wanted)


class CancelEvent:
    name = "cancel_event"
    touches = "account"
    summary = "cancel (remove) an appointment already on the calendar"
    hints = (*CALENDAR_HINTS, *TIME_HINTS, "cancel", "call off", "off my", "remove", "delete")
    Args = CancelEventArgs
    examples = ("the dentist on Friday", "lunch with Amy", "standup next Monday")

    def from_command(self, text: str) -> CancelEventArgs:
        return CancelEventArgs.model_validate(args_from_text(self, text).model_dump())

    async def plan(self, ctx: ToolContext, args: CancelEventArgs) -> Plan | str:
        now, tz = await local_now(ctx.store, ctx.now)
        title_words, day = _split(args.what.strip(), now, tz)
        wanted = [w for w in re.findall(r"\w+", " ".join(title_words).lower()) if w not in _SMALL]
        if not wanted:
            return "Say which appointment to cancel, e.g. /cancel_event the dentist on Friday."
        start = dt.datetime.combine(day, dt.time(0), tz) if day else now - dt.timedelta(hours=12)
        end = start + (dt.timedelta(days=1) if day else LOOK_AHEAD)
        found = [
            o
            for o in await occurrences(CalendarStore(ctx.store), start, end, tz)
            if _matches(o.summary, wanted) and (day or o.ends(tz) > now)
        ]
        span = f"on {span_words(day, None, tz)}" if day else "in the coming 8 weeks"
        if not found:
            return f"I found nothing called “{' '.join(title_words)}” {span}."
        uids = {o.uid for o in found}
        if len(uids) > 1:
            listed = "\n".join(f"- {occurrence_line(o, tz)}" for o in found[:8])
            return f"More than one appointment matches; say which (add the day):\n{listed}"
        first = found[0]
        return self._plan(first, day is not None and first.repeats, tz, now)

    def _plan(self, hit: Occurrence, one: bool, tz: dt.tzinfo, now: dt.datetime) -> Plan:
        when = span_words(hit.start, hit.end, tz, now=now)
        if one:
            preview = f"Cancel only this occurrence of “{hit.summary}”:\n{when}\nThe others stay."
        elif hit.repeats:
            preview = (
                f"Cancel the whole series “{hit.summary}”, next:\n{when}\n"
                "(To cancel just one, name its day.)"
            )
        else:
            preview = f"Cancel “{hit.summary}”:\n{when}"
        return Plan(
            title=f"Cancel “{hit.summary}”",
            preview=preview,
            args={"uid": hit.uid, "occurrence": hit.start.isoformat() if one else ""},
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        calendar = CalendarStore(ctx.store)
        uid = str(args["uid"])
        before = await calendar.get(uid)
        if before is None:
            raise LookupError("that appointment is no longer on the calendar")
        occurrence = str(args.get("occurrence", ""))
        if occurrence:
            moment = (
                dt.datetime.fromisoformat(occurrence)
                if "T" in occurrence
                else dt.date.fromisoformat(occurrence)
            )
            await calendar.put(skip_occurrence(before.record, moment, ctx.now()))
            what = "that occurrence of"
        else:
            await calendar.remove(uid, ctx.now())
            what = ""
        server = await push_now(ctx.store, uid)
        message = f"Cancelled {what} “{before.record.summary}”.".replace("  ", " ")
        return Outcome(f"{message} {server}".strip(), {"uid": uid, "ics": before.record.ics})

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        record = touch(read_event(str(undo["ics"])), ctx.now())
        await CalendarStore(ctx.store).put(record)
        server = await push_now(ctx.store, record.uid)
        extra = f" ({rrule_words(record.rrule)})" if record.rrule else ""
        return f"“{record.summary}”{extra} is back on the calendar. {server}".strip()
