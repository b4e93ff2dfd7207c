"""Sessions that end when the account does (issue 24, finding 4).

A socket, its voice session and an MCP session speak for the account that opened them
only while that account (the same id, name and creation) is enabled and the key or web
sign-in they were opened with still stands. A change made in the server's own process
(the admin routes, ``Accounts``) ends them at once; a change made by another process on
the same database (``os1 users``, here a second ``Database`` on the file, and once the
real CLI) ends a socket at its next message and an idle one at the next sweep.

Everything runs on the real app on real uvicorn sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from serving import ROOMY, LiveServer, Person, settings_for
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from os1.models.scripted import ScriptedLLM
from os1.store import Database
from os1.store.accounts import Accounts

T = TypeVar("T")
OS1 = str(Path(sys.executable).with_name("os1"))
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
MCP_VERSION = {"Mcp-Protocol-Version": "2025-06-18"}
ENDED = 4401  # 4000 + 401: the credentials no longer hold


def _serve(tmp_path: Path, **overrides: Any) -> LiveServer:
    return LiveServer(settings_for(tmp_path, **{**ROOMY, **overrides})).start()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = _serve(tmp_path)
    yield live
    live.stop()


def elsewhere(server: LiveServer, work: Callable[[Accounts], Awaitable[T]]) -> T:
    """Run ``work`` the way ``os1 users`` does: in its own connection to the database
    file, so the server's process hears nothing of it."""

    async def main() -> T:
        db = await Database.open(server.settings.db_path)
        try:
            return await work(Accounts(db))
        finally:
            await db.aclose()

    return asyncio.run(main())


_OPEN: ExitStack = ExitStack()  # every socket a test opened, closed after it


@pytest.fixture(autouse=True)
def _close_sockets() -> Iterator[None]:
    with _OPEN:
        yield


def _connect(server: LiveServer, headers: dict[str, str]) -> ClientConnection:
    url = f"ws://127.0.0.1:{server.settings.port}/ws"
    return _OPEN.enter_context(connect(url, additional_headers=headers, open_timeout=10))


def _socket(server: LiveServer, headers: dict[str, str]) -> ClientConnection:
    ws = _connect(server, headers)
    first = json.loads(ws.recv(timeout=10))
    assert first["type"] == "hello", first
    return ws


