"""The stretch of time a question covers: "today", "this week", "next 10 days", "Friday".

Separate from ``when`` because a question names a span ("this week") where an
appointment names a moment ("Thursday at one"); a single day falls back on ``when``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from os1.errors import InputError
from os1.skills.calendar.clock import day_words
from os1.skills.calendar.when import number, parse_when

EXAMPLES = '"today", "tomorrow", "this week", "next week", "this weekend", "next 10 days", "Friday"'


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    label: str  # in words: "this week (Monday 23 November 2026 to Sunday 29 November 2026)"


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def _span(first: dt.date, days: int, tz: dt.tzinfo, name: str) -> Window:
    last = first + dt.timedelta(days=days - 1)
    shown = day_words(first) if days == 1 else f"{day_words(first)} to {day_words(last)}"
    return Window(
        _midnight(first, tz), _midnight(last + dt.timedelta(days=1), tz), f"{name} ({shown})"
    )


def parse_window(text: str, now: dt.datetime, tz: dt.tzinfo) -> Window:
    """The span ``text`` names, seen from ``now`` in zone ``tz``.

    Raises:
        InputError: not a span or a day; the hint lists phrases that work.
    """
    words = " ".join(text.lower().replace("'s", "").split()).strip(" ?.!")
    words = re.sub(r"^(?:what(?: is)? on|on|for|during|in)\s+", "", words)
    today = now.astimezone(tz).date()
    if words in ("", "today", "now"):
        return _span(today, 1, tz, "today")
    if words in ("tomorrow",):
        return _span(today + dt.timedelta(days=1), 1, tz, "tomorrow")
    if words in ("this week", "week", "the week", "rest of the week"):
        return _span(today, 7 - today.weekday(), tz, "this week")
    if words in ("next week",):
        return _span(today + dt.timedelta(days=7 - today.weekday()), 7, tz, "next week")
    if words in ("this weekend", "weekend", "the weekend", "next weekend"):
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today - dt.timedelta(days=1)
        if words == "next weekend":
            saturday += dt.timedelta(days=7)
        first = max(saturday, today)
        return _span(first, (saturday - first).days + 2, tz, words.replace("the ", "this "))
    if words in ("this month", "month", "the month", "next month"):
        first = (
            today
            if words != "next month"
            else (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        )
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return _span(
            first,
            (following - first).days,
            tz,
            "next month" if words == "next month" else "this month",
        )
    if words in ("upcoming", "soon", "coming days", "the coming days", "next days"):
        return _span(today, 7, tz, "the next 7 days")
    found = re.fullmatch(r"(?:the\s+)?(?:next|coming)\s+(\S+)\s+(days?|weeks?)", words)
    if found:
        try:
            size = int(number(found.group(1)))
        except (KeyError, ValueError):
            size = 0
        days = size * (7 if found.group(2).startswith("week") else 1)
        if not 1 <= days <= 366:
            raise InputError(
                "bad_window", f'"{text}" is not a span I can show.', f"Try {EXAMPLES}."
            )
        return _span(today, days, tz, f"the next {days} days")
    try:
        when = parse_when(words, now, tz)
    except InputError as exc:
        raise InputError(
            "bad_window", f'I could not tell which days "{text}" means.', f"Try {EXAMPLES}."
        ) from exc
    if when.rrule:
        raise InputError(
            "bad_window", f'"{text}" repeats; name a span instead.', f"Try {EXAMPLES}."
        )
    day = when.start.date()
    return _span(day, 1, tz, "that day")


# Span phrases as a person says them inside a longer question ("what's on next week?").
_SAID_SPAN = re.compile(
    r"\b(?:(?:the\s+)?(?:next|coming)\s+\S+\s+(?:days?|weeks?)"
    r"|rest of the week"
    r"|(?:this|next|the)\s+(?:weekend|week|month)"
    r"|today|tomorrow)\b"
)


def window_said(message: str, now: dt.datetime, tz: dt.tzinfo) -> Window | None:
    """The span the person named in their own words, if one of the phrases above is in
    ``message``; None otherwise. A small model filling the ``when`` argument sometimes
    drops a word ("next week" becomes "week"); the person's words then decide."""
    for found in _SAID_SPAN.finditer(message.lower()):
        try:
            return parse_window(found.group(0), now, tz)
        except InputError:
            continue
    return None
