"""The live count reaches the model only when the person asks about it, and it is true."""

from __future__ import annotations

import pytest

from conftest import collect, turn_request
from os1.companion import Companion
from os1.models.scripted import ScriptedLLM
from os1.turn.live import asks_about_others


@pytest.mark.parametrize(
    "text",
    [
        "How many people are you talking to right now?",
        "am I the only one you talk to?",
        "are you talking with anyone else at the moment",
        "how many conversations do you have going?",
    ],
)
def test_questions_about_others_are_recognised(text: str) -> None:
    assert asks_about_others(text)


@pytest.mark.parametrize("text", ["How many eggs go in a cake?", "I talked to Amy today"])
def test_other_questions_are_not(text: str) -> None:
    assert not asks_about_others(text)


async def test_the_true_count_goes_into_the_newest_message(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await companion.skip_onboarding("ada")
    with companion.presence.hold("ada"), companion.presence.hold("bo"):
        companion.presence.touch("cy", "api")
        await collect(companion.turn("ada", "how many people are you talking to?"))
        asked = turn_request(scripted).messages
        await collect(companion.turn("ada", "what's a good soup?"))
        other = turn_request(scripted).messages
    assert "holding 3 conversations" in asked[-1].content
    assert "conversations" not in other[-1].content
    assert asked[0] == other[0]  # the system prompt stays the same: the cache holds
