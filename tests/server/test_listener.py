"""Connection exhaustion without credentials, against the real server on loopback.

A thousand connections that send nothing, half a request head, a whole request and then
half of the next, or a head one byte at a time, are all closed by the server within
``header_timeout``; its open files come back to where they were; a WebSocket idle for
longer stays open, and ordinary requests still work. Both of uvicorn's HTTP parsers are
run, since the deadline is code of ours in each. The server shares this process, so
``/proc/self/fd`` counts the clients' sockets too: the server's share is what is left
once the clients' own are taken off.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets.sync.client
from serving import LiveServer, settings_for

from os1.server.listener import MAX_HEAD_BYTES, Parser

HEADER_TIMEOUT = 2.0
IDLE, HALF, AFTER_ONE, TRICKLE = 450, 450, 80, 20  # 1,000 connections in all
HALF_HEAD = b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"
SLACK = 12  # files the server may open meanwhile (a database read, a log)

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(params=["httptools", "h11"])
def quick_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    parser: Parser = request.param
    settings = settings_for(tmp_path, header_timeout=HEADER_TIMEOUT, keep_alive_timeout=30)
    server = LiveServer(settings, parser=parser).start()
    yield server
    server.stop()


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setblocking(False)
    return sock


def _one_request(port: int) -> socket.socket:
    """A connection kept alive after one whole request and its answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b"unauthorized" not in answer:
        answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401")
    sock.setblocking(False)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:  # reset
        return True


def _wait_until_closed(
    socks: list[socket.socket], trickling: list[socket.socket], seconds: float
) -> tuple[set[socket.socket], float]:
    """Waits for the server to close every socket (sending the trickling ones the next
    byte of a never-ending head every 0.2 s meanwhile); returns those it closed and when
    the first went (monotonic)."""
    selector = selectors.DefaultSelector()
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
    closed: set[socket.socket] = set()
    start = time.monotonic()
    first = 0.0
    sent = 0
    while len(closed) < len(socks) and time.monotonic() - start < seconds:
        if time.monotonic() >= start + sent * 0.2:
            byte = HALF_HEAD[sent : sent + 1] or b"w"
            sent += 1
            for sock in trickling:
                if sock not in closed:
                    with contextlib.suppress(OSError):  # closed: the read below sees it
                        sock.send(byte)
        for key, _ in selector.select(timeout=0.05):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if _closed_by_server(sock):
                first = first or time.monotonic()
                closed.add(sock)
                selector.unregister(sock)
    selector.close()
    return closed, first


def test_silent_and_half_sent_connections_are_closed_and_their_files_freed(
    quick_server: LiveServer,
) -> None:
    port = quick_server.settings.port
    alice = quick_server.person("alice")
    clients: list[socket.socket] = []
    with (
        websockets.sync.client.connect(
            f"ws://127.0.0.1:{port}/ws", additional_headers=alice.headers
        ) as chat,
        contextlib.ExitStack() as hold,
    ):
        assert json.loads(chat.recv(timeout=10))["type"] == "hello"
        before = open_files()

        def kept(sock: socket.socket) -> socket.socket:
            clients.append(hold.enter_context(sock))
            return sock

        began = time.monotonic()
        idle = [kept(_connect(port)) for _ in range(IDLE)]
        half = [kept(_connect(port)) for _ in range(HALF)]
        for sock in half:
            sock.send(HALF_HEAD)
        after_one = [kept(_one_request(port)) for _ in range(AFTER_ONE)]
        for sock in after_one:
            sock.send(HALF_HEAD)
        trickle = [kept(_connect(port)) for _ in range(TRICKLE)]
        time.sleep(0.5)  # the server has accepted them all by now
        opened = open_files() - before
        assert opened >= 2 * len(clients) - SLACK, "each connection is two files here"

        closed, first = _wait_until_closed(clients, trickle, HEADER_TIMEOUT + 8)
        still_open = {
            "idle": sum(s not in closed for s in idle),
            "half a head": sum(s not in closed for s in half),
            "half the second head": sum(s not in closed for s in after_one),
            "a byte at a time": sum(s not in closed for s in trickle),
        }
        assert not any(still_open.values()), f"open after {HEADER_TIMEOUT + 8} s: {still_open}"
        early = first - began
        assert early >= HEADER_TIMEOUT - 0.2, f"the first closed after {early:.2f} s, too soon"
        server_side = open_files() - before - len(clients)  # the clients' ends are still open
        assert server_side <= SLACK, f"the server still holds {server_side} files"
        hold.close()
        assert open_files() - before <= SLACK

        # the chat socket, idle all along, is still there, and so is the server
        chat.send(json.dumps({"type": "ping"}))
        assert json.loads(chat.recv(timeout=10)) == {"type": "pong"}
    me = httpx.get(f"http://127.0.0.1:{port}/api/me", headers=alice.headers, timeout=10)
    assert me.status_code == 200


def test_a_huge_request_head_is_refused(quick_server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.settings.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        line = b"X-Padding: " + b"a" * 1000 + b"\r\n"
        answer = b""
        try:
            for _ in range(2 * MAX_HEAD_BYTES // len(line)):
                sock.sendall(line)
        except OSError:
            pass  # the server closed it while we wrote, as it should
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except OSError:
            pass
    assert answer.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), answer[:80]


def test_past_max_connections_requests_get_503_until_some_close(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_connections=20, header_timeout=30)
    server = LiveServer(settings).start()
    try:
        url = f"http://127.0.0.1:{settings.port}/api/me"
        with contextlib.ExitStack() as hold:
            for _ in range(25):
                hold.enter_context(_connect(settings.port))
            time.sleep(0.3)
            assert httpx.get(url, timeout=10).status_code == 503
        time.sleep(0.3)
        assert httpx.get(url, timeout=10).status_code == 401  # answered by os1 again
    finally:
        server.stop()


def test_os1_serve_makes_room_for_its_connections() -> None:
    """``open_file_room`` in a process started at a low soft limit, as many systems do."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
    code = (
        "import resource; from os1.server.listener import open_file_room;"
        f" print(open_file_room({wanted}), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == [str(wanted), str(wanted)]
