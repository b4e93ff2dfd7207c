"""News of a person's turns for their other open chats: a turn finished in one tab (or
by voice, or through ``/v1`` or MCP) shows in every other tab of theirs as it happens.

Each open chat socket listens under its own id (``listening``); when a turn of the
person finishes, ``tell`` hands the news to each of their sockets in this process but
the one the turn came from, and with a fleet (``redis_url``) also publishes it on one
Redis channel, from which every other worker hands it to that person's sockets there.
One channel for everyone rather than one per person: a worker then subscribes once,
instead of at every socket's opening and closing, and even 200 turns a second is little
traffic to drop unread.

News is a courtesy, not the record: it is told after the turn is saved, a socket that
is slow to take it is skipped after ``SEND_WITHIN`` seconds, and news published while
Redis is away is lost. The history (``GET /api/history``) stays the truth, and a page
that is opened or reloaded reads it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SEND_WITHIN = 5.0  # seconds one socket may take to accept a piece of news

Deliver = Callable[[dict[str, Any]], Awaitable[None]]
Publish = Callable[[int, str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class TurnNews:
    """A finished turn as the person's other chats are told it."""

    said: str
    reply: str
    conversation_id: int
    turn_id: str
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "elsewhere",
            "said": self.said,
            "reply": self.reply,
            "conversation_id": self.conversation_id,
            "turn_id": self.turn_id,
            "interrupted": self.interrupted,
            "at": time.time(),
        }


class Newsroom:
    """Who hears a person's turn news in this process, and the fleet to tell beyond it."""

    def __init__(self) -> None:
        self._ears: dict[int, dict[str, Deliver]] = {}
        self._sending: set[asyncio.Task[None]] = set()
        self.publish: Publish | None = None  # set when the news goes to other workers too

    @contextmanager
    def listening(self, account_id: int, ear: str, deliver: Deliver) -> Iterator[None]:
        """While the block runs, ``deliver`` gets the news of ``account_id``'s turns that
        did not come from ``ear``."""
        self._ears.setdefault(account_id, {})[ear] = deliver
        try:
            yield
        finally:
            ears = self._ears.get(account_id, {})
            ears.pop(ear, None)
            if not ears:
                self._ears.pop(account_id, None)

    def listeners(self, account_id: int) -> int:
        return len(self._ears.get(account_id, {}))

    def tell(self, account_id: int, origin: str | None, news: dict[str, Any]) -> None:
        """Hand ``news`` to the person's sockets here (but ``origin``) and to the fleet.
        Returns at once: nothing a slow socket or Redis does holds up the turn."""
        self.hear(account_id, origin or "", news)
        if self.publish is not None:
            self._start(self.publish(account_id, origin or "", news), "publish turn news")

    def hear(self, account_id: int, origin: str, news: dict[str, Any]) -> None:
        """Hand ``news`` to the person's sockets in this process but ``origin``."""
        for ear, deliver in list(self._ears.get(account_id, {}).items()):
            if ear != origin:
                self._start(_within(deliver(news)), "deliver turn news")

    def _start(self, work: Awaitable[None], what: str) -> None:
        task = asyncio.ensure_future(_logged(work, what))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def quiet(self) -> None:
        """Wait for the news under way to be handed over (for shutting down and tests)."""
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)


async def _within(work: Awaitable[None]) -> None:
    async with asyncio.timeout(SEND_WITHIN):
        await work


async def _logged(work: Awaitable[None], what: str) -> None:
    try:
        await work
    except Exception as exc:  # news is a courtesy: a failure is noted, never raised
        log.warning("could not %s: %s", what, exc)
