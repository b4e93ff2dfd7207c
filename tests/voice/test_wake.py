"""The wake phrase read from transcripts: the companion's name, alone or after a greeting."""

from __future__ import annotations

import pytest

from os1.voice.wake import Addressed, WakePhrase


@pytest.mark.parametrize(
    ("heard", "rest"),
    [
        ("Hey Nova, what's on tomorrow?", "what's on tomorrow?"),
        ("Okay, Nova. Call my sister.", "Call my sister."),
        ("Nova, are you there?", "are you there?"),
        ("Hey Nora, what time is it?", "what time is it?"),  # a near miss of the name
        ("hey nova", ""),
    ],
)
def test_the_name_at_the_start_addresses_the_companion(heard: str, rest: str) -> None:
    assert WakePhrase("Nova").addressed(heard, now=0.0) == Addressed(rest)


@pytest.mark.parametrize(
    "heard",
    [
        "I told Nova about the trip.",  # named, not addressed
        "Hey Sam, pass the salt.",
        "What's on tomorrow?",
        "",
    ],
)
def test_other_speech_is_not_for_the_companion(heard: str) -> None:
    assert WakePhrase("Nova").addressed(heard, now=0.0) is None


def test_the_next_line_after_a_reply_needs_no_name() -> None:
    wake = WakePhrase("Nova Sky", follow_up_s=8.0)
    wake.stay_awake(now=100.0)
    assert wake.addressed("and on Friday?", now=107.0) == Addressed("and on Friday?")
    assert wake.addressed("and on Friday?", now=109.0) is None
    assert wake.phrase == "Hey Nova"


def test_a_short_name_must_be_heard_exactly() -> None:
    assert WakePhrase("Al").addressed("All right, let's go.", now=0.0) is None
    assert WakePhrase("Al").addressed("Hey Al, let's go.", now=0.0) == Addressed("let's go.")


def test_a_name_without_letters_is_refused() -> None:
    with pytest.raises(ValueError):
        WakePhrase("!!!")
