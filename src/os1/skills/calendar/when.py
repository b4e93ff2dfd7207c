"""The person's words for a time ("next Thursday at one") as a start, an end and a rule.

A small reader, not an NLP model: each kind of phrase (a length, a repetition, a range,
a day, a part of the day, a clock time) is a regular expression that takes its words
out of the text; whatever is left over must be filler ("at", "on", ...) or the phrase
is refused, with examples of what works. Refusing is better than guessing a date.

The guesses people expect are made on purpose and shown back in words by the tools:
a bare hour 1-6 is afternoon ("lunch at one" is 13:00), 7-11 is morning unless the
phrase or the title says evening ("dinner at 8"), a weekday is the next one after
today, a time already past today means tomorrow, a date without year is the next one.
Times are wall-clock times in the person's zone, so "every Monday at 9" stays at 9
across a change to summer time; "in two hours" is two real hours.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil.rrule import rrulestr

from os1.errors import InputError
from os1.timewords import MONTH_NAMES, VERB_MONTHS, WEEKDAY_NAMES

EXAMPLES = (
    '"next Thursday at one", "tomorrow at 3pm", "on Friday 9:30", "5 December at 14:30", '
    '"in two hours", "tonight at 8", "every Monday at 9", "monthly on the 1st"'
)
WEEKDAYS = WEEKDAY_NAMES
# Words that suggest a message is about a time on the calendar (``skills.gate``). Left
# out: "today" and "tonight", said in passing all day long, and "may" and "march", verbs
# more often than months in conversation.
TIME_HINTS = (
    *WEEKDAYS,
    "tomorrow",
    "weekend",
    "next week",
    "this week",
    "noon",
    "midday",
    "midnight",
    "o'clock",
    "a.m",
    "p.m",
    "every ",
    *(month for month in MONTH_NAMES if month not in VERB_MONTHS),
)
CALENDAR_HINTS = (
    *("calendar", "appointment", "meeting", "event", "schedule", "agenda", "diary"),
    *("remind", "reschedul", "put ", "add "),
)
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTHS = MONTH_NAMES
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45,
    "fifty": 50, "sixty": 60, "ninety": 90, "couple of": 2, "few": 3,
}  # fmt: skip
_NUM = (
    r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True)) + ")"
)
_HOURWORD = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_WD = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?"
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_FILLER = {"at", "on", "the", "of", "from", "for", "in", "and", "around", "about", "by", "o'clock"}
# part of the day -> (default clock, meridiem it implies)
_PARTS = {
    "morning": ((9, 0), "am"),
    "breakfast": ((8, 0), "am"),
    "noon": ((12, 0), ""),
    "midday": ((12, 0), ""),
    "lunchtime": ((12, 30), ""),
    "lunch": ((12, 30), ""),
    "afternoon": ((15, 0), "pm"),
    "evening": ((19, 0), "pm"),
    "dinner": ((19, 0), "pm"),
    "supper": ((19, 0), "pm"),
    "night": ((20, 0), "pm"),
    "midnight": ((0, 0), ""),
}
_EVENING_HINTS = re.compile(
    r"\b(dinner|supper|drinks?|party|concert|theat(?:er|re)|movie|cinema|gig|bar)\b"
)
_MORNING_HINTS = re.compile(r"\b(breakfast|brunch|coffee|run|gym|standup|stand-up)\b")


@dataclass(frozen=True)
class When:
    """Where the words put an event: ``start`` is aware, in the person's zone (midnight
    for an all-day event); ``end`` only if the words gave one; ``rrule`` is RFC 5545."""

    start: dt.datetime
    end: dt.datetime | None
    all_day: bool
    rrule: str = ""


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    meridiem: str  # "am", "pm" or "" when the words did not say


class _Reader:
    """The words still to be understood; ``take`` removes what a pattern matched."""

    def __init__(self, text: str) -> None:
        self.text = f" {text} "

    def take(self, pattern: str) -> re.Match[str] | None:
        found = re.search(pattern, self.text)
        if found:
            self.drop(found)
        return found

    def peek(self, pattern: str) -> re.Match[str] | None:
        return re.search(pattern, self.text)

    def drop(self, found: re.Match[str]) -> None:
        self.text = self.text[: found.start()] + " " + self.text[found.end() :]

    def leftover(self) -> list[str]:
        return [w for w in self.text.replace(",", " ").split() if w not in _FILLER]


def _normalize(text: str) -> str:
    text = text.lower().strip().rstrip(".!?")
    text = re.sub(r"\b([ap])\.m\.?", r"\1m", text)
    text = re.sub(r"(\d{4}-\d{1,2}-\d{1,2})t(\d)", r"\1 \2", text)
    text = re.sub(r"[–—]", "-", text)
    return " ".join(text.split())


def number(word: str) -> float:
    word = word.strip()
    return _NUMBERS[word] if word in _NUMBERS else float(word)


def _weekday(word: str) -> int:
    return next(i for i, name in enumerate(WEEKDAYS) if name.startswith(word[:3]))


def _month(word: str) -> int:
    for i, name in enumerate(MONTHS):
        if name.startswith(word[:3]) and (len(word) <= 4 or name.startswith(word)):
            return i + 1
    raise InputError("bad_date", f'"{word}" is not a month I know.', f"Try: {EXAMPLES}")


def _refuse(text: str, what: str) -> InputError:
    return InputError(
        "unclear_time", f'I could not tell when "{text}" is ({what}).', f"Say it like {EXAMPLES}."
    )


def _date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise InputError(
            "bad_date", f'There is no such day as "{text}".', "Check the day and the month."
        ) from exc


def _take_duration(r: _Reader) -> dt.timedelta | None:
    units = r"(?:minutes?|mins?|hours?|hrs?|h|days?)"
    found = r.take(rf"\bfor\s+(half\s+an\s+hour|{_NUM}\s*{units}(?:\s+and\s+a\s+half)?)\b")
    return parse_duration(found.group(1)) if found else None


def parse_duration(text: str) -> dt.timedelta:
    """``an hour``, ``30 minutes``, ``1.5 hours``, ``half an hour``, ``1h30``, ``90``.

    Raises:
        InputError: not a length of time, or longer than four weeks.
    """
    words = _normalize(text).removeprefix("for ").strip()
    minutes: float | None = None
    if words in ("half an hour", "half hour"):
        minutes = 30
    elif found := re.fullmatch(r"(\d{1,2})\s*(?:h|:)\s*(\d{2})", words):
        minutes = int(found.group(1)) * 60 + int(found.group(2))
    elif found := re.fullmatch(r"(\d+)", words):
        minutes = int(found.group(1))
    elif found := re.fullmatch(
        rf"({_NUM})\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d)(\s+and\s+a\s+half)?", words
    ):
        size = number(found.group(1)) + (0.5 if found.group(3) else 0)
        unit = found.group(2)[0]
        minutes = size * {"m": 1, "h": 60, "d": 1440}[unit]
    if minutes is None or minutes <= 0:
        raise InputError(
            "unclear_duration",
            f'I could not tell how long "{text}" is.',
            'Say it like "an hour", "30 minutes" or "1.5 hours".',
        )
    if minutes > 28 * 1440:
        raise InputError("too_long", f'"{text}" is longer than four weeks.', "Split it up.")
    return dt.timedelta(minutes=round(minutes))


def _take_recurrence(r: _Reader) -> tuple[str, int, list[str]] | None:
    """(frequency, interval, weekdays) of "every ...", "daily", "on Mondays", ..."""
    units = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
    if found := r.take(rf"\bevery\s+(other\s+|{_NUM}\s+)?(day|weekday|week|month|year)s?\b"):
        gap = found.group(1) or ""
        interval = 2 if gap.strip() == "other" else int(number(gap)) if gap.strip() else 1
        if found.group(2) == "weekday":
            return "WEEKLY", interval, list(BYDAY[:5])
        return units[found.group(2)], interval, []
    every = rf"\bevery\s+(other\s+)?({_WD}s?(?:\s*(?:,|and)\s*{_WD}s?)*)\b"
    plural = rf"\bon\s+()({_WD}s(?:\s*(?:,|and)\s*{_WD}s)*)\b"  # "on Mondays", not "on Monday"
    if found := r.take(every) or r.take(plural):
        names = re.findall(_WD, found.group(2))
        return "WEEKLY", 2 if found.group(1) else 1, [BYDAY[_weekday(n)] for n in names]
    if r.take(r"\b(?:on\s+)?weekdays\b"):
        return "WEEKLY", 1, list(BYDAY[:5])
    if found := r.take(r"\b(daily|weekly|fortnightly|monthly|yearly|annually)\b"):
        word = found.group(1)
        freq = {"daily": "DAILY", "monthly": "MONTHLY", "yearly": "YEARLY", "annually": "YEARLY"}
        return freq.get(word, "WEEKLY"), 2 if word == "fortnightly" else 1, []
    return None


def _take_clock(r: _Reader, prefix: str = r"(?:at\s+)?") -> _Clock | None:
    if found := r.take(rf"\b{prefix}(\d{{1,2}})[:.h](\d{{2}})\s*(am|pm)?\b"):
        return _Clock(int(found.group(1)), int(found.group(2)), found.group(3) or "")
    if found := r.take(rf"\b{prefix}(\d{{1,2}})\s*(am|pm)\b"):
        return _Clock(int(found.group(1)), 0, found.group(2))
    if found := r.take(rf"\b(?:at\s+)?(half|quarter)\s+(past|to)\s+({_HOURWORD})\b"):
        hour, minute = int(number(found.group(3))), 30 if found.group(1) == "half" else 15
        if found.group(2) == "to":
            hour, minute = (hour - 1) % 24, 60 - minute
        return _Clock(hour, minute, "")
    pattern = rf"\bat\s+({_HOURWORD})(?:\s+(thirty|fifteen|forty-five|o'clock))?(?:\s*(am|pm))?\b"
    if found := r.take(pattern):
        minute = {"thirty": 30, "fifteen": 15, "forty-five": 45}.get(found.group(2) or "", 0)
        return _Clock(int(number(found.group(1))), minute, found.group(3) or "")
    if found := r.take(rf"\b({_HOURWORD})\s+o'clock\b"):
        return _Clock(int(number(found.group(1))), 0, "")
    return None


def _hour(clock: _Clock, part: str, hint: str) -> int:
    """The 24-hour hour of ``clock``, using the guesses described at the top."""
    hour = clock.hour
    if clock.meridiem:
        return hour % 12 + (12 if clock.meridiem == "pm" else 0)
    if hour >= 13 or hour == 0 or hour == 12:
        return hour
    implied = _PARTS[part][1] if part in _PARTS else ""
    if implied == "pm" or (not implied and 5 <= hour <= 11 and _EVENING_HINTS.search(hint)):
        return hour + 12
    if implied == "am" or _MORNING_HINTS.search(hint):
        return hour
    return hour + 12 if hour <= 6 else hour


def _take_range(r: _Reader, part: str, hint: str) -> tuple[dt.time, dt.time] | None:
    one = rf"((?:\d{{1,2}}(?:[:.]\d{{2}})?|{_HOURWORD})\s*(?:am|pm)?)"
    found = r.peek(rf"\b(?:from\s+|between\s+)?{one}\s*(?:-|to|and|until|till)\s*{one}\b")
    # words alone ("one and two") are no range; a digit, am/pm or "from" makes one
    if found is None or not re.search(r"\d|am|pm|from|between", found.group(0)):
        return None
    r.drop(found)
    first, second = (_clock_of(found.group(i)) for i in (1, 2))
    end_hour = _hour(second, part, hint)
    start = _Clock(first.hour, first.minute, first.meridiem or second.meridiem)
    start_hour = _hour(start, part, hint)
    if start_hour * 60 + start.minute > end_hour * 60 + second.minute and not first.meridiem:
        start_hour = _hour(_Clock(first.hour, first.minute, "am"), part, hint)
    if end_hour * 60 + second.minute <= start_hour * 60 + start.minute and end_hour < 12:
        end_hour += 12
    return dt.time(start_hour, start.minute), dt.time(end_hour % 24, second.minute)


def _clock_of(text: str) -> _Clock:
    found = re.fullmatch(r"([a-z]+|\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", text.strip())
    if found is None:
        raise _refuse(text, "the time")
    return _Clock(int(number(found.group(1))), int(found.group(2) or 0), found.group(3) or "")


def _take_until(r: _Reader, part: str, hint: str) -> dt.time | None:
    found = r.take(r"\b(?:until|till|til)\s+(\S+(?:\s*(?:am|pm))?)")
    if found is None:
        return None
    clock = _clock_of(found.group(1))
    return dt.time(_hour(clock, part, hint), clock.minute)


def _take_day(r: _Reader, today: dt.date) -> tuple[dt.date | None, str]:
    """A day named in the words, and the part of the day it implies ("tonight")."""
    if found := r.take(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"):
        y, m, d = (int(g) for g in found.groups())
        return _date(y, m, d, found.group(0)), ""
    if r.take(r"\b(?:the\s+)?day\s+after\s+tomorrow\b"):
        return today + dt.timedelta(days=2), ""
    if found := r.take(r"\b(today|tonight|tomorrow)\b"):
        word = found.group(1)
        return today + dt.timedelta(days=word == "tomorrow"), "night" if word == "tonight" else ""
    if found := r.take(r"\b(?:(this|next)\s+)?week-?end\b"):
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today  # on Sunday, "this weekend" is what is left of it
        return saturday + dt.timedelta(days=7 * (found.group(1) == "next")), "weekend"
    day_of = r"(\d{1,2})(?:st|nd|rd|th)?"
    year = r"(?:,?\s*(\d{4}))?"
    if found := r.take(rf"\b{day_of}\s+(?:of\s+)?({_MON}){year}\b"):
        day = _next_date(today, int(found.group(1)), _month(found.group(2)), found.group(3))
        return _same_weekday(r, day), ""
    if found := r.take(rf"\b({_MON})\s+{day_of}{year}\b"):
        day = _next_date(today, int(found.group(2)), _month(found.group(1)), found.group(3))
        return _same_weekday(r, day), ""
    if found := r.take(rf"\b({_WD})\s+next\s+week\b"):
        monday = today + dt.timedelta(days=7 - today.weekday())
        return monday + dt.timedelta(days=_weekday(found.group(1))), ""
    if found := r.take(rf"\b(?:(?:next|this|coming|on)\s+)*({_WD})\b"):
        ahead = (_weekday(found.group(1)) - today.weekday() - 1) % 7 + 1
        return today + dt.timedelta(days=ahead), ""
    if found := r.take(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b"):
        number_ = int(found.group(1))
        month, year_ = today.month, today.year
        if number_ < today.day:
            month, year_ = (1, year_ + 1) if month == 12 else (month + 1, year_)
        return _date(year_, month, number_, found.group(0)), ""
    return None, ""


def _same_weekday(r: _Reader, day: dt.date) -> dt.date:
    """A weekday named beside a date ("Thursday 3 December") must be that date's."""
    if found := r.take(rf"\b(?:on\s+)?({_WD})\b"):
        named = _weekday(found.group(1))
        if named != day.weekday():
            raise InputError(
                "weekday_mismatch",
                f"{day.day} {MONTHS[day.month - 1].title()} {day.year} is a "
                f"{WEEKDAYS[day.weekday()].title()}, not a {WEEKDAYS[named].title()}.",
                "Say the date or the weekday you mean.",
            )
    return day


