"""Learning killed with SIGKILL loses nothing and leaves nothing half-written.

After each turn the companion learns facts from what was said, in the background: the
model reads the lines still waiting, their facts are written with the lines they came
from, and the lines are marked learned. A real process is killed outright at each of
those moments; afterwards every acknowledged turn is there, the database is sound, each
line's facts are all there with their sources or not there at all, and the next turn's
learning finishes the work without a duplicate.

The process talks to a stand-in OpenAI-compatible model served by this test, so the test
answers the model's requests itself and can hold one back. A kill while a transaction
runs cannot be timed from outside (it lasts a millisecond), so for those moments the
process kills itself with SIGKILL when its store starts the statement in question: SQLite
reports each statement it starts to a trace callback, which changes nothing else.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from os1.companion import Companion
from os1.config import load_settings
from os1.events import TurnFinished
from os1.models.scripted import example_for
from os1.store.driver import connect
from os1.testing_openai import ScriptedOpenAIServer

FRIENDS = [("Ottoline", "Lisbon", "figs"), ("Bruno", "Oslo", "cello"), ("Wilma", "Porto", "chess")]
LINES = [f"My friend {name} lives in {city} and loves {thing}." for name, city, thing in FRIENDS]
SAID = re.compile(r"My friend (\w+) lives in (\w+) and loves (\w+)\.")
REPLY = "How lovely, tell me more."

CHILD = """
import asyncio, json, os, signal, sys
from os1.companion import Companion
from os1.config import load_settings
from os1.events import TurnFinished

lines, die_on, die_at = json.loads(sys.argv[1])
seen = 0

def watch(statement):
    global seen
    if die_on and die_on in statement:
        seen += 1
        if seen == die_at:
            os.kill(os.getpid(), signal.SIGKILL)

async def main():
    companion = await Companion.start(load_settings())
    await companion.skip_onboarding("ada")
    for n, line in enumerate(lines):
        if n == len(lines) - 1:  # the learning after the last line is the one to die in
            await companion.db.transaction(lambda conn: conn.set_trace_callback(watch))
        events = [e async for e in companion.turn("ada", line)]
        if isinstance(events[-1], TurnFinished):
            print(n, flush=True)  # acknowledged: the turn and its reply are saved
        await companion.wait_background()
    sys.exit("the last line was learned: no kill came")

asyncio.run(main())
"""


def _facts_for(prompt: str) -> dict[str, list[dict[str, Any]]]:
    """What a careful model answers for the numbered chat lines in ``prompt``: three facts
    from each line about a friend, none from any other line."""
    answer: dict[str, list[dict[str, Any]]] = {}
    for number, text in re.findall(r"^\[(\d+)\] \S+ \(\w+\) user: (.*)$", prompt, re.MULTILINE):
        found = SAID.fullmatch(text)
        if found is None:
            answer[f"line_{number}"] = []
            continue
        name, city, thing = found.groups()
        slots = [
            ("relation", "friend", "relation"),
            ("lives_in", city, "person"),
            ("likes", thing, "preference"),
        ]
        answer[f"line_{number}"] = [
            {
                "text": f"{name} {attribute}: {value}.",
                "subject": name,
                "attribute": attribute,
                "value": value,
                "kind": kind,
                "when": "",
                "confidence": 0.9,
            }
            for attribute, value, kind in slots
        ]
    return answer


class Answers:
    """The stand-in model's answers; with ``hold``, the first request to learn from the
    last line waits until ``release`` is set, and ``reading`` tells the test it came."""

    def __init__(self, hold: bool) -> None:
        self.hold = hold
        self.reading = threading.Event()
        self.release = threading.Event()

    def __call__(self, body: dict[str, Any]) -> str:
        fmt = body.get("response_format")
        if fmt is None:
            return REPLY
        schema = fmt["json_schema"]["schema"]
        prompt = body["messages"][-1]["content"]
        if "answer" in schema.get("properties", {}):  # a fact's slot asked of its line
            return json.dumps({"answer": next(x for x in LINES if x in prompt)})
        if not any(key.startswith("line_") for key in schema.get("properties", {})):
            return json.dumps(example_for(schema))  # the companion choosing its name, ...
        if self.hold and LINES[-1] in prompt and not self.reading.is_set():
            self.reading.set()
            self.release.wait(30)
        return json.dumps(_facts_for(prompt))


def _run_until_killed(home: Path, model: ScriptedOpenAIServer, die_on: str, die_at: int) -> int:
    """Run the child through every line until it is killed: by the test once the model
    holds the last line (``model.reply.hold``), else by itself at the ``die_at``-th
    statement containing ``die_on``. Returns how many turns it acknowledged."""
    env = {
        **os.environ,
        "OS1_HOME": str(home),
        "OS1_LLM_BACKEND": "openai",
        "OS1_LLM_URL": model.base_url,
        "OS1_EMBEDDERS": "none",
        "OS1_TOOL_CHOICE": "false",
    }
    args = json.dumps([LINES, die_on, die_at])
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, args], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    script = model.reply
    assert isinstance(script, Answers)
    acknowledged = 0
    try:
        for _ in child.stdout:
            acknowledged += 1
            if script.hold and acknowledged == len(LINES):
                assert script.reading.wait(30), "the model was never asked to learn"
                os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL, "not killed while learning"
    finally:
        script.release.set()
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    return acknowledged


def _learned(home: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Each fact as (subject, slot, value), filed under the line it was learned from (a
    fact without a source under ""), read once SQLite has found the whole file sound."""
    conn = connect(home / "os1.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT f.subject, f.attribute, f.value, coalesce(e.text, '') FROM facts f"
            " LEFT JOIN fact_sources s ON s.fact_id = f.id"
            " LEFT JOIN episodes e ON e.id = s.episode_id ORDER BY f.id"
        ).fetchall()
    finally:
        conn.close()
    by_line: dict[str, list[tuple[str, str, str]]] = {}
    for subject, attribute, value, line in rows:
        by_line.setdefault(line, []).append((subject, attribute, value))
    return by_line


