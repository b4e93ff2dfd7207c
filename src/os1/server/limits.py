"""Limits that keep a shared companion fair and standing: body size, request and turn
rates per person, and a gate in front of the model with a visible queue.

The model is the scarce part (the local one answers one turn at a time), so turns pass a
``TurnGate``: a fixed number run, a bounded number wait in line and learn their place,
and beyond that the answer is an immediate 503 with ``Retry-After`` rather than a hang.
A person's own turns pass a ``TurnOrder`` first: one at a time, in the order they came,
so two tabs never interleave one conversation. Rates use token buckets per account (429
with ``Retry-After``). These are one process's; workers that share Redis use
``fleet.FleetBuckets``, ``fleet.FleetGate`` and ``fleet.FleetTurnOrder`` instead, which
answer the same calls for the whole fleet (``Buckets``, ``Gate``, ``Order``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from os1.server.problems import HttpProblem

WaitFn = Callable[[int], Awaitable[None]]


class Buckets(Protocol):
    async def take(self, key: str, what: str) -> None: ...
    async def give_back(self, key: str) -> None: ...


class Gate(Protocol):
    limit: int
    max_waiting: int

    def slot(self, on_wait: WaitFn | None = None) -> AbstractAsyncContextManager[None]: ...


class Order(Protocol):
    def slot(
        self, person: str, on_wait: WaitFn | None = None
    ) -> AbstractAsyncContextManager[None]: ...


OWN_WAITING = 16  # a person's own turns that may wait behind their turn under way


def too_many_own() -> HttpProblem:
    return HttpProblem(
        429,
        "too_many_waiting",
        f"You already have {OWN_WAITING} turns waiting for the one under way.",
        "Wait for the replies under way, then try again.",
        {"Retry-After": "5"},
    )


def rate_refusal(what: str, wait: int) -> HttpProblem:
    """The 429 of an empty rate bucket, with how long to wait."""
    return HttpProblem(
        429,
        "rate_limited",
        f"Too many {what} in a short time.",
        f"Wait {wait} s and try again.",
        {"Retry-After": str(wait)},
    )


class TokenBuckets:
    """``rate`` events per minute per key, with bursts up to ``burst``."""

    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst or max(1, per_minute // 2))
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(self, key: str, what: str) -> None:
        """Spend one token of ``key``'s bucket.

        Raises:
            HttpProblem: 429 when the bucket is empty, with how long to wait.
        """
        now = time.monotonic()
        tokens, stamp = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens < 1.0:
            raise rate_refusal(what, math.ceil((1.0 - tokens) / self.rate))
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 200_000:  # forget the idle, keep memory bounded
            cutoff = now - self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > cutoff}

    async def give_back(self, key: str) -> None:
        """Return a token spent on something that came to nothing (a dropped draft)."""
        if (held := self._buckets.get(key)) is not None:
            self._buckets[key] = (min(self.burst, held[0] + 1.0), held[1])


class TurnGate:
    """At most ``active`` turns at once, at most ``waiting`` more in line.

    Waiters are served first come, first served; each can learn its place in line.
    """

    def __init__(
        self, active: int, waiting: int, refusal: Callable[[], HttpProblem] | None = None
    ) -> None:
        self.limit = active
        self.max_waiting = waiting
        self.refusal = refusal  # what a full line says, if not that the companion is busy
        self.active = 0
        self._line: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @asynccontextmanager
    async def slot(self, on_wait: WaitFn | None = None) -> AsyncIterator[None]:
        """Hold one of the active places for the block.

        Args:
            on_wait: called with the place in line (1 = next) whenever it changes.

        Raises:
            HttpProblem: 503 when the line is full.
        """
        if self.active < self.limit and not self._line:
            self.active += 1
        else:
            await self._wait(on_wait)
        try:
            yield
        finally:
            self._release()

    async def _wait(self, on_wait: WaitFn | None) -> None:
        if len(self._line) >= self.max_waiting:
            if self.refusal is not None:
                raise self.refusal()
            raise HttpProblem(
                503,
                "busy",
                f"The companion is answering {self.active} people and {len(self._line)} more "
                "are waiting; it cannot take another turn right now.",
                "Try again in a few seconds.",
                {"Retry-After": "5"},
            )
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(ticket)
        told = 0
        try:
            while True:
                place = self._place(ticket)
                if on_wait is not None and place and place != told:
                    told = place
                    await on_wait(place)
                try:
                    async with asyncio.timeout(1.0):  # not wait_for: Python 3.11's can turn
                        await asyncio.shield(ticket)  # a person's cancel into a timeout
                    return
                except TimeoutError:
                    continue
        except BaseException:
            if ticket.done() and not ticket.cancelled():
                self._release()  # the slot was handed over just as we gave up
            else:
                ticket.cancel()
                if ticket in self._line:
                    self._line.remove(ticket)
            raise

    def _place(self, ticket: asyncio.Future[None]) -> int:
        try:
            return self._line.index(ticket) + 1
        except ValueError:
            return 0

    def _release(self) -> None:
        while self._line:
            nxt = self._line.popleft()
            if not nxt.done():
                nxt.set_result(None)  # the place passes straight to the next in line
                return
        self.active -= 1


class TurnOrder:
    """One turn at a time per person, first come first served, whichever door or tab it
    comes from: two turns of one conversation never interleave their messages. Each
    person's line is a ``TurnGate`` of one, kept only while someone is in it."""

    def __init__(self, waiting: int = OWN_WAITING) -> None:
        self.waiting = waiting
        self._gates: dict[str, TurnGate] = {}

    @asynccontextmanager
    async def slot(self, person: str, on_wait: WaitFn | None = None) -> AsyncIterator[None]:
        """Raises: HttpProblem: 429 when the person's own line is full."""
        gate = self._gates.get(person)
        if gate is None:
            gate = self._gates[person] = TurnGate(1, self.waiting, too_many_own)
        try:
            async with gate.slot(on_wait):
                yield
        finally:
            if not gate.active and not gate.waiting:
                self._gates.pop(person, None)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before the app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        text = (
            b'{"error":{"code":"too_large","message":"The request is larger than '
            + str(self.max_bytes).encode()
            + b' bytes.","hint":"Send less at once.","type":"invalid_request_error"}}'
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": text})