def _next_date(today: dt.date, day: int, month: int, year: str | None) -> dt.date:
    if year:
        return _date(int(year), month, day, f"{day}.{month}.{year}")
    found = _date(today.year, month, day, f"{day}.{month}") if (month, day) != (2, 29) else None
    if found is None or found < today:
        return _date(today.year + 1, month, day, f"{day}.{month}")
    return found


def _take_relative(r: _Reader) -> dt.timedelta | None:
    if r.take(r"\bin\s+half\s+an\s+hour\b"):
        return dt.timedelta(minutes=30)
    found = r.take(rf"\bin\s+({_NUM})\s+(minutes?|mins?|hours?|hrs?|days?|weeks?)\b")
    if found is None:
        return None
    size = number(found.group(1))
    unit = found.group(2)[0]
    return dt.timedelta(minutes=size * {"m": 1, "h": 60, "d": 1440, "w": 10080}[unit])


def _take_part(r: _Reader) -> str:
    names = "|".join(_PARTS)
    found = r.take(rf"\b(?:in\s+the\s+|this\s+|at\s+|for\s+)?({names})\b")
    return found.group(1) if found else ""


def _rule(freq: str, interval: int, days: list[str], monthday: int | None) -> str:
    parts = [f"FREQ={freq}"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if days:
        parts.append("BYDAY=" + ",".join(days))
    if monthday:
        parts.append(f"BYMONTHDAY={monthday}")
    return ";".join(parts)


def parse_when(text: str, now: dt.datetime, tz: dt.tzinfo, *, hint: str = "") -> When:
    """When ``text`` is, seen from ``now`` in zone ``tz``.

    Args:
        text: the person's words, e.g. "next Thursday at one".
        now: the present moment (aware).
        tz: the person's zone; the result is in it.
        hint: other words about the event (its title), for "dinner at 8" = 20:00.

    Raises:
        InputError: the words do not name a time; the hint lists phrases that work.
    """
    words = _normalize(text)
    if not words:
        raise InputError("missing_time", "Say when it is.", f"For example {EXAMPLES}.")
    local_now = now.astimezone(tz)
    today = local_now.date()
    hint = f"{words} {_normalize(hint)}"
    r = _Reader(words)
    length = _take_duration(r)
    repeat = _take_recurrence(r)
    monthday = None
    if repeat and (found := r.take(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)?\b")):
        monthday = int(found.group(1))
        if not 1 <= monthday <= 31:
            raise _refuse(text, f"there is no {monthday}th of a month")
    relative = _take_relative(r)
    day, part = _take_day(r, today)
    part = _take_part(r) or part
    span = _take_range(r, part, hint)
    until = None if span else _take_until(r, part, hint)
    clock = None if span else _take_clock(r)
    if leftover := r.leftover():
        raise _refuse(text, f'"{" ".join(leftover)}" is not a time or day I know')
    if repeat and day and not repeat[2] and repeat[0] == "WEEKLY":
        repeat = (repeat[0], repeat[1], [BYDAY[day.weekday()]])
    if relative is not None and relative < dt.timedelta(days=1) and not (day or clock or span):
        start = (now.astimezone(dt.UTC) + relative).astimezone(tz).replace(second=0, microsecond=0)
        end = start + length if length else None
        return When(start, end, False, _rule(*repeat, monthday) if repeat else "")
    if relative is not None:
        day = (day or today) + dt.timedelta(days=relative.days)
    wall: dt.time | None = None
    if span:
        wall = span[0]
    elif clock:
        hour = _hour(clock, part, hint)
        if not (0 <= hour <= 23 and 0 <= clock.minute <= 59):
            raise _refuse(text, f"{clock.hour}:{clock.minute:02d} is not a time of day")
        wall = dt.time(hour, clock.minute)
    elif part == "weekend":
        wall = dt.time(10, 0)
    elif part:
        wall = dt.time(*_PARTS[part][0])
    if day is None and wall is None and repeat is None:
        raise _refuse(text, "no day or time in it")
    if wall is None and (until or (length and length < dt.timedelta(days=1))):
        raise _refuse(text, "at what time does it start?")
    rule = _rule(*repeat, monthday) if repeat else ""
    start = _first_start(day, wall, rule, local_now, tz)
    end = None
    if span:
        end = _at(start.date(), span[1], tz)
        if end <= start:
            end += dt.timedelta(days=1)
    elif until is not None:
        end = _at(start.date(), until, tz)
        if end <= start:
            raise _refuse(text, "it ends before it starts")
    elif length:
        end = (
            start + length
            if wall
            else _at(start.date() + dt.timedelta(days=length.days), dt.time(0), tz)
        )
    return When(start, end, wall is None, rule)


def _at(day: dt.date, wall: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """``wall`` on ``day`` in ``tz``; a time skipped by the change to summer time moves
    on by the hour skipped (2:30 becomes 3:30), as clocks do."""
    return dt.datetime.combine(day, wall, tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def _first_start(
    day: dt.date | None, wall: dt.time | None, rule: str, now: dt.datetime, tz: dt.tzinfo
) -> dt.datetime:
    """The first start on or after the named day (or now): a bare time already past
    today means tomorrow; a rule starts at its first occurrence still ahead."""
    base = day or now.date()
    if rule:
        first = dt.datetime.combine(base, wall or dt.time(0))
        after = now.replace(tzinfo=None) if wall and day is None else first
        if day is None and wall is None:
            after = dt.datetime.combine(now.date(), dt.time(0))
        found: dt.datetime | None = rrulestr(rule, dtstart=first).after(after, inc=True)
        if found is None:
            raise _refuse(rule, "the rule never happens")
        return _at(found.date(), found.time(), tz)
    start = _at(base, wall or dt.time(0), tz)
    if day is None and wall is not None and start <= now:
        start = _at(base + dt.timedelta(days=1), wall, tz)
    return start
