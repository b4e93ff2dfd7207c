"""The perceive stage on its own: what it keeps of the person's words (cleaned, verbatim
otherwise, before anything else runs), what it refuses, and how a tentative turn keeps
them only once the door keeps the turn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import pytest

from conftest import collect
from os1.events import ErrorEvent
from os1.models.scripted import ScriptedLLM
from os1.store import Database, UserStore
from os1.tentative import Tentative
from os1.turn.context import Turn, TurnDeps, TurnLimits
from os1.turn.perceive import clean_input, may_keep, perceive


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour"),
        ("\x00a\x08b\tc\x0bd\x0ce\x0ef\x1fg h\x7fi\x80j", "ab\tcdefg hi\x80j"),
        ("  \n\t indented\tand trailing \r\n ", "indented\tand trailing"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
    ],
)
def test_control_characters_go_and_newlines_become_one_kind(sent: str, kept: str) -> None:
    assert clean_input(sent) == kept


def _drop(work: Coroutine[Any, Any, Any]) -> None:
    work.close()


def _turn(
    store: UserStore, conversation: int, text: str, tentative: Tentative | None = None
) -> Turn:
    deps = TurnDeps(ScriptedLLM(), TurnLimits(), _drop)
    return Turn("turn-1", store, deps, conversation, text, tentative=tentative)


@pytest.fixture
async def ann(tmp_path: Path) -> AsyncIterator[UserStore]:
    db = await Database.open(tmp_path / "os1.db")
    yield await db.user("ann")
    await db.aclose()


async def test_the_words_are_kept_cleaned_before_the_model_sees_them(ann: UserStore) -> None:
    conversation = await ann.new_conversation()
    turn = _turn(ann, conversation, "  Hello\x00 there,\r\nhow are you?  ")
    assert await collect(perceive(turn)) == []
    assert not turn.stopped and turn.text == "Hello there,\nhow are you?"
    (kept,) = await ann.messages(conversation)
    assert kept.id == turn.user_message_id
    assert (kept.role, kept.content, kept.turn_id, kept.status) == (
        "user",
        "Hello there,\nhow are you?",
        "turn-1",
        "complete",
    )


async def test_nothing_to_answer_stops_the_turn_and_keeps_nothing(ann: UserStore) -> None:
    conversation = await ann.new_conversation()
    turn = _turn(ann, conversation, " \x00\r\n\t\x7f ")
    assert await collect(perceive(turn)) == [
        ErrorEvent(
            "empty_input",
            "There is nothing to answer: the message was empty.",
            "Type something to say, or /help for commands.",
        )
    ]
    assert turn.stopped and turn.user_message_id is None
    assert await ann.messages(conversation) == []


async def test_words_that_cannot_be_kept_stop_the_turn_with_the_reason(ann: UserStore) -> None:
    theirs = await ann.new_conversation()
    eve = await ann.db.user("eve")
    turn = _turn(eve, theirs, "let me write in ann's conversation")
    assert await collect(perceive(turn)) == [
        ErrorEvent("conversation_unknown", f"No conversation {theirs}.")
    ]
    assert turn.stopped and turn.user_message_id is None
    assert await ann.messages(theirs) == []


async def test_a_tentative_turn_keeps_the_words_once_it_is_kept(ann: UserStore) -> None:
    conversation = await ann.new_conversation()
    tentative = Tentative()
    turn = _turn(ann, conversation, "I love figs.", tentative)
    assert await collect(perceive(turn)) == []
    assert not turn.stopped and await ann.messages(conversation) == []
    tentative.keep()
    assert await may_keep(turn) and turn.tentative is None
    assert await may_keep(turn)  # an ordinary turn from now on: the words are kept once
    (kept,) = await ann.messages(conversation)
    assert (kept.id, kept.content) == (turn.user_message_id, "I love figs.")
    assert not turn.stopped


async def test_a_dropped_tentative_turn_keeps_nothing_and_stops(ann: UserStore) -> None:
    conversation = await ann.new_conversation()
    tentative = Tentative()
    turn = _turn(ann, conversation, "I love figs and", tentative)
    assert await collect(perceive(turn)) == []
    tentative.drop()
    assert not await may_keep(turn)
    assert (turn.stopped, turn.finish_reason) == (True, "dropped")
    assert turn.user_message_id is None and await ann.messages(conversation) == []
    ordinary = _turn(ann, conversation, "Figs.")
    assert await may_keep(ordinary) and await ann.messages(conversation) == []
