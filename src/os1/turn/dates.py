"""Dates the person mentions, worked out in code for the model.

A small model miscounts days: told on 2 December that a birthday is "on March 3rd", it
said the birthday was "coming up in just a few days". So the date a day phrase in the
person's message means (``when.find_window``, against today) and how far away it is are
computed here and put before their message, as memories are.
"""

from __future__ import annotations

import datetime as dt
import re

from os1.memory.when import find_window

DAY = 86400.0


def dates_note(text: str, today: dt.date) -> str:
    """'(Worked out for you: "next friday" is Friday 4 December 2026, in 2 days.)' and a
    line break, or "" when the message names no single day or only today in words (the
    system prompt gives today's date; every token here is read anew each turn). A day
    and month already past this year gives the next one and the last one; the tense of
    the message says which is meant."""
    noon = dt.datetime(today.year, today.month, today.day, 12).timestamp()
    window = find_window(text[:4000], noon)
    if window is None or window.end - window.start > 1.5 * DAY:
        return ""
    day = dt.datetime.fromtimestamp(window.start).date()
    if day == today and not re.search(r"\d", window.phrase):
        return ""  # "today", "tonight": the prompt already says what day it is
    named_month = re.search(r"[a-z]{3}", window.phrase) and re.search(r"\d", window.phrase)
    if named_month and not re.search(r"\d{4}", window.phrase) and day < today:
        try:  # "March 3rd" said in December: a birthday or plan means the next one
            coming = day.replace(year=day.year + 1)
        except ValueError:  # 29 February
            coming = day
        return (
            f'(Worked out for you: the next "{window.phrase}" is {_day(coming)},'
            f" {_distance(coming, today)}; the last was {_day(day)}, {_distance(day, today)}.)\n"
        )
    return f'(Worked out for you: "{window.phrase}" is {_day(day)}, {_distance(day, today)}.)\n'


def _day(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _distance(day: dt.date, today: dt.date) -> str:
    days = (day - today).days
    named = {0: "today", 1: "tomorrow", -1: "yesterday"}
    if days in named:
        return named[days]
    return f"in {days} days" if days > 0 else f"{-days} days ago"
