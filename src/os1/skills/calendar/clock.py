"""The person's time zone, and times shown back to them in words.

A calendar that shows "13:00" without saying which day or which zone invites mistakes,
so every time the skill shows is written out with weekday, date and year, in the
person's own zone, with how far away it is ("in 3 days"). The zone is the one the
person set (``calendar.timezone``), else the system's named zone (``TZ`` or
``/etc/localtime``); a bare UTC offset is the last resort because it knows nothing of
summer time.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from os1.errors import InputError
from os1.store import UserStore

ZONE_SETTING = "calendar.timezone"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Berlin``).

    Raises:
        InputError: no such zone.
    """
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: name too long
        raise InputError(
            "unknown_timezone",
            f'"{name}" is not a time zone I know.',
            "Use a name like Europe/Berlin or America/New_York.",
        ) from exc


def system_zone() -> dt.tzinfo:
    """This machine's zone, by name where it can be found."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return dt.datetime.now().astimezone().tzinfo or dt.UTC


async def person_zone(store: UserStore) -> dt.tzinfo:
    """The zone the person chose, else the system's."""
    name = await store.get_setting(ZONE_SETTING)
    return zone_named(name) if isinstance(name, str) and name else system_zone()


def zone_key(tz: dt.tzinfo) -> str:
    """The IANA name of ``tz``; "UTC" for a zone without one (times are then kept in UTC
    rather than as a fixed offset that knows nothing of summer time)."""
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) and key else "UTC"


def zone_label(tz: dt.tzinfo) -> str:
    return getattr(tz, "key", None) or dt.datetime.now(tz).tzname() or "UTC"


def clock_words(moment: dt.datetime) -> str:
    """``1:00 pm``, ``noon``, ``midnight``."""
    if moment.hour == 12 and moment.minute == 0:
        return "noon"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def day_words(day: dt.date) -> str:
    """``Thursday 3 December 2026``."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {day:%B} {day.year}"


def distance_words(day: dt.date, today: dt.date) -> str:
    """How far ``day`` is from ``today``: ``today``, ``tomorrow``, ``in 3 days``, ..."""
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    if days < 0:
        return f"{-days} days ago"
    if days < 14:
        return f"in {days} days"
    if days < 60:
        return f"in {days // 7} weeks"
    return f"in {round(days / 30.4)} months"


def span_words(
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date | None,
    tz: dt.tzinfo,
    *,
    now: dt.datetime | None = None,
) -> str:
    """A start and end in the person's zone, in words.

    ``Thursday 3 December 2026, 1:00 pm – 2:00 pm (in 3 days)``; all-day events (dates)
    read ``Friday 4 December 2026, all day``.
    """
    today = now.astimezone(tz).date() if now else None
    if not isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        end = end.date()
    if not isinstance(start, dt.datetime):
        last = end - dt.timedelta(days=1) if isinstance(end, dt.date) else start
        text = f"{day_words(start)}, all day"
        if isinstance(last, dt.date) and last > start:
            text = f"{day_words(start)} to {day_words(last)}, all day"
        return text + (f" ({distance_words(start, today)})" if today else "")
    begin = start.astimezone(tz)
    text = f"{day_words(begin.date())}, {clock_words(begin)}"
    if isinstance(end, dt.datetime):
        finish = end.astimezone(tz)
        same_day = finish.date() == begin.date() or (
            finish - begin <= dt.timedelta(hours=24) and finish.time() == dt.time(0)
        )
        text += (
            f" – {clock_words(finish)}"
            if same_day
            else f" – {day_words(finish.date())}, {clock_words(finish)}"
        )
    if today:
        text += f" ({distance_words(begin.date(), today)})"
    own = start.tzinfo
    if (
        own is not None
        and zone_label(own) != zone_label(tz)
        and start.utcoffset() != begin.utcoffset()
    ):
        text += f"; {clock_words(start)} in {zone_label(own)}"
    return text


def rrule_words(rrule: str) -> str:
    """``FREQ=WEEKLY;BYDAY=MO`` as ``every Monday``; unknown parts are shown as they are."""
    if not rrule:
        return ""
    parts = dict(p.split("=", 1) for p in rrule.upper().split(";") if "=" in p)
    freq = parts.get("FREQ", "")
    interval = int(parts.get("INTERVAL", "1") or 1)
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(freq)
    if unit is None:
        return f"repeating ({rrule})"
    days = [d[-2:] for d in parts.get("BYDAY", "").split(",") if d]
    every = "every" if interval == 1 else f"every {interval} {unit}s"
    if days and set(days) == {"MO", "TU", "WE", "TH", "FR"} and interval == 1:
        text = "every weekday"
    elif days and days[0] in _BYDAY:
        names = [_WEEKDAYS[_BYDAY.index(d)] for d in days if d in _BYDAY]
        listed = (
            " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
        )
        text = f"every {listed}" if interval == 1 else f"{every} on {listed}"
    elif interval == 1:
        text = f"every {unit}"
    else:
        text = every
    if monthday := parts.get("BYMONTHDAY"):
        text += f" on the {ordinal(int(monthday.split(',')[0]))}"
    if until := parts.get("UNTIL"):
        text += f" until {until[:4]}-{until[4:6]}-{until[6:8]}"
    if count := parts.get("COUNT"):
        text += f", {count} times"
    return text


def ordinal(n: int) -> str:
    if n < 0:
        return "last day" if n == -1 else f"{ordinal(-n)} from last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


async def local_now(store: UserStore, clock: Callable[[], float]) -> tuple[dt.datetime, dt.tzinfo]:
    """The present moment in the person's zone, and that zone."""
    tz = await person_zone(store)
    return dt.datetime.fromtimestamp(clock(), tz), tz
