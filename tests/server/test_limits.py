"""The turn gate (a visible line, then a clear 503) and the per-person rate buckets."""

from __future__ import annotations

import asyncio

import pytest
from order_check import one_at_a_time_in_order

from os1.server.limits import TokenBuckets, TurnGate, TurnOrder
from os1.server.problems import HttpProblem


async def test_gate_serves_in_order_and_tells_places() -> None:
    gate = TurnGate(active=1, waiting=3)
    order: list[str] = []
    places: dict[str, list[int]] = {"b": [], "c": []}
    release = asyncio.Event()

    async def first() -> None:
        async with gate.slot():
            order.append("a")
            await release.wait()

    async def later(name: str) -> None:
        async def told(place: int) -> None:
            places[name].append(place)

        async with gate.slot(told):
            order.append(name)

    a = asyncio.create_task(first())
    await asyncio.sleep(0)
    b = asyncio.create_task(later("b"))
    await asyncio.sleep(0)
    c = asyncio.create_task(later("c"))
    await asyncio.sleep(0.05)
    assert gate.waiting == 2 and places == {"b": [1], "c": [2]}
    release.set()
    await asyncio.gather(a, b, c)
    assert order == ["a", "b", "c"] and gate.active == 0 and gate.waiting == 0


async def test_full_line_is_a_503_and_leaving_the_line_frees_it() -> None:
    gate = TurnGate(active=1, waiting=1)
    hold = asyncio.Event()

    async def occupy() -> None:
        async with gate.slot():
            await hold.wait()

    running = asyncio.create_task(occupy())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(occupy())
    await asyncio.sleep(0.01)
    with pytest.raises(HttpProblem) as refused:
        async with gate.slot():
            pass
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    waiter.cancel()  # the person gave up waiting
    await asyncio.gather(waiter, return_exceptions=True)
    assert gate.waiting == 0
    hold.set()
    await running
    async with gate.slot():
        assert gate.active == 1
    assert gate.active == 0


async def test_buckets_refuse_bursts_with_retry_after() -> None:
    buckets = TokenBuckets(per_minute=60, burst=3)
    for _ in range(3):
        await buckets.take("u1", "turns")
    with pytest.raises(HttpProblem) as limited:
        await buckets.take("u1", "turns")
    assert limited.value.status == 429 and int(limited.value.headers["Retry-After"]) >= 1
    await buckets.take("u2", "turns")  # another person is not affected


async def test_a_turn_that_came_to_nothing_is_given_back() -> None:
    """A voice reply begun at a pause and dropped (the person went on) is not a turn."""
    buckets = TokenBuckets(per_minute=60, burst=2)
    await buckets.give_back("u1")  # nothing spent yet: nothing to give back, no extra burst
    for _ in range(2):
        await buckets.take("u1", "turns")
    await buckets.give_back("u1")
    await buckets.take("u1", "turns")
    with pytest.raises(HttpProblem):
        await buckets.take("u1", "turns")


async def test_one_persons_turns_go_one_at_a_time_in_order_and_others_pass() -> None:
    order = TurnOrder(waiting=2)
    await one_at_a_time_in_order([order], settle=0.01)
    assert not order._gates  # nobody waits: nothing kept