def _expected(line: str) -> list[tuple[str, str, str]]:
    found = SAID.fullmatch(line)
    assert found is not None
    name, city, thing = found.groups()
    return [(name, "relation", "friend"), (name, "lives_in", city), (name, "likes", thing)]


def _rows(home: Path, sql: str) -> list[Any]:
    conn = connect(home / "os1.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def _talk_again(home: Path, model: ScriptedOpenAIServer) -> None:
    """The next start: one more turn, whose learning takes up what was left waiting."""
    wanted = {"home": home, "llm_backend": "openai", "llm_url": model.base_url}
    settings = load_settings(wanted | {"embedders": "none", "tool_choice": False}, environ={})
    companion = await Companion.start(settings)
    try:
        events = [e async for e in companion.turn("ada", "That is all for today.")]
        assert isinstance(events[-1], TurnFinished), events
        await companion.wait_background()
    finally:
        await companion.aclose()


@pytest.mark.parametrize(
    ("moment", "die_on", "die_at", "written"),
    [
        ("while the model reads the lines", "", 0, False),
        # at the second fact's link to its line: the first fact is written and linked
        ("halfway through writing the facts", "INTO fact_sources", 2, False),
        ("with the facts written, before the lines are marked learned", "SET learned", 1, True),
    ],
)
def test_learning_killed_loses_nothing_and_leaves_nothing_half_written(
    tmp_path: Path, moment: str, die_on: str, die_at: int, written: bool
) -> None:
    home = tmp_path / "home"
    with ScriptedOpenAIServer(Answers(hold=not die_on)) as model:
        acknowledged = _run_until_killed(home, model, die_on, die_at)
        # the last turn is acknowledged before its learning starts, as a rule; a process
        # killed by its own learning may not get that far, and then it is not counted
        assert acknowledged >= len(LINES) - 1, moment

        turns = _rows(home, "SELECT role, content, status FROM messages ORDER BY id")
        for line in LINES[:acknowledged]:
            at = turns.index(("user", line, "complete"))
            assert turns[at + 1] == ("assistant", REPLY, "complete")
        learned = _learned(home)
        assert "" not in learned, f"facts without their source {moment}"
        assert set(learned) <= set(LINES)
        for line in LINES:
            assert learned.get(line, []) in ([], _expected(line)), f"half a learning {moment}"
        assert learned.get(LINES[0]) == _expected(LINES[0])  # learned before the kill
        assert learned.get(LINES[-1], []) == (_expected(LINES[-1]) if written else [])
        waiting = _rows(home, "SELECT text FROM episodes WHERE learned = 0")
        assert waiting == [(LINES[-1],)], f"the last line is not waiting to be learned {moment}"

        asyncio.run(_talk_again(home, model))
    learned = _learned(home)
    assert learned == {line: _expected(line) for line in LINES}  # each fact once, sourced
