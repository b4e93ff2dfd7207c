"""The request gate: which messages are shown to the model for a tool choice at all."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from os1.skills.gate import RequestGate, tool_hints
from os1.skills.registry import builtin_skills


@pytest.fixture(scope="module")
def gate() -> RequestGate:
    return RequestGate(builtin_skills().tools())


@pytest.mark.parametrize(
    "request_text",
    [
        "lunch with Amy next Thursday at one",
        "Please keep in mind that my passport expires in March.",
        "Tidy up ~/Downloads",
        "Where's the scan of my lease?",
        "any mail from the bank?",
        "write to lena@example.org that the keys are under the mat",
        "Is there a typo in this: I recieve your letter",
        "could you move my haircut",
        "Forget my old address",
        "import ~/Downloads/holidays.ics",
    ],
)
def test_requests_for_a_task_reach_the_model(gate: RequestGate, request_text: str) -> None:
    assert gate.might_ask(request_text)


@pytest.mark.parametrize(
    "small_talk",
    [
        "I slept really badly last night.",
        "How are you today?",
        "My friend just got a new puppy.",
        "What's the capital of Australia?",
        "Tell me something interesting.",
        "I finished the big task at work",  # "ask" inside "task" is no request
        "",
    ],
)
def test_small_talk_is_answered_at_once(gate: RequestGate, small_talk: str) -> None:
    assert not gate.might_ask(small_talk)


def test_a_plugin_without_hints_is_reached_by_the_words_of_its_name_and_summary() -> None:
    class SongArgs(BaseModel):
        song: str

    class PlayMusic:
        name = "play_music"
        summary = "play a song from the person's record collection"
        Args: ClassVar[type[BaseModel]] = SongArgs
        examples = ("some jazz",)

    hints = tool_hints(PlayMusic())  # type: ignore[arg-type]
    assert {"play", "music", "song", "record", "collection"} <= set(hints)
    assert "the" not in hints
    gate = RequestGate([PlayMusic()])  # type: ignore[list-item]
    assert gate.might_ask("I'd love to hear that record again")
    assert not gate.might_ask("I'm hungry")


def test_a_message_passed_on_one_tools_words_is_not_handed_to_another() -> None:
    gate = RequestGate(builtin_skills().tools())
    hinted = gate.hinted("What is the capital of France? Answer in one short sentence.")
    assert hinted is not None and "send_mail" in hinted and "add_event" not in hinted
    assert gate.hinted("Can you tell me the capital of France?") is None  # a request: any
    assert "write_letter" in (gate.hinted("Write a letter to Grandma Rose") or set())
    asked = gate.hinted("Compose a piece of music about this morning at the beach")
    assert "compose_music" in (asked or set())
    assert "write_song" in (gate.hinted("A song about the summers at the lake") or set())
