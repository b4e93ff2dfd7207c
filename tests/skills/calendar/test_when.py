"""The person's words for a time, read the way a person means them, from a fixed "now"
(Monday 23 November 2026, 15:20 in Berlin) and across a change of summer time."""

from __future__ import annotations

import datetime as dt

import pytest
from calendar_parts import BERLIN, NOW

from os1.errors import InputError
from os1.skills.calendar.clock import rrule_words, span_words
from os1.skills.calendar.when import parse_duration, parse_when
from os1.skills.calendar.window import parse_window, window_said


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("words", "start", "end", "rule"),
    [
        ("next Thursday at one", at(26, 13), None, ""),
        ("tomorrow at 3pm", at(24, 15), None, ""),
        ("on Friday 9:30", at(27, 9, 30), None, ""),
        ("5 December at 14:30", at(5, 14, 30, 12), None, ""),
        ("December 5th at 2:30 pm", at(5, 14, 30, 12), None, ""),
        ("2026-12-05 14:30", at(5, 14, 30, 12), None, ""),
        ("in two hours", at(23, 17, 20), None, ""),
        ("tonight at 8", at(23, 20), None, ""),
        ("this weekend", at(28, 10), None, ""),
        ("every Monday at 9", at(30, 9), None, "FREQ=WEEKLY;BYDAY=MO"),
        ("every day at 7", at(24, 7), None, "FREQ=DAILY"),
        ("every weekday at 8:30", at(24, 8, 30), None, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("every other Friday at 6pm", at(27, 18), None, "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
        ("tomorrow at 2 for an hour", at(24, 14), at(24, 15), ""),
        ("Friday 2-4pm", at(27, 14), at(27, 16), ""),
        ("Friday from 11 to 1", at(27, 11), at(27, 13), ""),
        ("tomorrow 10 until 3pm", at(24, 10), at(24, 15), ""),
        ("half past two tomorrow", at(24, 14, 30), None, ""),
        ("at 9", at(24, 9), None, ""),  # 9 this morning has passed: tomorrow
        ("at 4", at(23, 16), None, ""),
        ("tomorrow morning", at(24, 9), None, ""),
        ("Thursday next week at noon", at(3, 12, month=12), None, ""),
        ("the 15th at 10", at(15, 10, month=12), None, ""),
        ("in 3 days at 5", at(26, 17), None, ""),
    ],
)
def test_words_become_the_moment_a_person_means(
    words: str, start: dt.datetime, end: dt.datetime | None, rule: str
) -> None:
    when = parse_when(words, NOW, BERLIN)
    assert (when.start, when.end, when.rrule, when.all_day) == (start, end, rule, False)


def test_the_title_tells_evening_from_morning() -> None:
    assert parse_when("Friday at 8", NOW, BERLIN, hint="dinner with Sam").start == at(27, 20)
    assert parse_when("Friday at 8", NOW, BERLIN, hint="dentist").start == at(27, 8)


def test_days_without_a_time_are_all_day_and_rules_read_back_in_words() -> None:
    monthly = parse_when("monthly on the 1st", NOW, BERLIN)
    assert monthly.all_day and monthly.start.date() == dt.date(2026, 12, 1)
    assert rrule_words(monthly.rrule) == "every month on the 1st"
    friday = parse_when("on Friday", NOW, BERLIN)
    assert friday.all_day and span_words(friday.start.date(), None, BERLIN, now=NOW) == (
        "Friday 27 November 2026, all day (in 4 days)"
    )
    assert rrule_words("FREQ=WEEKLY;BYDAY=MO,WE") == "every Monday and Wednesday"


def test_a_week_with_the_change_to_winter_time() -> None:
    friday = dt.datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN)  # summer time, UTC+2
    monday = parse_when("every Monday at 9", friday, BERLIN)
    assert monday.start == dt.datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)
    assert monday.start.utcoffset() == dt.timedelta(hours=1)  # winter time: still 9 on the wall
    saturday_night = dt.datetime(2026, 10, 24, 23, 30, tzinfo=BERLIN)
    later = parse_when("in four hours", saturday_night, BERLIN)
    assert later.start.hour == 2 and later.start.utcoffset() == dt.timedelta(hours=1)
    elapsed = later.start.astimezone(dt.UTC) - saturday_night.astimezone(dt.UTC)
    assert elapsed == dt.timedelta(hours=4)  # real hours, not wall-clock hours
    # 2:30 does not exist on 29 March 2026 (clocks jump from 2:00 to 3:00)
    gap = parse_when("2026-03-29 2:30am", dt.datetime(2026, 3, 20, tzinfo=BERLIN), BERLIN).start
    assert (gap.hour, gap.utcoffset()) == (3, dt.timedelta(hours=2))


@pytest.mark.parametrize(
    "words", ["blah", "", "next week", "31 February", "friday for an hour", "at 25:00"]
)
def test_words_that_are_no_time_are_refused_with_examples(words: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_when(words, NOW, BERLIN)
    assert "next Thursday at one" in refused.value.hint or "Check the day" in refused.value.hint


def test_a_weekday_that_does_not_fit_the_date_is_questioned() -> None:
    assert parse_when("Thursday 3 December at one", NOW, BERLIN).start == at(3, 13, month=12)
    with pytest.raises(InputError) as refused:
        parse_when("Friday 3 December at one", NOW, BERLIN)
    assert refused.value.message == "3 December 2026 is a Thursday, not a Friday."


def test_durations() -> None:
    assert parse_duration("an hour") == dt.timedelta(hours=1)
    assert parse_duration("for 30 minutes") == dt.timedelta(minutes=30)
    assert parse_duration("1.5 hours") == dt.timedelta(minutes=90)
    assert parse_duration("an hour and a half") == dt.timedelta(minutes=90)
    assert parse_duration("half an hour") == dt.timedelta(minutes=30)
    with pytest.raises(InputError):
        parse_duration("a while")


def test_windows_for_questions() -> None:
    week = parse_window("this week", NOW, BERLIN)
    assert (week.start, week.end) == (at(23, 0), at(30, 0))
    assert "Monday 23 November 2026 to Sunday 29 November 2026" in week.label
    assert parse_window("next week", NOW, BERLIN).start == at(30, 0)
    assert parse_window("what's on Friday", NOW, BERLIN).start == at(27, 0)
    assert parse_window("next 10 days", NOW, BERLIN).end == at(3, 0, month=12)
    with pytest.raises(InputError):
        parse_window("whenever", NOW, BERLIN)


def test_the_span_the_person_named_beats_a_shortened_argument() -> None:
    """A small model sometimes writes "week" for "next week"; the listing then follows the
    person's own words, wherever they stand in the question."""
    said = window_said("What's on my calendar next week?", NOW, BERLIN)
    assert said is not None and said.start == at(30, 0) and said.label.startswith("next week")
    assert window_said("am I free over the next 3 days", NOW, BERLIN).end == at(26, 0)
    assert window_said("anything on this weekend?", NOW, BERLIN).label.startswith("this weekend")
    assert window_said("what's on Friday", NOW, BERLIN) is None  # left to the argument
    assert window_said("", NOW, BERLIN) is None