def _next(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    raw = ws.recv(timeout=timeout)
    return json.loads(raw) if isinstance(raw, str) else {"type": "binary"}


def _until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    seen = [_next(ws)]
    while seen[-1]["type"] != kind:
        seen.append(_next(ws))
    return seen


def _closed(ws: ClientConnection, within: float = 5.0) -> tuple[list[dict[str, Any]], int]:
    """What the server sent until it closed the socket, and its close code; fails if the
    socket is still open after ``within`` seconds."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + within
    try:
        while (left := deadline - time.monotonic()) > 0:
            seen.append(_next(ws, timeout=left))
    except TimeoutError:
        pass
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "the socket broke instead of being closed"
        return seen, exc.rcvd.code
    raise AssertionError(f"the socket is still open after {within} s; it sent {seen}")


def _still_open(ws: ClientConnection) -> None:
    ws.send(json.dumps({"type": "ping"}))
    assert _next(ws) == {"type": "pong"}


def _ended_error(seen: list[dict[str, Any]]) -> dict[str, Any]:
    errors = [m for m in seen if m["type"] == "error"]
    assert errors and errors[-1]["code"] == "account_ended", seen
    assert errors[-1]["message"] and errors[-1]["hint"]
    return errors[-1]


def _signed_in_cookie(server: LiveServer, name: str, password: str) -> str:
    answer = httpx.post(
        f"{server.url}/api/session", json={"name": name, "password": password}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.cookies["os1_session"]


def _model(server: LiveServer) -> ScriptedLLM:
    llm = server.services.companion.llm
    assert isinstance(llm, ScriptedLLM)
    return llm


def test_disabling_closes_the_open_socket_at_once(server: LiveServer) -> None:
    boss, bob = server.person("boss", admin=True), server.person("bob")
    ws = _socket(server, bob.headers)
    answer = httpx.post(f"{server.url}/api/admin/users/bob/disable", headers=boss.headers)
    assert answer.status_code == 200
    seen, code = _closed(ws, within=3)  # bob says nothing: the server closes it itself
    assert code == ENDED
    _ended_error(seen)


def test_disabling_elsewhere_closes_the_socket_at_its_next_message(server: LiveServer) -> None:
    bob, ann = server.person("bob"), server.person("ann")
    bobs, anns = _socket(server, bob.headers), _socket(server, ann.headers)
    _still_open(bobs)
    elsewhere(server, lambda accounts: accounts.set_disabled("bob", True))
    bobs.send(json.dumps({"type": "say", "text": "/find_file letter"}))
    seen, code = _closed(bobs)
    assert code == ENDED and not [m for m in seen if m["type"] != "error"], seen
    _ended_error(seen)
    _still_open(anns)  # nobody else is touched
    anns.close()


def test_a_turn_under_way_is_stopped_and_kept_as_interrupted(server: LiveServer) -> None:
    boss, bob = server.person("boss", admin=True), server.person("bob")
    model = _model(server)
    model.delay = 0.05
    model.enqueue(" ".join(f"word{i}" for i in range(200)))
    ws = _socket(server, bob.headers)
    ws.send(json.dumps({"type": "say", "text": "tell me a long story"}))
    _until(ws, "text_delta")
    httpx.post(f"{server.url}/api/admin/users/bob/disable", headers=boss.headers)
    seen, code = _closed(ws, within=3)
    assert code == ENDED
    _ended_error(seen)
    history = server.call(lambda: server.services.companion.history("bob"))
    assert history[-1].role == "assistant" and history[-1].status == "interrupted"
    assert 0 < len(history[-1].text.split()) < 200


def test_audio_frames_are_checked_too(server: LiveServer) -> None:
    bob = server.person("bob")
    ws = _socket(server, bob.headers)
    ws.send(b"\x00\x00" * 512)
    assert _next(ws)["code"] == "voice_not_started"  # checked and found standing
    elsewhere(server, lambda accounts: accounts.set_disabled("bob", True))
    started = time.monotonic()
    try:
        for _ in range(60):  # 32 ms frames for up to ~2 s; at most a second goes unchecked
            ws.send(b"\x00\x00" * 512)
            time.sleep(0.032)
    except ConnectionClosed:
        pass
    seen, code = _closed(ws)
    assert code == ENDED and time.monotonic() - started < 2.5
    _ended_error(seen)


def test_a_deleted_name_given_to_someone_new_reaches_nothing_of_theirs(
    server: LiveServer,
) -> None:
    boss, old_bob = server.person("boss", admin=True), server.person("bob")
    old = _socket(server, old_bob.headers)
    assert httpx.delete(f"{server.url}/api/admin/users/bob", headers=boss.headers).is_success
    seen, code = _closed(old, within=3)  # closed at once, before anyone new is "bob"
    assert code == ENDED
    made = httpx.post(f"{server.url}/api/admin/users", json={"name": "bob"}, headers=boss.headers)
    new_bob = {"Authorization": f"Bearer {made.json()['key']}"}
    assert made.json()["account"]["name"] == "bob"
    new = _socket(server, new_bob)
    new.send(json.dumps({"type": "say", "text": "my bank PIN is 4321"}))
    assert _until(new, "turn_finished")[-1]["type"] == "turn_finished"
    with pytest.raises(ConnectionClosed):
        old.send(json.dumps({"type": "say", "text": "/forget PIN"}))
        _next(old)
    assert "4321" not in json.dumps(seen)
    new.close()


def test_a_name_deleted_and_made_again_elsewhere_is_a_new_person(server: LiveServer) -> None:
    old_bob = server.person("bob")
    old = _socket(server, old_bob.headers)

    async def delete_and_make_again(accounts: Accounts) -> str:
        await accounts.delete("bob")
        return (await accounts.add("bob"))[1]

    key = elsewhere(server, delete_and_make_again)
    new = _socket(server, {"Authorization": f"Bearer {key}"})
    new.send(json.dumps({"type": "say", "text": "my bank PIN is 4321"}))
    said = _until(new, "turn_finished")
    assert not [m for m in said if m["type"] == "error"], said  # the new bob is served
    old.send(json.dumps({"type": "say", "text": "/forget PIN"}))
    seen, code = _closed(old)
    assert code == ENDED and "4321" not in json.dumps(seen)
    _ended_error(seen)
    new.send(json.dumps({"type": "say", "text": "/forget PIN"}))
    proposal = next(m for m in _until(new, "turn_finished") if m["type"] == "proposal")
    assert "4321" in proposal["preview"]  # it is the new bob's own, and only his
    new.close()


def test_revoking_keys_closes_the_sockets_opened_with_them(server: LiveServer) -> None:
    server.person("bob", password="bob's long password")
    cookie = _signed_in_cookie(server, "bob", "bob's long password")
    key = server.call(lambda: server.services.accounts.new_key("bob"))
    by_key = _socket(server, {"Authorization": f"Bearer {key}"})
    by_cookie = _socket(server, {"Cookie": f"os1_session={cookie}"})
    assert server.call(lambda: server.services.accounts.revoke_keys("bob")) == 2
    seen, code = _closed(by_key, within=3)
    assert code == ENDED
    _ended_error(seen)
    _still_open(by_cookie)  # the web sign-in was not revoked
    by_cookie.close()


def test_a_password_change_ends_web_sign_ins_and_their_sockets(server: LiveServer) -> None:
    bob = server.person("bob", password="bob's long password")
    first = _signed_in_cookie(server, "bob", "bob's long password")
    second = _signed_in_cookie(server, "bob", "bob's long password")
    by_cookie = _socket(server, {"Cookie": f"os1_session={first}"})
    by_key = _socket(server, bob.headers)
    server.call(lambda: server.services.accounts.set_password("bob", "a new long password"))
    seen, code = _closed(by_cookie, within=3)
    assert code == ENDED
    _ended_error(seen)
    assert httpx.get(f"{server.url}/api/me", cookies={"os1_session": first}).status_code == 401
    _still_open(by_key)  # a key is not a password
    by_key.close()
    stale = _connect(server, {"Cookie": f"os1_session={second}"})
    refused, code = _closed(stale)  # every web sign-in ended, not only the open one
    assert code == 4401 and refused[-1]["code"] == "unauthorized"


def test_a_password_change_elsewhere_ends_web_sign_ins(server: LiveServer) -> None:
    server.person("bob", password="bob's long password")
    cookie = _signed_in_cookie(server, "bob", "bob's long password")
    ws = _socket(server, {"Cookie": f"os1_session={cookie}"})
    elsewhere(server, lambda accounts: accounts.set_password("bob", "a new long password"))
    assert httpx.get(f"{server.url}/api/me", cookies={"os1_session": cookie}).status_code == 401
    ws.send(json.dumps({"type": "greet"}))
    seen, code = _closed(ws)
    assert code == ENDED
    _ended_error(seen)


def test_signing_out_closes_the_sockets_of_that_sign_in(server: LiveServer) -> None:
    server.person("bob", password="bob's long password")
    here = _signed_in_cookie(server, "bob", "bob's long password")
    there = _signed_in_cookie(server, "bob", "bob's long password")  # another device
    leaving = _socket(server, {"Cookie": f"os1_session={here}"})
    staying = _socket(server, {"Cookie": f"os1_session={there}"})
    answer = httpx.delete(
        f"{server.url}/api/session", cookies={"os1_session": here}, headers={"Origin": server.url}
    )
    assert answer.status_code == 204
    seen, code = _closed(leaving, within=3)
    assert code == ENDED
    _ended_error(seen)
    _still_open(staying)


MCP_INIT = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",  # a client of the session-keeping protocol
            "capabilities": {},
            "clientInfo": {"name": "probe", "version": "0"},
        },
    }
)


@asynccontextmanager
async def _mcp_listening(server: LiveServer, person: Person) -> AsyncIterator[httpx.Response]:
    """An MCP session of ``person``, with its stream of server messages open (GET)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        opened = await http.post("/mcp", content=MCP_INIT, headers={**ACCEPT, **person.headers})
        assert opened.status_code == 200
        session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], **MCP_VERSION}
        ready = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
        await http.post("/mcp", content=ready, headers={**ACCEPT, **person.headers, **session})
        listen = {"Accept": "text/event-stream", **person.headers, **session}
        async with http.stream("GET", "/mcp", headers=listen) as stream:
            assert stream.status_code == 200
            assert server.services.live.count(person.account.id) == 1
            yield stream


