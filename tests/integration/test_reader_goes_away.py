"""A piped ``os1 chat`` whose reader goes away ends (issue 22): the real CLI with the real
model, its stdout read by this test, which stops reading at four moments. Each time the
process is gone within 5 s, leaves no socket folder and no traceback, and the home
still works for the next chat."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from os1.config import Settings
from os1.models.local_gguf import SOCKET_PREFIX

pytestmark = pytest.mark.real_model

GONE_WITHIN_S = 5.0


def _env(real_settings: Settings, home: Path, tmpdir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "OS1_HOME": str(home),
        "OS1_CACHE_DIR": str(real_settings.cache_dir),
        "TMPDIR": str(tmpdir),  # its own, so no other os1 on this machine counts
        "OS1_EMBEDDERS": "none",
        **extra,
    }
    if "OS1_LLM_BACKEND" not in extra:
        env.pop("OS1_LLM_BACKEND", None)
    return env


def _leave_when(chat: subprocess.Popen[bytes], moment: str) -> None:
    """Read the JSON events until ``moment``, then close the reading end."""
    assert chat.stdout is not None
    if moment != "at once":
        wanted = {"first line": "turn_started", "mid reply": "text_delta",
                  "after the reply": "turn_finished"}[moment]  # fmt: skip
        deadline = time.monotonic() + 240
        while wanted not in chat.stdout.readline().decode():
            assert chat.poll() is None and time.monotonic() < deadline, f"no {wanted} seen"
    chat.stdout.close()


def _messages(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "os1.db") as db:
        return [(r[0], r[1]) for r in db.execute("SELECT role, status FROM messages ORDER BY id")]


def _talk_then_leave(chat: subprocess.Popen[bytes], moment: str) -> str:
    """Say one line, leave at ``moment``, check the process is gone in time; its stderr."""
    assert chat.stdin is not None and chat.stderr is not None
    chat.stdin.write(b"Tell me a long story about a lighthouse keeper and the sea.\n")
    chat.stdin.flush()  # stdin stays open: a script that stopped reading, not one that ended
    _leave_when(chat, moment)
    left = time.monotonic()
    if moment == "at once":  # nobody reads: nothing can be noticed before the model is up
        chat.wait(timeout=240)
    else:
        chat.wait(timeout=GONE_WITHIN_S + 10)
        assert time.monotonic() - left < GONE_WITHIN_S, "it outlived its reader"
    return chat.stderr.read().decode()


@pytest.mark.parametrize("moment", ["first line", "mid reply", "after the reply", "at once"])
def test_a_chat_whose_reader_goes_away_ends_and_keeps_what_was_said(
    real_settings: Settings, tmp_path: Path, moment: str
) -> None:
    home, tmpdir = tmp_path / "home", tmp_path / "tmp"
    tmpdir.mkdir()
    with subprocess.Popen(
        [sys.executable, "-m", "os1.cli", "chat", "--json", "--no-onboarding"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(real_settings, home, tmpdir),
    ) as chat:
        try:
            err = _talk_then_leave(chat, moment)
        finally:  # a failed check must not leave a model running
            if chat.poll() is None:
                chat.kill()
    assert chat.returncode != 0
    assert "Traceback" not in err and "output was closed" in err, err
    assert list(tmpdir.glob(f"{SOCKET_PREFIX}*")) == [], "the socket folder was left behind"

    said = _messages(home)
    if moment != "at once":  # at once, it may end before taking the line in
        assert said[0] == ("user", "complete")
    if moment == "mid reply":
        assert said[1] == ("assistant", "interrupted")
    if moment == "after the reply":
        assert said[1] == ("assistant", "complete")

    again = subprocess.run(
        [sys.executable, "-m", "os1.cli", "chat", "--no-onboarding"],
        input=b"hello again\n",
        capture_output=True,
        env=_env(real_settings, home, tmpdir, OS1_LLM_BACKEND="scripted"),
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr.decode()
    assert b"hello again" in again.stdout
