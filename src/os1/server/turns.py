"""Running a person's turn behind any door: rate, line, timeout, presence and shutdown.

Every door (WebSocket, OpenAI API, MCP) goes through ``turn_events`` so they share one
set of rules: a person may start ``turns_per_minute`` turns; a turn waits for the model in
the ``TurnGate`` (and may hear its place in line); it is stopped gracefully after
``turn_timeout`` (the reply so far is kept, marked interrupted); and while the server is
stopping no new turn starts, while the ones under way are let finish. A turn belongs to
its account while it waits and runs (``Services.live``), so it is stopped the same way
if the account is disabled or deleted meanwhile; and once its place in line comes, the
account is checked afresh, since a key check may be some seconds old.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import TypeVar

from os1.core.accounts import Account
from os1.core.memories import Answer
from os1.core.turns import CancelToken, Tentative
from os1.events import TurnEvent, TurnFinished, TurnStarted
from os1.server.news import TurnNews
from os1.server.problems import HttpProblem
from os1.server.services import Services

T = TypeVar("T")

WaitFn = Callable[[int], Awaitable[None]]


_ENDED = HttpProblem(
    401,
    "account_ended",
    "This account is disabled or deleted.",
    "Sign in again; if that fails, ask the admin.",
)


def _refuse_if_stopping(svc: Services) -> None:
    if svc.stopping:
        raise HttpProblem(
            503,
            "shutting_down",
            "The companion is restarting and takes no new turns right now.",
            "Try again in a few seconds.",
            {"Retry-After": "10"},
        )


async def turn_events(
    svc: Services,
    account: Account,
    text: str,
    *,
    cancel: CancelToken | None = None,
    on_wait: WaitFn | None = None,
    tentative: Tentative | None = None,
    persona: str | None = None,
    origin: str | None = None,
) -> AsyncGenerator[TurnEvent, None]:
    """The events of one turn of ``account`` (with their persona ``persona`` when given),
    under the server's limits. A tentative turn that is dropped gives its turn back to
    the person's rate. Once it is saved, the person's other chats hear of it (all but
    the socket ``origin`` it came from, if any).

    Raises:
        HttpProblem: 429 over the turn rate, 503 when the line is full or the server
            stops, 401 when the account ended before the turn's place in line came.
    """
    _refuse_if_stopping(svc)
    await svc.turns.take(f"u{account.id}", "turns")
    try:
        async with aclosing(
            _turn_in_line(
                svc, account, text, cancel or CancelToken(), on_wait, tentative, persona, origin
            )
        ) as events:
            async for event in events:
                yield event
    finally:
        if tentative is not None and tentative.dropped:
            await svc.turns.give_back(f"u{account.id}")


async def _turn_in_line(
    svc: Services,
    account: Account,
    text: str,
    token: CancelToken,
    on_wait: WaitFn | None,
    tentative: Tentative | None,
    persona: str | None = None,
    origin: str | None = None,
) -> AsyncGenerator[TurnEvent, None]:
    with svc.live.turn(account, token):
        # the person's earlier turn first (another tab, another door), then the model
        async with svc.order.slot(f"u{account.id}", on_wait), svc.gate.slot(on_wait):
            _refuse_if_stopping(svc)
            if not await svc.live.stands(account):
                raise _ENDED
            timer = asyncio.get_running_loop().call_later(svc.settings.turn_timeout, token.cancel)
            svc.inflight.add(token)
            svc.idle.clear()
            try:
                events = (
                    svc.companion.personas.reply(account.name, persona, text, cancel=token)
                    if persona
                    else svc.companion.turn(account.name, text, cancel=token, tentative=tentative)
                )
                started: TurnStarted | None = None
                async with aclosing(events) as stream:
                    async for event in stream:
                        if isinstance(event, TurnStarted):
                            started = event
                        elif isinstance(event, TurnFinished) and started and not persona:
                            # told before the person's next turn may start: in order
                            _tell(svc, account, origin, text, started, event, tentative)
                        yield event
            finally:
                timer.cancel()
                svc.inflight.discard(token)
                if not svc.inflight:
                    svc.idle.set()


def _tell(
    svc: Services,
    account: Account,
    origin: str | None,
    said: str,
    started: TurnStarted,
    finished: TurnFinished,
    tentative: Tentative | None,
) -> None:
    """The person's other chats hear of a saved turn (a persona's talk is its own, and a
    draft begun at a pause is not the person's turn until it is kept)."""
    if tentative is not None and tentative.dropped:
        return
    news = TurnNews(
        said, finished.text, started.conversation_id, started.turn_id, finished.interrupted
    )
    svc.news.tell(account.id, origin, news.to_dict())


async def model_turn(svc: Services, account: Account, work: Callable[[], Awaitable[T]]) -> T:
    """``work`` (a question to memory, a letter) under the server's limits: it is a model
    turn, so it counts against the person's turn rate and waits its place in the turn
    line.

    Raises:
        HttpProblem: 429 over the turn rate, 503 when the line is full or the server
            stops.
    """
    _refuse_if_stopping(svc)
    await svc.turns.take(f"u{account.id}", "turns")
    async with svc.gate.slot():
        _refuse_if_stopping(svc)
        return await work()


async def ask_memory(svc: Services, account: Account, question: str, k: int = 10) -> Answer:
    """``companion.memories.ask`` as a model turn (``model_turn``)."""
    return await model_turn(
        svc, account, lambda: svc.companion.memories.ask(account.name, question, k, wait=False)
    )


async def drain(svc: Services) -> None:
    """Stop taking turns, let those under way finish within the grace period, then stop
    the rest gracefully (their replies so far are saved, marked interrupted)."""
    svc.stopping = True
    if not await _idle_within(svc, svc.settings.shutdown_grace):
        for token in list(svc.inflight):
            token.cancel()
        await _idle_within(svc, 5.0)


async def _idle_within(svc: Services, seconds: float) -> bool:
    try:
        await asyncio.wait_for(svc.idle.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
