"""The registry of what is open for whom (``server.live``), on a real store: the sweep over
many idle sockets finds exactly the lapsed ones and costs the event loop next to nothing.
The sockets themselves are tested end to end in ``test_account_end.py``."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from os1.models.base import CancelToken
from os1.server.live import LiveSessions
from os1.store import Database
from os1.store.accounts import Accounts
from os1.store.standing import Credential

PEOPLE = 10_000


async def _longest_stall(work: Awaitable[int]) -> tuple[int, float, float]:
    """Run ``work`` while a ticker notes the longest time the event loop was held at a
    stretch; returns its result, that stall and the whole time it took."""
    stalls: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stalls.append(now - last - 0.001)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    result = await work
    took = time.perf_counter() - started
    done.set()
    await ticker
    return result, max(stalls, default=0.0), took


async def test_sweeping_ten_thousand_idle_sockets_costs_little(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    elsewhere = await Database.open(tmp_path / "os1.db")  # as `os1 users` would
    try:
        accounts = Accounts(db)
        people = await accounts.add_many([f"p{i}" for i in range(PEOPLE)])
        live = LiveSessions(accounts, per_person=8, sweep_every=3600)
        ended: list[str] = []

        def closer(name: str) -> Callable[[], Awaitable[None]]:
            async def end() -> None:
                ended.append(name)

            return end

        for account, key in people:
            live.hold(account, Credential.key(key), closer(account.name))
        await live.sweep()  # the readers' connections are opened once

        # A full garbage collection of this test process holds the loop 100-150 ms
        # whatever runs; it is the interpreter's pause, not the sweep's, so it is kept
        # out of the measured pass (CI once failed on a 287 ms stall from one).
        gc.collect()
        gc.disable()
        try:
            swept, stall, took = await _longest_stall(live.sweep())
        finally:
            gc.enable()
        print(
            f"\n{PEOPLE:,} idle sockets: sweep {took * 1000:.0f} ms,"
            f" the event loop held at most {stall * 1000:.1f} ms at a stretch"
        )
        assert swept == 0 and not ended
        assert took < 2.0 and stall < 0.1

        other = Accounts(elsewhere)
        await other.set_disabled("p5", True)
        await other.revoke_keys("p7")
        await other.delete("p9")
        assert await live.sweep() == 3
        assert sorted(ended) == ["p5", "p7", "p9"]
        assert [live.count(people[i][0].id) for i in (5, 7, 9, 6)] == [0, 0, 0, 1]
    finally:
        await elsewhere.aclose()
        await db.aclose()


async def test_an_account_ended_here_stops_its_turns_and_its_sockets_at_once(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "os1.db")
    try:
        accounts = Accounts(db)
        (bob, bob_key), (ann, ann_key) = await accounts.add_many(["bob", "ann"])
        live = LiveSessions(accounts, per_person=8, sweep_every=3600)
        ended: list[str] = []

        async def end_bob() -> None:
            ended.append("bob")

        async def end_ann() -> None:
            ended.append("ann")

        live.hold(bob, Credential.key(bob_key), end_bob)
        live.hold(ann, Credential.key(ann_key), end_ann)
        stopped: list[str] = []

        async def turn(name: str, token: CancelToken) -> None:
            account = bob if name == "bob" else ann
            with live.turn(account, token):
                for _ in range(1_000):  # a model's tokens; it checks before each
                    if token.cancelled:
                        break
                    await asyncio.sleep(0.01)
                stopped.append(name)

        bobs_turn, anns_turn = CancelToken(), CancelToken()
        running = [
            asyncio.create_task(turn("bob", bobs_turn)),
            asyncio.create_task(turn("ann", anns_turn)),
        ]
        await asyncio.sleep(0.05)
        await accounts.set_disabled("bob", True)  # no sweep: the change itself tells
        assert ended == ["bob"] and stopped == ["bob"]  # stopped before it returned
        assert live.count(bob.id) == 0 and live.count(ann.id) == 1 and not anns_turn.cancelled
        anns_turn.cancel()
        await asyncio.gather(*running)
    finally:
        await db.aclose()
