"""Secrets stay secret: the database keeps only digests and salted hashes, and no log line
or console output of a running server carries a password, API key or session token.

The database check reads the raw SQLite files (main file, WAL and shared memory) byte by
byte, so a plaintext copy anywhere (a stray column, a log table, a not yet checkpointed
page) is found. The log checks capture every record at DEBUG from the root logger and
uvicorn's own loggers while a real server handles real requests, then run ``os1 serve``
as a subprocess and read everything it printed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets.sync.client
from serving import LiveServer, free_port

from os1.store.accounts import check_password

PASSWORD = "tangerine-Orbit-4417"
SERVER_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "os1")
CLIENT_LOGGERS = ("httpx", "httpcore", "websockets.client", "hpack")


def _database_bytes(home: Path) -> bytes:
    files = [p for p in home.rglob("*") if p.is_file() and ".db" in p.name]
    assert any(p.name.endswith(".db") for p in files), files  # the database itself is read
    return b"".join(p.read_bytes() for p in files)


def _sign_in(url: str, **body: str) -> httpx.Response:
    return httpx.post(f"{url}/api/session", json=body, timeout=30)


def test_database_keeps_only_digests_and_scrypt_hashes(live_server: LiveServer) -> None:
    alice = live_server.person("alice", password=PASSWORD)
    signed_in = _sign_in(live_server.url, name="alice", password=PASSWORD)
    assert signed_in.status_code == 200
    token = signed_in.cookies["os1_session"]
    me = httpx.get(f"{live_server.url}/api/me", headers=alice.headers, timeout=30)
    assert me.json()["name"] == "alice"

    if live_server.settings.database_url:
        pytest.skip("reads the SQLite file's own bytes")
    raw = _database_bytes(live_server.settings.home)
    for secret in (alice.key, PASSWORD, token):
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw

    async def stored() -> tuple[list[str], str, list[str]]:
        db = live_server.services.companion.db
        keys = await db.execute("SELECT key_hash FROM api_keys")
        users = await db.execute("SELECT password_hash FROM users WHERE name = 'alice'")
        sessions = await db.execute("SELECT token_hash FROM sessions")
        return [r[0] for r in keys], users[0][0], [r[0] for r in sessions]

    key_hashes, password_hash, token_hashes = live_server.call(stored)
    assert hashlib.sha256(alice.key.encode()).hexdigest() in key_hashes
    assert hashlib.sha256(token.encode()).hexdigest() in token_hashes
    scheme, salt, derived = password_hash.split("$")
    assert scheme == "scrypt" and salt and derived
    assert check_password(PASSWORD, password_hash)
    assert not check_password(PASSWORD + "x", password_hash)


class Capture(logging.Handler):
    """Every record, fully formatted (arguments and tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return  # our own test client's logs, not the server's
        self.lines.append(f"{self.format(record)} {record.args!r} {record.__dict__!r}")


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    saved = []
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


def test_no_secret_reaches_any_log_record(live_server: LiveServer, captured: Capture) -> None:
    for name in SERVER_LOGGERS:  # after uvicorn configured its own levels at start
        logging.getLogger(name).setLevel(logging.DEBUG)
    url = live_server.url
    alice = live_server.person("alice", password=PASSWORD)
    wrong_key = "os1_" + "W" * 43
    signed_in = _sign_in(url, name="alice", password=PASSWORD)
    token = signed_in.cookies["os1_session"]
    assert _sign_in(url, name="alice", password=PASSWORD + "-wrong").status_code == 401
    assert _sign_in(url, key=wrong_key).status_code == 401
    assert _sign_in(url, key=alice.key).status_code == 200
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/api/me", headers=alice.headers).status_code == 200
    with httpx.Client(base_url=url, timeout=30, cookies={"os1_session": token}) as browser:
        assert browser.get("/api/me").status_code == 200
    with httpx.Client(base_url=url, timeout=30) as http:
        assert (
            http.get("/api/me", headers={"Authorization": f"Bearer {wrong_key}"}).status_code == 401
        )
        invalid = http.post("/api/session", json={"name": "alice", "password": PASSWORD, "oops": 1})
        assert invalid.status_code == 422
        assert (
            http.post("/api/session", content=b'{"key": "' + alice.key.encode()).status_code == 422
        )
        assert http.get("/api/nowhere", headers=alice.headers).status_code == 404
    with websockets.sync.client.connect(
        url.replace("http", "ws") + "/ws", additional_headers=alice.headers
    ) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "hello"
        ws.send(json.dumps({"type": "say", "text": "hello"}))
        while json.loads(ws.recv(timeout=30))["type"] not in ("turn_finished", "error"):
            pass
    time.sleep(0.2)  # let the access log of the last request land
    assert captured.lines, "nothing was logged at DEBUG: the capture is not working"
    for secret in (alice.key, PASSWORD, token, wrong_key):
        leaked = [line for line in captured.lines if secret in line]
        assert not leaked, leaked[:3]


class Process:
    """``os1 serve`` in a subprocess, its output read line by line as it comes."""

    def __init__(self, home: Path, port: int) -> None:
        env = {
            **os.environ,
            "OS1_LLM_BACKEND": "scripted",
            "OS1_EMBEDDERS": "none",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("OS1_HOME", None)
        os1 = Path(sys.executable).with_name("os1")
        self.proc = subprocess.Popen(
            [str(os1), "serve", "--home", str(home), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True).start()

    def _read(self, stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, seconds: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.proc.poll() is None, "".join(self.out + self.err)
                continue
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no {pattern!r} within {seconds} s: {''.join(self.out + self.err)}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


@pytest.mark.slow
def test_os1_serve_prints_only_its_one_time_link(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "home"
    server = Process(home, port)
    try:
        link = server.wait_for(rf"(http://127\.0\.0\.1:{port}/#signin=(\S+))")
        code = link.group(2)
        url = f"http://127.0.0.1:{port}"
        first = _sign_in(url, code=code)
        assert first.status_code == 200 and first.json()["is_admin"]
        owner_token = first.cookies["os1_session"]
        assert _sign_in(url, code=code).status_code == 401  # once only
        with httpx.Client(
            base_url=url,
            timeout=30,
            cookies={"os1_session": owner_token},
            headers={"Origin": url},  # as the web UI's own requests do
        ) as owner:
            made = owner.post("/api/admin/users", json={"name": "bob", "password": PASSWORD})
            assert made.status_code == 201
        with httpx.Client(base_url=url, timeout=30) as http:
            key = made.json()["key"]
            bob = _sign_in(url, name="bob", password=PASSWORD)
            bob_token = bob.cookies["os1_session"]
            assert _sign_in(url, name="bob", password="not-" + PASSWORD).status_code == 401
            auth = {"Authorization": f"Bearer {key}"}
            assert http.get("/api/me", headers=auth).json()["name"] == "bob"
            assert http.post("/api/session", content=b"{", headers=auth).status_code == 422
            assert http.get("/api/history", headers=auth).status_code == 200
        raw = _database_bytes(home)
        for secret in (key, PASSWORD, owner_token, bob_token, code):
            assert secret.encode() not in raw
    finally:
        code_rc = server.stop()
    assert code_rc == 0, "".join(server.out + server.err)
    out, err = "".join(server.out), "".join(server.err)
    for secret in (key, PASSWORD, owner_token, bob_token):
        assert secret not in out and secret not in err
    assert out.count(code) == 1 and code not in err  # the link, on stdout, once
    assert f"{url}/#signin={code}" in out
    for secret in (key, PASSWORD, owner_token, bob_token, code):
        assert secret.encode() not in _database_bytes(home)
