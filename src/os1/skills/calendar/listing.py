"""Say what is on the calendar for a day or a span; it only reads, so it answers at once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.skills.base import Outcome, Plan, ToolContext
from os1.skills.calendar.agenda import occurrence_line, what_is_on
from os1.skills.calendar.clock import (
    day_words,
    local_now,
    zone_label,
)
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.when import CALENDAR_HINTS, TIME_HINTS
from os1.skills.calendar.window import parse_window, window_said
from os1.skills.choose import LONGEST_MESSAGE, MESSAGE


def _not_shown(titles: tuple[str, ...]) -> str:
    """A line saying which events' repeats are left out of the listing, if any."""
    if not titles:
        return ""
    named = ", ".join(f"“{t}”" for t in titles[:3]) + (" and others" if len(titles) > 3 else "")
    return (
        f"\nSome repeats are not shown ({named}): they repeat too often or too many times"
        " to work out quickly."
    )


class ListEventsArgs(BaseModel):
    when: str = Field(
        default="today",
        description="Which days, e.g. 'today', 'this week', 'Friday'.",
        max_length=100,
    )
    # The person's whole message (skills.choose.MESSAGE): a span named in it beats the
    # model's copy of it.
    said: str = Field(default="", max_length=LONGEST_MESSAGE, json_schema_extra={MESSAGE: True})


class ListEvents:
    name = "list_events"
    touches = "account"
    summary = "say what is on the calendar today, this week or on a given day (only reads)"
    hints = (*CALENDAR_HINTS, *TIME_HINTS, "what's on", "do i have", "am i free", "busy")
    Args = ListEventsArgs
    examples = ("this week", "tomorrow", "what's on Friday", "next 10 days")

    def from_command(self, text: str) -> ListEventsArgs:
        return ListEventsArgs(when=text.strip()[:100] or "today")

    async def plan(self, ctx: ToolContext, args: ListEventsArgs) -> Plan | str:
        now, tz = await local_now(ctx.store, ctx.now)
        try:
            span = window_said(args.said, now, tz) or parse_window(args.when, now, tz)
        except InputError as exc:
            return str(exc)
        expansion = await what_is_on(CalendarStore(ctx.store), span.start, span.end, tz)
        found = expansion.occurrences
        if not found:
            return f"Nothing on the calendar {span.label}." + _not_shown(expansion.not_shown)
        lines = [f"On the calendar {span.label}, {zone_label(tz)} time:"]
        day = None
        for occurrence in found[:60]:
            first = max(occurrence.begins(tz), span.start).date()
            if first != day:
                day = first
                lines.append(day_words(day))
            lines.append("- " + occurrence_line(occurrence, tz, with_day=False))
        if len(found) > 60:
            lines.append(f"… and {len(found) - 60} more.")
        return "\n".join(lines) + _not_shown(expansion.not_shown)

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        raise LookupError("listing the calendar only reads; there is nothing to run")

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        raise LookupError("listing the calendar changed nothing")
