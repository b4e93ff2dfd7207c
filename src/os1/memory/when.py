"""Time words to time windows: "last May", "yesterday", "three weeks ago", "in 2024".

Both sides of memory need this: recall ("what did I do last May?" searches May) and fact
extraction ("next Friday" in a message from 3 March means a date near 3 March, not near
today). Every phrase is resolved against an anchor time, never against the clock.
Deliberately small and predictable: English, common phrasings, calendar months and
weeks starting on Monday, seasons of the northern hemisphere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from os1.timewords import MONTH_NUMBERS, VERB_MONTHS, WEEKDAY_NAMES

MONTHS = MONTH_NUMBERS
WEEKDAYS = {d: i for i, d in enumerate(WEEKDAY_NAMES)}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3}  # fmt: skip
UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = "|".join(WEEKDAYS)
_NUM = r"\d+|" + "|".join(sorted(NUMBERS, key=len, reverse=True))


@dataclass(frozen=True)
class Window:
    """A half-open span of time ``[start, end)`` in POSIX seconds, and the words it came from."""

    start: float
    end: float
    phrase: str

    def contains(self, when: float) -> bool:
        return self.start <= when < self.end


def _day(d: dt.date) -> float:
    return dt.datetime(d.year, d.month, d.day).timestamp()


def _span(start: dt.date, end: dt.date, phrase: str) -> Window:
    return Window(_day(start), _day(end), phrase)


def _month(year: int, month: int, phrase: str, months: int = 1) -> Window:
    end_month, end_year = month + months, year
    while end_month > 12:
        end_month -= 12
        end_year += 1
    return _span(dt.date(year, month, 1), dt.date(end_year, end_month, 1), phrase)


def _resolve_month(month: int, year: str | None, mode: str, today: dt.date) -> int:
    if year:
        return int(year)
    if mode == "next":
        return today.year if month > today.month else today.year + 1
    if mode == "this":
        return today.year
    # "last May", "in May", "May": the most recent May that has begun
    return (
        today.year
        if month < today.month or (mode == "in" and month == today.month)
        else (today.year - 1 if month >= today.month else today.year)
    )


def _relative(unit: str, shift: int, today: dt.date, phrase: str) -> Window:
    if unit == "day":
        d = today + dt.timedelta(days=shift)
        return _span(d, d + dt.timedelta(days=1), phrase)
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=shift)
        return _span(monday, monday + dt.timedelta(days=7), phrase)
    if unit == "weekend":
        saturday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=5, weeks=shift)
        return _span(saturday, saturday + dt.timedelta(days=2), phrase)
    if unit == "month":
        month = today.month + shift
        year = today.year + (month - 1) // 12
        return _month(year, (month - 1) % 12 + 1, phrase)
    return _span(dt.date(today.year + shift, 1, 1), dt.date(today.year + shift + 1, 1, 1), phrase)


def find_window(text: str, anchor: float) -> Window | None:
    """The first time expression in ``text``, resolved against ``anchor`` (POSIX seconds)."""
    today = dt.datetime.fromtimestamp(anchor).date()
    low = text.lower()
    for finder in _FINDERS:
        found = finder(low, today)
        if found is not None:
            return found
    return None


def _iso(low: str, today: dt.date) -> Window | None:
    m = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", low)
    if not m:
        return None
    try:
        d = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return _span(d, d + dt.timedelta(days=1), m[0])


def _month_day(low: str, today: dt.date) -> Window | None:
    day = r"(\d{1,2})(?:st|nd|rd|th)?"
    m = re.search(
        rf"\b(?:({_MONTH})\.? {day}|{day} (?:of )?({_MONTH}))\b(?:,? (\d{{4}}))?",
        low,
    )
    if not m:
        return None
    month = MONTHS[m[1] or m[4]]
    day_of_month = int(m[2] or m[3])
    year = int(m[5]) if m[5] else today.year
    try:
        d = dt.date(year, month, day_of_month)
    except ValueError:
        return None
    return _span(d, d + dt.timedelta(days=1), m[0])


_NAMED_DAYS = (
    ("day before yesterday", -2), ("yesterday", -1), ("last night", -1), ("tonight", 0),
    ("today", 0), ("this morning", 0), ("this evening", 0), ("day after tomorrow", 2),
    ("tomorrow", 1),
)  # fmt: skip


def _named_day(low: str, today: dt.date) -> Window | None:
    for word, shift in _NAMED_DAYS:
        if re.search(rf"\b{word}\b", low):
            return _relative("day", shift, today, word)
    return None


def _ago(low: str, today: dt.date) -> Window | None:
    m = re.search(rf"\b({_NUM}) (day|week|month|year)s? ago\b", low)
    if not m:
        return None
    count = int(m[1]) if m[1].isdigit() else NUMBERS[m[1]]
    days = count * UNITS[m[2]]
    center = today - dt.timedelta(days=days)
    slack = max(1, days // 7) if m[2] != "day" else 0  # "a month ago" is roughly a month ago
    return _span(center - dt.timedelta(days=slack), center + dt.timedelta(days=slack + 1), m[0])


def _last_next_unit(low: str, today: dt.date) -> Window | None:
    m = re.search(r"\b(last|this|next|past) (week|weekend|month|year)\b", low)
    if not m:
        return None
    shift = {"last": -1, "past": -1, "this": 0, "next": 1}[m[1]]
    return _relative(m[2], shift, today, m[0])


def _weekday(low: str, today: dt.date) -> Window | None:
    m = re.search(rf"\b(last|this|next|on)? ?({_DAY})\b", low)
    if not m:
        return None
    target = WEEKDAYS[m[2]]
    delta = target - today.weekday()
    if m[1] == "next":
        delta = delta + 7 if delta <= 0 else delta
    elif m[1] == "this":
        pass
    else:  # "on Tuesday", "last Tuesday", "Tuesday": the most recent one before today
        delta = delta - 7 if delta >= 0 else delta
    d = today + dt.timedelta(days=delta)
    return _span(d, d + dt.timedelta(days=1), m[0].strip())


def _season(low: str, today: dt.date) -> Window | None:
    m = re.search(
        r"\b(last|this|next|in|during)? ?(spring|summer|autumn|fall|winter)\b(?: (?:of )?(\d{4}))?",
        low,
    )
    if not m:
        return None
    start = SEASONS[m[2]]
    if m[3]:
        return _month(int(m[3]), start, m[0].strip(), months=3)
    months_in = (today.year * 12 + today.month) - (today.year * 12 + start)  # since it began
    year = today.year if months_in >= 0 else today.year - 1  # the latest one that has begun
    ended = (today.year - year) * 12 + today.month - start >= 3
    if m[1] == "last" and not ended:
        year -= 1  # still in it: "last summer" is the one before
    elif m[1] == "next":
        year += 1
    return _month(year, start, m[0].strip(), months=3)


def _month_name(low: str, today: dt.date) -> Window | None:
    m = re.search(rf"\b(?:(last|this|next|in|during|since) )?({_MONTH})\b(?: (\d{{4}}))?", low)
    if not m:
        return None
    bare = not (m[1] or m[3])
    if bare and (m[2] in VERB_MONTHS or len(m[2]) <= 4):
        return None  # "I may go", "mar", "dec": too often not a month
    month = MONTHS[m[2]]
    return _month(_resolve_month(month, m[3], m[1] or "", today), month, m[0])


def _year(low: str, today: dt.date) -> Window | None:
    m = re.search(r"\b(?:in|during|since|of) ((?:19|20)\d{2})\b", low)
    if not m:
        return None
    year = int(m[1])
    return _span(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), m[0])


_FINDERS = (
    _iso,
    _month_day,
    _named_day,
    _ago,
    _last_next_unit,
    _season,
    _month_name,
    _weekday,
    _year,
)
