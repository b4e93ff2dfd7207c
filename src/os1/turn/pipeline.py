"""The pipeline: the stages of a turn, in their explicit order, yielding one event stream.

A stage is an async generator function taking the shared ``Turn``. A stage may stop the
turn (``turn.stopped``), e.g. on empty input; the pipeline then skips to the end. A
tentative turn runs up to ``remember`` and waits there to be kept or dropped. If the
consumer walks away or the task is cancelled mid-stream, the reply so far is still saved,
marked interrupted, and recorded in memory (shielded, so a second cancellation cannot
lose it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

from os1.errors import Os1Error
from os1.events import ErrorEvent, TurnEvent
from os1.turn.act import act
from os1.turn.context import Turn
from os1.turn.perceive import may_keep, perceive
from os1.turn.recall import recall
from os1.turn.remember import keep_after_teardown, remember
from os1.turn.respond import respond
from os1.turn.think import think

Stage = Callable[[Turn], AsyncGenerator[TurnEvent, None]]

STAGES: tuple[Stage, ...] = (perceive, act, recall, think, remember, respond)
KEEPING: frozenset[Stage] = frozenset({remember, respond})  # they store: a tentative turn waits


async def run_turn(
    turn: Turn, stages: tuple[Stage, ...] = STAGES
) -> AsyncGenerator[TurnEvent, None]:
    """Run ``stages`` over ``turn`` and yield their events in order."""
    try:
        for stage in stages:
            if turn.stopped:
                break
            try:
                if stage in KEEPING and not await may_keep(turn):
                    break
                async with aclosing(stage(turn)) as events:
                    async for event in events:
                        yield event
            except Os1Error as exc:
                turn.stopped = True
                if turn.finish_reason == "":
                    turn.finish_reason = "error"
                yield ErrorEvent(exc.code, exc.message, exc.hint)
    finally:
        if not turn.saved and turn.user_message_id is not None:
            await asyncio.shield(keep_after_teardown(turn))
