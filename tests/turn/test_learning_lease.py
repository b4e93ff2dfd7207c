"""One learner of a person's facts at a time across every process sharing the store (the
workers of a fleet, a CLI beside the server): a lease in the store, renewed while it
learns, lapsing if its holder stalls, and taken over at once from a process of this
machine that is gone (the first turn after a kill -9 learns what was waiting)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from conftest import collect
from os1.companion import Companion
from os1.config import Settings
from os1.models.scripted import ScriptedLLM
from os1.store import Database, leases


async def test_a_lease_is_one_holders_until_it_lapses_or_its_process_is_gone(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "os1.db")
    store = await db.user("ada")
    mine, theirs = leases.new_holder(), leases.new_holder()
    assert await leases.take(store, "learning", mine, 60)
    assert not await leases.take(store, "learning", theirs, 60)  # alive, in this process
    assert await leases.take(store, "learning", mine, 60)  # renewed
    other = await db.user("bob")
    assert await leases.take(other, "learning", theirs, 60)  # one lease per person

    far = "elsewhere.example/4242/99/abc"  # another machine's: only time frees it
    await store.end_lease("learning", mine)
    assert await store.take_lease("learning", far, 0.2)
    assert not await leases.take(store, "learning", mine, 60)
    await asyncio.sleep(0.3)
    assert await leases.take(store, "learning", mine, 60)

    ended = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", "from os1.store.leases import new_holder; print(new_holder())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    dead = ended.stdout.strip()  # a holder whose process has exited
    await store.end_lease("learning", mine)
    assert await store.take_lease("learning", dead, 300)
    assert await store.lease_holder("learning") == dead
    assert await leases.take(store, "learning", mine, 60)  # not waited for: gone
    assert await store.lease_holder("learning") == mine
    await db.aclose()


def _extracted(model: ScriptedLLM, line: str) -> int:
    return sum(
        line in r.messages[-1].content
        for r in model.requests
        if r.options.background and r.options.json_schema is not None
    )


async def test_two_processes_on_one_store_learn_each_line_once(settings: Settings) -> None:
    """Two companions on one store (as two workers): each serves a turn of the same
    person at once, each starts a learner, and the lines go to a model once."""
    models = [ScriptedLLM(delay=0.02), ScriptedLLM(delay=0.02)]
    first = await Companion.start(settings, llm=models[0])
    second = await Companion.start(settings, llm=models[1])
    await first.skip_onboarding("ada")
    lines = ["My sister Amy lives in Oslo.", "I started learning the cello."]
    await asyncio.gather(
        collect(first.turn("ada", lines[0])), collect(second.turn("ada", lines[1]))
    )
    await asyncio.gather(first.wait_background(), second.wait_background())
    for line in lines:
        assert _extracted(models[0], line) + _extracted(models[1], line) == 1, line
    store = await first.db.user("ada")
    assert await store.lease_holder("learning") is None  # let go when done
    for companion in (first, second):
        await companion.aclose()
