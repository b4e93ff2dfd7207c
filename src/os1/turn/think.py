"""Think: stream the model's reply, token by token, until it ends or is stopped."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from contextlib import aclosing

from os1.errors import ModelError
from os1.events import ErrorEvent, TextDelta, TurnEvent
from os1.models.base import GenerationOptions
from os1.turn.context import Turn
from os1.turn.perceive import may_keep
from os1.turn.remember import keep_so_far, remember_their_words


async def think(turn: Turn) -> AsyncGenerator[TurnEvent, None]:
    if turn.handled:
        return
    if turn.cancel.cancelled and not turn.messages:  # stopped before recall assembled it
        turn.finish_reason = "cancelled"
        return
    limits = turn.deps.limits
    options = GenerationOptions(
        max_tokens=limits.max_reply_tokens,
        temperature=limits.temperature,
        seed=limits.seed,
        cache_prompt=limits.cache_prompt,
    )
    await remember_their_words(turn)
    turn.kept_at = time.monotonic()
    try:
        stream = turn.deps.llm.stream(turn.messages, options, turn.cancel)
        async with aclosing(stream) as chunks:  # type: ignore[type-var]  # backends are async generators
            async for chunk in chunks:
                # kept mid-reply: the person's words are stored now; dropped: they went on
                decided = turn.tentative is not None and turn.tentative.decided
                if decided:
                    if not await may_keep(turn):
                        return
                    await remember_their_words(turn)
                if chunk.text:
                    turn.reply.append(chunk.text)
                    keep_so_far(turn)
                    yield TextDelta(chunk.text)
                if chunk.finish_reason:
                    turn.finish_reason = chunk.finish_reason
                    turn.usage = chunk.usage or turn.usage
    except ModelError as exc:
        turn.finish_reason = "error"
        yield ErrorEvent(exc.code, exc.message, exc.hint)
        return
    if turn.cancel.cancelled:
        turn.finish_reason = "cancelled"
    if turn.finish_reason not in ("stop", "length"):
        return
    for after in (turn.afterword, turn.follow_up.text if turn.follow_up else ""):
        if after:
            turn.reply.append(f"\n\n{after}")
            yield TextDelta(f"\n\n{after}")
