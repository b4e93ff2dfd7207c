"""Dates the person mentions are worked out in code and shown to the model before their
message: what day "March 3rd" or "next Friday" is, and how many days away."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import collect, turn_request
from os1.companion import Companion
from os1.events import TurnFinished
from os1.models.scripted import ScriptedLLM
from os1.turn.dates import dates_note

DECEMBER_2 = dt.date(2026, 12, 2)


def test_a_birthday_in_march_said_in_december_is_months_away_not_days() -> None:
    note = dates_note("Lena's birthday is on March 3rd.", DECEMBER_2)
    assert 'the next "march 3rd" is Wednesday 3 March 2027, in 91 days' in note
    assert "the last was Tuesday 3 March 2026, 274 days ago" in note


def test_near_days_and_dates_with_a_year() -> None:
    assert '"next friday" is Friday 4 December 2026, in 2 days' in dates_note(
        "Dinner next Friday?", DECEMBER_2
    )
    assert "tomorrow" in dates_note("I fly on December 3", DECEMBER_2)
    assert "1311 days ago" in dates_note("We met on 2023-05-01.", DECEMBER_2)


def test_today_in_words_needs_no_note_but_its_date_and_last_night_do() -> None:
    for said in ("How are you today?", "What should I cook tonight?", "Rain this afternoon."):
        assert dates_note(said, DECEMBER_2) == "", said
    assert "today" in dates_note("My exam is on December 2nd.", DECEMBER_2)
    assert "Tuesday 1 December 2026, yesterday" in dates_note(
        "I slept badly last night.", DECEMBER_2
    )


def test_no_day_no_note_and_huge_or_odd_text_is_fine() -> None:
    assert dates_note("Nothing about time here.", DECEMBER_2) == ""
    assert dates_note("In 2024 we moved.", DECEMBER_2) == ""  # a year is no single day
    assert dates_note("", DECEMBER_2) == ""
    assert dates_note("on February 30th " * 100_000, DECEMBER_2) == ""
    leap = dates_note("born on February 29", dt.date(2028, 3, 1))
    assert "29 February 2028" in leap  # no next 29 February in 2029: said as it is


async def test_the_model_sees_the_worked_out_date_before_the_message(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await collect(companion.turn("ann", "My sister Lena's birthday is on March 3rd."))
    last = turn_request(scripted).messages[-1].content
    today = dt.date.today()
    coming = dt.date(today.year + (today > dt.date(today.year, 3, 3)), 3, 3)
    assert f"{coming.day} March {coming.year}" in last
    assert last.endswith("My sister Lena's birthday is on March 3rd.")


@pytest.mark.real_model
async def test_the_real_model_counts_the_days_to_a_birthday_right(
    real_companion: Companion,
) -> None:
    await real_companion.skip_onboarding("ann")
    events = await collect(
        real_companion.turn(
            "ann", "My sister's birthday is on March 3rd. How many days away is it?"
        )
    )
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    today = dt.date.today()
    coming = dt.date(today.year + (today > dt.date(today.year, 3, 3)), 3, 3)
    days = (coming - today).days
    assert str(days) in reply.replace(",", ""), reply
