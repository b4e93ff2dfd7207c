"""Perceive: clean what the person sent, refuse what cannot be answered, and keep it.

The person's words are stored verbatim (after removing control characters) before the
model sees anything, so a crash mid-reply never loses what they said. A tentative turn
(``os1.tentative``) stores them only once the door keeps it: ``may_keep`` is where the
stages that keep something wait for that decision.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator

from os1.errors import StoreError
from os1.events import ErrorEvent, TurnEvent
from os1.turn.context import Turn

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(text: str) -> str:
    """Normalize newlines, drop control characters, trim surrounding whitespace."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


async def perceive(turn: Turn) -> AsyncGenerator[TurnEvent, None]:
    turn.text = clean_input(turn.text)
    if not turn.text:
        turn.stopped = True
        yield ErrorEvent(
            "empty_input",
            "There is nothing to answer: the message was empty.",
            "Type something to say, or /help for commands.",
        )
        return
    if turn.tentative is not None:
        return  # kept once the person is known to have finished, if they have
    try:
        await _keep_words(turn)
    except StoreError as exc:
        turn.stopped = True
        yield ErrorEvent(exc.code, exc.message, exc.hint)


async def _keep_words(turn: Turn) -> None:
    turn.user_message_id = await turn.store.add_message(
        turn.conversation_id, "user", turn.text, turn_id=turn.turn_id
    )


async def may_keep(turn: Turn) -> bool:
    """Whether the turn may keep what it made: at once for an ordinary turn; a tentative
    one waits for the door, stores the person's words if kept, and stops if dropped.

    Raises:
        StoreError: the words of a kept turn could not be stored.
    """
    if turn.tentative is None:
        return True
    if not await turn.tentative.wait():
        turn.stopped, turn.finish_reason = True, "dropped"
        return False
    turn.tentative = None
    await _keep_words(turn)
    return True
