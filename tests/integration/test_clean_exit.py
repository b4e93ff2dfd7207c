"""Every exit leaves nothing behind: a one-shot ``os1 chat`` stopped with SIGTERM while
the real model answers removes its socket folder, and a folder left by a process that
was killed outright (SIGKILL runs no code) is swept by the next model to start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from os1.config import Settings
from os1.models.local_gguf import SOCKET_PREFIX, sweep_stale


def _chat(real_settings: Settings, tmp_path: Path, tmpdir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OS1_HOME": str(tmp_path / "home"),
        "OS1_CACHE_DIR": str(real_settings.cache_dir),
        "TMPDIR": str(tmpdir),  # its own, so no other os1 on this machine counts
    }
    env.pop("OS1_LLM_BACKEND", None)
    return subprocess.Popen(
        [sys.executable, "-m", "os1.cli", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _socket_folders(tmpdir: Path) -> list[Path]:
    return list(tmpdir.glob(f"{SOCKET_PREFIX}*"))


def _wait_for_model(chat: subprocess.Popen[bytes], tmpdir: Path) -> None:
    deadline = time.monotonic() + 180
    while not _socket_folders(tmpdir):
        assert chat.poll() is None, chat.stderr.read().decode() if chat.stderr else ""
        assert time.monotonic() < deadline, "the model never started"
        time.sleep(0.1)


@pytest.mark.real_model
def test_sigterm_mid_answer_leaves_nothing_in_tmp(real_settings: Settings, tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    chat = _chat(real_settings, tmp_path, tmpdir)
    assert chat.stdin is not None
    chat.stdin.write(b"Tell me a long story about a lighthouse keeper and the sea.\n")
    chat.stdin.flush()
    _wait_for_model(chat, tmpdir)
    time.sleep(1.0)  # into the answer
    chat.send_signal(signal.SIGTERM)
    chat.communicate(timeout=60)
    assert chat.returncode != 0, "SIGTERM should end the chat"
    assert _socket_folders(tmpdir) == [], "the model's socket folder was left behind"


@pytest.mark.real_model
def test_a_killed_chats_folder_is_swept_by_the_next_start(
    real_settings: Settings, tmp_path: Path
) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    chat = _chat(real_settings, tmp_path, tmpdir)
    _wait_for_model(chat, tmpdir)
    chat.kill()  # SIGKILL: no exit handler can run
    chat.communicate(timeout=60)
    left = _socket_folders(tmpdir)
    assert left, "SIGKILL runs no clean-up, so its folder is still there"
    again = _chat(real_settings, tmp_path, tmpdir)
    _, err = again.communicate(b"Say hello in two words.\n", timeout=240)
    assert again.returncode == 0, err.decode()
    assert _socket_folders(tmpdir) == [], "the next start swept the dead one; its own is gone"


def test_the_sweep_spares_running_processes(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = tmp_path / f"{SOCKET_PREFIX}{dead.stdout.strip()}-abc"
    mine = tmp_path / f"{SOCKET_PREFIX}{os.getpid()}-def"
    other = tmp_path / "os1-llm-notapid"  # not ours to judge: left alone
    for folder in (gone, mine, other):
        folder.mkdir()
        (folder / "llm.sock").write_bytes(b"")
    assert sweep_stale(tmp_path) == [gone]
    assert sorted(_socket_folders(tmp_path)) == sorted([mine, other])


LEAVING = """
import sys
from pathlib import Path
from os1.errors import ModelError
from os1.models import local_gguf
made = local_gguf._new_socket_folder()  # a load under way has made its folder
local_gguf.remove_own_socket_folders()  # the process leaves at once (os._exit follows)
try:
    local_gguf._new_socket_folder()  # the load's thread, a moment later
except ModelError:
    print("refused", made.exists())
"""


def test_a_process_leaving_at_once_removes_its_folders_and_makes_no_more(tmp_path: Path) -> None:
    left = subprocess.run(
        [sys.executable, "-c", LEAVING],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        check=False,
    )
    assert left.stdout.strip() == "refused False", left.stderr
    assert _socket_folders(tmp_path) == []