async def _ends(stream: httpx.Response, within: float) -> None:
    with anyio.fail_after(within):  # the server ends the stream: the session is over
        async for _ in stream.aiter_bytes():
            pass


@pytest.mark.parametrize("how", ["disable", "delete", "revoke"])
async def test_an_mcp_session_ends_with_its_account(server: LiveServer, how: str) -> None:
    boss, bob = server.person("boss", admin=True), server.person("bob")
    admin = httpx.AsyncClient(base_url=server.url, headers=boss.headers, timeout=30)
    async with admin, _mcp_listening(server, bob) as stream:
        if how == "disable":
            assert (await admin.post("/api/admin/users/bob/disable")).status_code == 200
        elif how == "delete":
            assert (await admin.delete("/api/admin/users/bob")).status_code == 204
        else:
            assert server.call(lambda: server.services.accounts.revoke_keys("bob")) == 1
        await _ends(stream, within=3)
    assert server.services.live.count(bob.account.id) == 0


async def test_an_mcp_session_ends_when_its_account_is_disabled_elsewhere(
    tmp_path: Path,
) -> None:
    live = _serve(tmp_path, session_sweep_seconds=0.2)
    try:
        bob = live.person("bob")
        async with _mcp_listening(live, bob) as stream:
            await asyncio.to_thread(
                elsewhere, live, lambda accounts: accounts.set_disabled("bob", True)
            )
            await _ends(stream, within=3)  # nobody asks anything; the sweep finds it
        assert live.services.live.count(bob.account.id) == 0
    finally:
        live.stop()


