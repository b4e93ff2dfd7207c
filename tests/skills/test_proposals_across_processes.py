"""At most once across processes: two os1 processes on one data folder (a server and a
terminal, two workers) confirm the same proposal at the same moment, and it runs once.

The race inside one process is tested with the proposals; a lock held in Python passes
that test and fails this one, where only the claim in the database can keep the promise.
Both processes are started and waiting before the test hands each the same proposal id in
the same instant. A claim that read the status and then wrote it ran the note twice in
most rounds when tried, so twenty rounds catch it every time, in about two seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import proposal_for
from os1.companion import Companion
from os1.config import Settings, load_settings

NOTES = [f"the code of locker {n} is {4400 + n}" for n in range(1, 21)]

DOOR = """
import asyncio, json, sys
from os1.companion import Companion
from os1.config import load_settings
from os1.events import ActionSettled

async def main():
    companion = await Companion.open(load_settings())
    print("ready", flush=True)
    while line := await asyncio.to_thread(sys.stdin.readline):
        [event] = [e async for e in companion.decide("ada", int(line), confirm=True)]
        said = event.status if isinstance(event, ActionSettled) else event.code
        print(json.dumps(said), flush=True)
    await companion.aclose()

asyncio.run(main())
"""


def _settings(home: Path) -> Settings:
    return load_settings({"home": home, "llm_backend": "scripted", "embedders": "none"}, environ={})


async def _propose(home: Path) -> list[int]:
    """One waiting "/remember" proposal per note, each made by a turn of the person's."""
    companion = await Companion.start(_settings(home))
    try:
        await companion.skip_onboarding("ada")
        made = [await proposal_for(companion, "ada", f"/remember {note}") for note in NOTES]
    finally:
        await companion.aclose()
    return [proposal.proposal_id for proposal in made]


async def _remembered(home: Path) -> list[str]:
    companion = await Companion.open(_settings(home))
    try:
        return [episode.text for episode in await companion.memories.recent("ada", 100)]
    finally:
        await companion.aclose()


def _tell(door: subprocess.Popen[str], line: str) -> None:
    assert door.stdin is not None
    door.stdin.write(f"{line}\n")
    door.stdin.flush()


def _hear(door: subprocess.Popen[str]) -> str:
    assert door.stdout is not None
    return door.stdout.readline()


def test_two_processes_confirming_one_proposal_at_once_run_it_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proposals = asyncio.run(_propose(home))
    env = {
        **os.environ,
        "OS1_HOME": str(home),
        "OS1_LLM_BACKEND": "scripted",
        "OS1_EMBEDDERS": "none",
    }
    doors = [
        subprocess.Popen(
            [sys.executable, "-c", DOOR],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers = []
    try:
        assert [_hear(door) for door in doors] == ["ready\n", "ready\n"]
        for n, proposal in enumerate(proposals):
            for door in doors if n % 2 else doors[::-1]:  # who hears first alternates
                _tell(door, str(proposal))
            answers.append(sorted(json.loads(_hear(door)) for door in doors))
        for door in doors:
            assert door.stdin is not None
            door.stdin.close()
            assert door.wait(timeout=30) == 0
    finally:
        for door in doors:
            if door.poll() is None:
                door.kill()
                door.wait()
            if door.stdout is not None:
                door.stdout.close()

    assert answers == [["already_decided", "done"]] * len(NOTES)
    remembered = [text for text in asyncio.run(_remembered(home)) if text in NOTES]
    assert sorted(remembered) == sorted(NOTES)  # each note kept exactly once
