"""The names of months and weekdays, one table for every part of os1 that reads dates
in words: memory's time filters ("last May") and the calendar ("next Thursday")."""

from __future__ import annotations

MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# each month by its name and its short forms ("jan", "sept"), numbered from 1
MONTH_NUMBERS = {
    **{name: n for n, name in enumerate(MONTH_NAMES, 1)},
    **{name[:3]: n for n, name in enumerate(MONTH_NAMES, 1)},
    "sept": 9,
}
# months that are also everyday verbs ("I may go", "we march on"): a reader counts them as
# months only with more to go on (a preposition, a year, a day)
VERB_MONTHS = frozenset({"may", "march"})
