"""The turn-order check both kinds of ``Order`` must pass: one process's and the fleet's."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from os1.server.limits import Order
from os1.server.problems import HttpProblem


async def one_at_a_time_in_order(orders: Sequence[Order], settle: float) -> None:
    """u1's turns from two doors (``orders[0]`` and ``orders[-1]``, two workers in a fleet)
    run one at a time in the order they came; u2 passes; u1's own line holds 2, then 429.
    ``settle`` is how long a turn takes to join its line."""
    ran: list[str] = []
    first_done = asyncio.Event()

    async def turn(on: int, person: str, name: str, hold: asyncio.Event | None = None) -> None:
        async with orders[on].slot(person):
            ran.append(f"{name} starts")
            if hold is not None:
                await hold.wait()
            ran.append(f"{name} ends")

    tab_one = asyncio.create_task(turn(0, "u1", "tab one", first_done))
    await asyncio.sleep(settle)
    tab_two = asyncio.create_task(turn(-1, "u1", "tab two"))
    await asyncio.sleep(settle)
    await turn(-1, "u2", "someone else")  # not held up by u1's turn
    third = asyncio.create_task(turn(0, "u1", "third"))
    await asyncio.sleep(settle)
    with pytest.raises(HttpProblem) as refused:  # u1's own line (2) is full
        await turn(-1, "u1", "fourth")
    assert refused.value.status == 429 and refused.value.code == "too_many_waiting"
    first_done.set()
    await asyncio.wait_for(asyncio.gather(tab_one, tab_two, third), 10)
    assert ran == ["tab one starts", "someone else starts", "someone else ends", "tab one ends",
                   "tab two starts", "tab two ends", "third starts", "third ends"]  # fmt: skip
