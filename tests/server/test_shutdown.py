"""``os1 serve`` as a real process: SIGTERM lets turns under way finish (or, past the grace
period, saves what was said), and the process exits cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import free_port
from websockets.sync.client import ClientConnection, connect

from os1.models.scripted import example_for
from os1.testing_openai import ScriptedOpenAIServer

pytestmark = pytest.mark.slow
OS1 = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "os1"


def _serve(home: Path, port: int, model_url: str, grace: float) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "OS1_HOME": str(home),
        "OS1_LLM_BACKEND": "openai",
        "OS1_LLM_URL": model_url,
        "OS1_EMBEDDERS": "none",
        "OS1_SHUTDOWN_GRACE": str(grace),
    }
    proc = subprocess.Popen(
        [str(OS1), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.TransportError:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("os1 serve did not start")


def _key(proc: subprocess.Popen[str], port: int) -> str:
    assert proc.stdout is not None
    link = proc.stdout.readline().strip()
    code = link.split("#signin=", 1)[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as web:
        assert web.post("/api/session", json={"code": code}).status_code == 200
        return web.cookies["os1_session"]


def _last_reply(home: Path) -> tuple[str, str]:
    with sqlite3.connect(home / "os1.db") as db:
        row = db.execute(
            "SELECT content, status FROM messages WHERE role = 'assistant' ORDER BY id DESC"
        ).fetchone()
    return row[0], row[1]


STORY = " ".join(f"w{i}" for i in range(60))


def _storyteller(body: dict[str, Any]) -> str:
    """Structured requests (choosing a name, learning facts) get a valid small answer;
    the person's turn gets the story."""
    if fmt := body.get("response_format"):
        return json.dumps(example_for(fmt["json_schema"]["schema"]))
    return STORY


@contextlib.contextmanager
def _talking(
    home: Path, model_url: str, grace: float
) -> Iterator[tuple[subprocess.Popen[str], ClientConnection]]:
    """``os1 serve`` on ``home``, signed in, its greeting read; stopped and drained after."""
    port = free_port()
    proc = _serve(home, port, model_url, grace)
    try:
        cookie = _key(proc, port)
        with connect(
            f"ws://127.0.0.1:{port}/ws", additional_headers={"Cookie": f"os1_session={cookie}"}
        ) as ws:
            json.loads(ws.recv())
            yield proc, ws
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)  # drain and close the pipes


def _say_until(ws: ClientConnection, text: str, wanted: str) -> None:
    """Say ``text`` and read the events up to the first of type ``wanted``."""
    ws.send(json.dumps({"type": "say", "text": text}))
    while (event := json.loads(ws.recv()))["type"] != wanted:
        assert event["type"] != "error", event


@pytest.mark.parametrize(("grace", "expected"), [(15.0, "complete"), (1.0, "interrupted")])
def test_sigterm_finishes_or_saves_the_turn_under_way(
    tmp_path: Path, grace: float, expected: str
) -> None:
    with ScriptedOpenAIServer(_storyteller, tokens_per_second=20) as model:  # ~3 s of story
        with _talking(tmp_path, model.base_url, grace) as (proc, ws):
            _say_until(ws, "tell me a story", "text_delta")
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert proc.wait(timeout=grace + 20) == 0
        stopped_after = time.monotonic() - started
    text, status = _last_reply(tmp_path)
    assert status == expected
    if expected == "complete":
        assert text == STORY
    else:
        assert 0 < len(text.split()) < 60 and stopped_after < grace + 8


def test_kill_9_mid_reply_keeps_what_was_said_and_the_next_start_carries_on(
    tmp_path: Path,
) -> None:
    """No goodbye at all: the server is killed while a reply streams. What the person said
    was committed before the reply began, in the conversation and as a memory still to be
    learned from (so another conversation recalls it too), so it is there after a restart,
    intact, and the next turn is answered knowing it."""
    said = "My locker number at the pool is 417."
    with ScriptedOpenAIServer(_storyteller, tokens_per_second=20) as model:
        for attempt in ("killed", "restarted"):
            with _talking(tmp_path, model.base_url, 15.0) as (proc, ws):
                if attempt == "killed":
                    _say_until(ws, said, "text_delta")
                    os.kill(proc.pid, signal.SIGKILL)
                    assert proc.wait(timeout=10) == -signal.SIGKILL
                else:
                    _say_until(ws, "Which locker was mine?", "turn_finished")
            if attempt == "killed":
                with sqlite3.connect(tmp_path / "os1.db") as db:
                    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                    kept = db.execute(
                        "SELECT status FROM messages WHERE role = 'user' AND content = ?", (said,)
                    ).fetchall()
                    remembered = db.execute(
                        "SELECT learned FROM episodes WHERE text = ?", (said,)
                    ).fetchall()
                assert kept == [("complete",)]
                assert remembered == [(0,)]  # a memory, waiting for the learner
        asked = [
            r
            for r in model.requests
            if "Which locker" in json.dumps(r.body) and not r.body.get("response_format")
        ]  # the turn's own request, not the learning that follows it
    assert asked and said in json.dumps(asked[-1].body)  # the restarted server remembered
