"""``os1 chat`` as a script drives it: the real CLI in a subprocess, piped stdin."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from os1.testing_openai import ScriptedOpenAIServer


def run_chat(
    home: Path, stdin: bytes, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environ = {
        **os.environ,
        "OS1_HOME": str(home),
        "OS1_LLM_BACKEND": "scripted",
        "OS1_EMBEDDERS": "none",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "os1.cli", "chat", *args],
        input=stdin,
        capture_output=True,
        env=environ,
        timeout=120,
        check=False,
    )


def _naming_aware(body: dict[str, Any]) -> str:
    if "response_format" in body:
        return json.dumps({"name": "Juniper", "reason": "I like how it sounds."})
    return "Well, hello there my friend, it is lovely to hear from you today."


def test_each_piped_line_is_a_turn_and_each_reply_a_line(home: Path) -> None:
    done = run_chat(home, b"first question\n\nsecond question\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines == [
        "(scripted reply to: first question)",
        "(scripted reply to: second question)",
    ]


def test_json_mode_prints_one_event_per_line(home: Path) -> None:
    done = run_chat(home, b"hello\n", "--json", "--user", "alice")
    events = [json.loads(line) for line in done.stdout.decode().splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "turn_started" and kinds[-1] == "turn_finished"
    assert "text_delta" in kinds
    assert events[-1]["text"] == "(scripted reply to: hello)"


def test_invalid_utf8_is_reported_and_the_rest_still_answered(home: Path) -> None:
    done = run_chat(home, b"caf\xe9 au lait\nnext line\n")
    assert "not valid UTF-8" in done.stderr.decode()
    out = done.stdout.decode().splitlines()
    assert out[0] == "(scripted reply to: caf\ufffd au lait)"
    assert out[1] == "(scripted reply to: next line)"


def test_slash_commands_work_from_a_script(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    done = run_chat(home, f"remember the milk\n/export {target}\n/name\n/nonsense\n".encode())
    data = json.loads(target.read_text())
    texts = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert texts == ["remember the milk", "(scripted reply to: remember the milk)"]
    assert "Saved 2 messages" in done.stdout.decode()
    assert "I'm Scripted." in done.stdout.decode()
    assert "Unknown command /nonsense" in done.stderr.decode()


def test_an_unreachable_model_server_gets_a_clear_error(home: Path) -> None:
    env = {"OS1_LLM_BACKEND": "openai", "OS1_LLM_URL": "http://127.0.0.1:9/v1"}
    done = run_chat(home, b"hello?\n", env=env)
    err = done.stderr.decode()
    assert done.returncode == 1
    assert "Cannot reach the model server at http://127.0.0.1:9/v1" in err
    assert "OS1_LLM_URL" in err
    assert "Traceback" not in err


def test_a_missing_or_corrupt_model_file_says_how_to_fix_it(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.gguf"
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"\x00" * 4096)
    for path, word in ((missing, "missing"), (garbage, "corrupt")):
        env = {"OS1_LLM_BACKEND": "local", "OS1_LLM_MODEL_PATH": str(path)}
        done = run_chat(home, b"hello\n", env=env)
        err = done.stderr.decode()
        assert done.returncode == 1
        assert str(path) in err and "Traceback" not in err
        assert word in err.lower() or "not found" in err.lower() or "does not exist" in err.lower()


def test_ctrl_c_keeps_the_partial_reply_marked_interrupted(home: Path) -> None:
    with ScriptedOpenAIServer(_naming_aware, tokens_per_second=10) as server:
        environ = {
            **os.environ,
            "OS1_HOME": str(home),
            "OS1_LLM_BACKEND": "openai",
            "OS1_LLM_URL": server.base_url,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "os1.cli", "chat", "--json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
        )
        assert proc.stdin and proc.stdout
        proc.stdin.write(b"tell me something long\n")
        proc.stdin.flush()
        deltas = 0
        finished: dict[str, Any] = {}
        for line in proc.stdout:
            event = json.loads(line)
            if event["type"] == "text_delta":
                deltas += 1
                if deltas == 3:
                    proc.send_signal(signal.SIGINT)
            if event["type"] == "turn_finished":
                finished = event
                break
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
        assert proc.stderr
        proc.stderr.close()
    assert finished["interrupted"] is True
    assert finished["text"].startswith("Well, hello")
    assert "today" not in finished["text"]
    conn = sqlite3.connect(home / "os1.db")
    rows = conn.execute("SELECT role, content, status FROM messages ORDER BY id").fetchall()
    conn.close()
    assert rows[-1] == ("assistant", finished["text"], "interrupted")
    assert proc.returncode == 0


def test_a_megabyte_paste_is_answered_and_the_person_told_it_was_cut(home: Path) -> None:
    paste = ("all work and no play makes a dull day " * 30_000).encode()
    assert len(paste) > 1_000_000
    done = run_chat(home, paste + b"\n")
    assert done.returncode == 0, done.stderr
    assert "I read its beginning and its end" in done.stderr.decode()
    assert done.stdout.decode().startswith("(scripted reply to: all work")
    conn = sqlite3.connect(home / "os1.db")
    stored = conn.execute("SELECT content FROM messages WHERE role = 'user'").fetchone()[0]
    conn.close()
    assert stored == paste.decode().strip()


def test_a_read_only_data_folder_is_a_clear_error(readonly_dir: Path) -> None:
    done = run_chat(readonly_dir / "home", b"hello\n")
    err = done.stderr.decode()
    assert done.returncode == 1
    assert "OS1_HOME" in err and "Traceback" not in err


def test_a_full_disk_is_a_clear_error_and_keeps_earlier_messages(small_disk: Path) -> None:
    home = small_disk / "home"
    assert run_chat(home, b"remember this\n").returncode == 0
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # the disk is full now
    finally:
        os.close(fd)
    done = run_chat(home, b"and this too\n")
    err = done.stderr.decode()
    assert done.returncode == 1
    assert "full" in err and "Traceback" not in err
    filler.unlink()
    conn = sqlite3.connect(home / "os1.db")
    texts = [r[0] for r in conn.execute("SELECT content FROM messages ORDER BY id")]
    conn.close()
    assert texts[:2] == ["remember this", "(scripted reply to: remember this)"]
