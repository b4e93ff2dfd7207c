"""Perceive: clean what the person sent, refuse what cannot be answered, and keep it.

The person's words are stored verbatim (after removing control characters) before the
model sees anything, so a crash mid-reply never loses what they said.
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
    try:
        turn.user_message_id = await turn.store.add_message(
            turn.conversation_id, "user", turn.text, turn_id=turn.turn_id
        )
    except StoreError as exc:
        turn.stopped = True
        yield ErrorEvent(exc.code, exc.message, exc.hint)
