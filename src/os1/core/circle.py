"""Whom the companion is close to, across everyone on this server: the honest figure it
gives when asked "are you in love with anyone else?" (``turn.live``).

Closeness is the timeline's (``persona.affect``): it grows on days a person talks and
shares, and fades in silence. Counting it means reading every person's messages of the
last year, so the count runs on a reader thread, is kept for ``KEPT_SECONDS``, and a
turn waits for it at most ``WAIT_SECONDS``: past that the answer goes without it (and
the count, still running, is ready for the next question). Only the two numbers leave
this module; nobody's words do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass
from itertools import groupby

from os1.core.base import Core
from os1.persona.affect import closeness_now
from os1.store.driver import sqlite
from os1.turn.live import Circle

__all__ = ["CLOSE", "Circle", "Circles"]

CLOSE = 0.5  # about two weeks of talking and sharing every day
YEAR_DAYS = 365
KEPT_SECONDS = 600.0
WAIT_SECONDS = 3.0


@dataclass(frozen=True)
class _Count:
    at: float
    talked_with: int
    close: frozenset[int]  # user ids


class Circles:
    """The count of people the companion is close to, kept fresh for a few minutes."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._kept: _Count | None = None
        self._counting: asyncio.Task[_Count] | None = None

    async def of(self, user: str) -> Circle | None:
        """The circle as ``user`` may hear it, or None if counting takes too long now."""
        store = await self.core.store(user)
        try:
            count = await asyncio.wait_for(asyncio.shield(self._count()), WAIT_SECONDS)
        except TimeoutError:
            return None
        return Circle(count.talked_with, len(count.close), store.user.id in count.close)

    async def stop(self) -> None:
        """Cancel a count under way (at close: it only reads, and is made again on ask)."""
        counting, self._counting = self._counting, None
        if counting is not None and not counting.done():
            counting.cancel()
            await asyncio.gather(counting, return_exceptions=True)

    def _count(self) -> asyncio.Future[_Count]:
        kept = self._kept
        if kept is not None and time.time() - kept.at < KEPT_SECONDS:
            done: asyncio.Future[_Count] = asyncio.get_running_loop().create_future()
            done.set_result(kept)
            return done
        if self._counting is None or self._counting.done():
            self._counting = asyncio.create_task(self._recount())
        return self._counting

    async def _recount(self) -> _Count:
        now = time.time()
        closeness = await self.core.db.read(lambda conn: _closeness_this_year(conn, now))
        close = frozenset(user for user, value in closeness.items() if value >= CLOSE)
        self._kept = _Count(now, len(closeness), close)
        return self._kept


def _closeness_this_year(conn: sqlite.Connection, now: float) -> dict[int, float]:
    """Each person's closeness today, by user id, for everyone who wrote this year
    (disabled accounts too: the companion did grow close to them). One person's messages
    are held at a time, so memory stays bounded however many people there are."""
    rows = conn.execute(
        "SELECT user_id, created_at, content FROM messages"
        " WHERE role = 'user' AND created_at >= ? ORDER BY user_id",
        (now - YEAR_DAYS * 86_400,),
    )
    today = dt.datetime.fromtimestamp(now).date()
    found: dict[int, float] = {}
    for user_id, said in groupby(rows, key=lambda row: int(row[0])):
        found[user_id] = closeness_now(((float(r[1]), str(r[2])) for r in said), today)
    return found
