"""Respond: close the turn with one ``TurnFinished`` carrying the whole reply."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from os1.events import TurnEvent, TurnFinished
from os1.turn.context import Turn


async def respond(turn: Turn) -> AsyncGenerator[TurnEvent, None]:
    yield TurnFinished(
        turn_id=turn.turn_id,
        text=turn.reply_text,
        interrupted=turn.interrupted,
        message_id=turn.reply_message_id,
        usage=turn.usage,
    )