async def test_mcp_calls_stop_at_once_when_disabled_elsewhere(server: LiveServer) -> None:
    bob = server.person("bob")
    http = httpx2.AsyncClient(headers=bob.headers, timeout=10)
    transport = streamable_http_client(f"{server.url}/mcp", http_client=http)
    async with http, Client(transport) as client:
        assert not (await client.call_tool("profile", {})).is_error
        await asyncio.to_thread(
            elsewhere, server, lambda accounts: accounts.set_disabled("bob", True)
        )
        with pytest.raises(MCPError):  # not after the key check's cache runs out: now
            await client.call_tool("profile", {})


def test_an_idle_socket_is_closed_by_the_sweep(tmp_path: Path) -> None:
    live = _serve(tmp_path, session_sweep_seconds=0.3)
    try:
        bob, ann = live.person("bob"), live.person("ann")
        bobs, anns = _socket(live, bob.headers), _socket(live, ann.headers)
        env = {"OS1_HOME": str(live.settings.home), "PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [OS1, "users", "disable", "bob"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        seen, code = _closed(bobs, within=3)  # bob sends nothing; the sweep finds him
        assert code == ENDED
        _ended_error(seen)
        _still_open(anns)
        anns.close()
    finally:
        live.stop()


def test_sockets_per_person_are_capped(tmp_path: Path) -> None:
    live = _serve(tmp_path, max_sockets_per_person=2)
    try:
        bob, ann = live.person("bob"), live.person("ann")
        first, second = _socket(live, bob.headers), _socket(live, bob.headers)
        third = _connect(live, bob.headers)
        seen, code = _closed(third)
        assert code == 4429
        assert seen[-1]["code"] == "too_many_sockets" and "2" in seen[-1]["message"]
        assert seen[-1]["hint"]
        anns = _socket(live, ann.headers)  # the cap is per person
        first.close()
        deadline = time.monotonic() + 5
        while live.services.live.count(bob.account.id) > 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        again = _socket(live, bob.headers)  # a closed one frees its place
        for ws in (second, again, anns):
            _still_open(ws)
            ws.close()
    finally:
        live.stop()
