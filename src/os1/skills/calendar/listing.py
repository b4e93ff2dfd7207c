"""Say what is on the calendar for a day or a span; it only reads, so it answers at once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.skills.base import Outcome, Plan, ToolContext
from os1.skills.calendar.agenda import occurrence_line, occurrences
from os1.skills.calendar.clock import (
    day_words,
    local_now,
    zone_label,
)
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.when import CALENDAR_HINTS, TIME_HINTS
from os1.skills.calendar.window import parse_window


class ListEventsArgs(BaseModel):
    when: str = Field(
        default="today",
        description="Which days, e.g. 'today', 'this week', 'Friday'.",
        max_length=100,
    )


class ListEvents:
    name = "list_events"
    summary = "say what is on the calendar today, this week or on a given day (only reads)"
    hints = (*CALENDAR_HINTS, *TIME_HINTS, "what's on", "do i have", "am i free", "busy")
    Args = ListEventsArgs
    examples = ("this week", "tomorrow", "what's on Friday", "next 10 days")

    def from_command(self, text: str) -> ListEventsArgs:
        return ListEventsArgs(when=text.strip()[:100] or "today")

    async def plan(self, ctx: ToolContext, args: ListEventsArgs) -> Plan | str:
        now, tz = await local_now(ctx.store, ctx.now)
        try:
            window = parse_window(args.when, now, tz)
        except InputError as exc:
            return f"{exc.message} {exc.hint}".strip()
        found = await occurrences(CalendarStore(ctx.store), window.start, window.end, tz)
        if not found:
            return f"Nothing on the calendar {window.label}."
        lines = [f"On the calendar {window.label}, {zone_label(tz)} time:"]
        day = None
        for occurrence in found[:60]:
            first = max(occurrence.begins(tz), window.start).date()
            if first != day:
                day = first
                lines.append(day_words(day))
            lines.append("- " + occurrence_line(occurrence, tz, with_day=False))
        if len(found) > 60:
            lines.append(f"… and {len(found) - 60} more.")
        return "\n".join(lines)

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        raise LookupError("listing the calendar only reads; there is nothing to run")

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        raise LookupError("listing the calendar changed nothing")
