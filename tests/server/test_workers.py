"""``os1 serve --workers N`` as real processes: several workers need Redis, a lone server
whose Redis is away keeps its own state with a warning, and a fleet of two on one port
keeps serving through a kill -9 of a worker, starts it again, and stops cleanly. Separate
servers behind a load balancer share a person the same way."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from balancer import Balancer
from serving import free_port
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from os1.models.scripted import example_for
from os1.testing_openai import ScriptedOpenAIServer

pytestmark = pytest.mark.slow
OS1 = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "os1"


STORY = " ".join(f"w{i}" for i in range(120))


def _answer(body: dict[str, Any]) -> str:
    if fmt := body.get("response_format"):
        return json.dumps(example_for(fmt["json_schema"]["schema"]))
    said = body["messages"][-1]["content"]
    return STORY if "story" in str(said) else "Hello from one of the workers."


def _env(home: Path, **more: str) -> dict[str, str]:
    values = {"OS1_HOME": str(home), "OS1_EMBEDDERS": "none", "OS1_SHUTDOWN_GRACE": "2"}
    kept = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    return {**kept, **values, **more}


@contextlib.contextmanager
def _serving(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as err:
        proc = subprocess.Popen(
            [str(OS1), "serve", *args], env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)


def _until(what: str, check: Any, seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.1)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child that ended but was not yet reaped is a zombie: gone for our purpose
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False


def test_several_workers_without_redis_are_refused_with_what_to_do(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(OS1), "serve", "--workers", "2", "--port", str(free_port())],
        env=_env(tmp_path, OS1_LLM_BACKEND="scripted"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 1
    assert "redis_url is not set" in said and "OS1_REDIS_URL=" in said
    zero = subprocess.run(
        [str(OS1), "serve", "--workers", "0"], capture_output=True, text=True, timeout=60
    )
    assert zero.returncode == 2 and "--workers" in zero.stderr


def test_several_workers_refuse_a_redis_that_is_away(tmp_path: Path) -> None:
    away = f"redis://127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        [str(OS1), "serve", "--workers", "2", "--port", str(free_port())],
        env=_env(tmp_path, OS1_LLM_BACKEND="scripted", OS1_REDIS_URL=away),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "Cannot reach Redis" in " ".join(done.stderr.split())


def test_a_lone_server_whose_redis_is_away_warns_and_serves(tmp_path: Path) -> None:
    port = free_port()
    away = f"redis://127.0.0.1:{free_port()}/0"
    env = _env(tmp_path / "home", OS1_LLM_BACKEND="scripted", OS1_REDIS_URL=away)
    log = tmp_path / "serve.log"
    with _serving(["--port", str(port)], env, log) as proc:
        assert proc.stdout is not None
        assert "#signin=" in proc.stdout.readline()  # it came up
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    said = " ".join(log.read_text().split())
    assert "Cannot reach Redis" in said and "in its own process instead" in said


def test_two_workers_share_a_port_and_a_killed_one_is_started_again(
    tmp_path: Path, redis_url: str
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with ScriptedOpenAIServer(_answer) as model:
        env = _env(
            tmp_path / "home",
            OS1_LLM_BACKEND="openai",
            OS1_LLM_URL=model.base_url,
            OS1_REDIS_URL=redis_url,
        )
        with _serving(["--workers", "2", "--port", str(port)], env, log) as proc:
            assert proc.stdout is not None
            code = proc.stdout.readline().strip().split("#signin=", 1)[1]
            pids = [
                int(p) for p in re.findall(r"worker \d of 2 started \(pid (\d+)\)", log.read_text())
            ]
            assert len(pids) == 2
            shared = redis.Redis.from_url(redis_url)
            _until(
                "both workers to report to Redis",
                lambda: {int(k.split(b":")[1]) for k in shared.hkeys("os1:presence")} >= set(pids),
            )
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, headers={"origin": base}, timeout=30) as web:
                assert web.post("/api/session", json={"code": code}).status_code == 200
                reply = web.post(
                    "/v1/chat/completions",
                    json={"model": "os1", "messages": [{"role": "user", "content": "hi"}]},
                )
                assert reply.status_code == 200, reply.text
                assert (
                    "Hello from one of the workers."
                    in reply.json()["choices"][0]["message"]["content"]
                )

                os.kill(pids[0], signal.SIGKILL)
                _until("the killed worker to be gone", lambda: not _alive(pids[0]))
                # A connection the dead worker held is reset, as it would be for a browser
                # (which retries it); what matters is that every new one is answered.
                with httpx.Client(
                    base_url=base,
                    headers={"origin": base},
                    cookies=web.cookies,
                    timeout=30,
                    limits=httpx.Limits(max_keepalive_connections=0),
                ) as fresh:
                    statuses = [fresh.get("/api/me").status_code for _ in range(20)]
                assert statuses == [200] * 20  # the other worker answers meanwhile
                again = _until(
                    "the killed worker to be started again",
                    lambda: re.findall(r"worker 1 started again \(pid (\d+)\)", log.read_text()),
                )
                assert "was killed by SIGKILL" in " ".join(log.read_text().split())
                restarted = int(again[0])
                _until(
                    "the new worker to report to Redis",
                    lambda: (
                        restarted in {int(k.split(b":")[1]) for k in shared.hkeys("os1:presence")}
                    ),
                )
                assert web.get("/api/me").status_code == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            assert not _alive(pids[1]) and not _alive(restarted)
            shared.close()


def _holder(pids: list[int], port: int, client: ClientConnection) -> int:
    """Which of the workers ``pids`` holds ``client``'s connection to ``port`` (from
    /proc: the connection's socket inode, then the process with it among its files)."""
    mine = client.socket.getsockname()[1]
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cells = line.split()
            local, remote = (int(c.rsplit(":", 1)[1], 16) for c in cells[1:3])
            if (local, remote) == (port, mine):
                inode = f"socket:[{cells[9]}]"
    assert inode is not None, "the connection was not found in /proc/net"
    for pid in pids:
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == inode for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
    raise AssertionError("no worker holds the connection")


def _messages(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "os1.db") as db:
        rows = db.execute("SELECT role, content FROM messages ORDER BY id").fetchall()
    return [(role, content) for role, content in rows]


def test_a_worker_killed_mid_turn_loses_nothing_said_and_the_page_goes_on_with_another(
    tmp_path: Path, redis_url: str
) -> None:
    """kill -9 of the worker writing a reply: the person's words stay, once; the reply
    stays as far as it was written while it streamed (every 2 s), marked interrupted;
    the socket reconnects to a worker still alive (the other, or the killed one started
    again) and the conversation goes on; nothing is said twice."""
    port = free_port()
    home = tmp_path / "home"
    with ScriptedOpenAIServer(_answer, tokens_per_second=20) as model:  # ~3 s of story
        env = _env(
            home, OS1_LLM_BACKEND="openai", OS1_LLM_URL=model.base_url, OS1_REDIS_URL=redis_url
        )
        with _serving(["--workers", "2", "--port", str(port)], env, tmp_path / "log") as proc:
            assert proc.stdout is not None
            code = proc.stdout.readline().strip().split("#signin=", 1)[1]
            pids = [
                int(p) for p in re.findall(r"started \(pid (\d+)\)", (tmp_path / "log").read_text())
            ]
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=30) as web:
                assert web.post("/api/session", json={"code": code}).status_code == 200
                cookie = {"Cookie": f"os1_session={web.cookies['os1_session']}"}
            with connect(f"ws://127.0.0.1:{port}/ws", additional_headers=cookie) as ws:
                assert json.loads(ws.recv(timeout=30))["type"] == "hello"
                ws.send(json.dumps({"type": "say", "text": "tell me a story", "id": "s1"}))
                seen, began = "", 0.0
                while not began or time.monotonic() - began < 3.5:  # past one partial write
                    if (event := json.loads(ws.recv(timeout=30)))["type"] == "text_delta":
                        seen, began = seen + event["text"], began or time.monotonic()
                    assert event["type"] != "turn_finished", "the story ended before the kill"
                os.kill(_holder(pids, port, ws), signal.SIGKILL)
                with pytest.raises(ConnectionClosed):
                    while True:
                        ws.recv(timeout=30)
            with connect(f"ws://127.0.0.1:{port}/ws", additional_headers=cookie) as again:
                assert json.loads(again.recv(timeout=30))["type"] == "hello"
                again.send(json.dumps({"type": "say", "text": "are you there?", "id": "s2"}))
                while (event := json.loads(again.recv(timeout=30)))["type"] != "turn_finished":
                    assert event["type"] != "error", event
            assert event["text"].startswith("Hello from one of the workers.")
            with httpx.Client(base_url=base, headers=cookie, timeout=30) as web:
                history = web.get("/api/history").json()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
    said = [text for role, text in _messages(home) if role == "user"]
    assert said.count("tell me a story") == 1 and said.count("are you there?") == 1
    assert [(h["role"], h["status"]) for h in history] == [
        ("user", "complete"),
        ("assistant", "interrupted"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    story = history[1]["text"]
    assert "w10 " in story and seen.startswith(story) and story != STORY


def _next_of(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while (event := json.loads(ws.recv(timeout=30)))["type"] != kind:
        pass
    return event


def test_separate_servers_behind_a_load_balancer_serve_anyone_and_outlive_one(
    tmp_path: Path, redis_url: str
) -> None:
    """Two ``os1 serve`` processes on their own ports, one home and one Redis, behind a
    round-robin balancer (as behind nginx): a person signed in through one is known to
    both; their two tabs on different servers each see a turn finished in the other; a
    server killed -9 is skipped by the balancer and nobody is signed out."""
    home = tmp_path / "home"
    ports = [free_port(), free_port()]
    with ScriptedOpenAIServer(_answer) as model:
        env = _env(
            home, OS1_LLM_BACKEND="openai", OS1_LLM_URL=model.base_url, OS1_REDIS_URL=redis_url
        )
        with contextlib.ExitStack() as servers:
            procs, codes = [], []
            for n, port in enumerate(ports):  # one after the other: the first sets up the home
                proc = servers.enter_context(
                    _serving(["--port", str(port)], env, tmp_path / f"serve{n}.log")
                )
                assert proc.stdout is not None
                codes.append(proc.stdout.readline().strip().split("#signin=", 1)[1])
                procs.append(proc)
            with Balancer(ports).running() as balancer:
                base = f"http://127.0.0.1:{balancer.port}"
                code = codes[0]  # the first server's link, used on whichever answers
                with httpx.Client(base_url=base, headers={"origin": base}, timeout=30) as web:
                    assert web.post("/api/session", json={"code": code}).status_code == 200
                    cookie = {"Cookie": f"os1_session={web.cookies['os1_session']}"}
                for _ in range(4):  # a new connection each time: each server in turn
                    assert httpx.get(f"{base}/api/me", headers=cookie).status_code == 200
                assert set(balancer.picked[-4:]) == set(ports)

                with (
                    connect(f"ws://127.0.0.1:{balancer.port}/ws", additional_headers=cookie) as a,
                    connect(f"ws://127.0.0.1:{balancer.port}/ws", additional_headers=cookie) as b,
                ):
                    assert set(balancer.picked[-2:]) == set(ports)  # two tabs, two servers
                    for ws in (a, b):
                        assert json.loads(ws.recv(timeout=30))["type"] == "hello"
                    a.send(json.dumps({"type": "say", "text": "hello from tab a", "id": "a1"}))
                    assert _next_of(a, "turn_finished")["text"].startswith("Hello from one")
                    assert _next_of(b, "elsewhere")["said"] == "hello from tab a"
                    b.send(json.dumps({"type": "say", "text": "and from tab b", "id": "b1"}))
                    assert _next_of(a, "elsewhere")["said"] == "and from tab b"

                procs[0].kill()
                procs[0].wait(timeout=30)
                statuses = [
                    httpx.get(f"{base}/api/me", headers=cookie).status_code for _ in range(6)
                ]
                assert statuses == [200] * 6 and balancer.picked[-6:] == [ports[1]] * 6
            procs[1].send_signal(signal.SIGTERM)
            assert procs[1].wait(timeout=30) == 0
