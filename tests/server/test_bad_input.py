"""Bad input at every door gets a clear 4xx JSON error, never a 500, and the WebSocket
stays usable after any bad message.

The HTTP operations are read from the app's own OpenAPI schema when the test runs, so
routes added later (memories, /v1, ...) are probed too. Each probe is sent as an admin,
so it reaches validation and the handler rather than stopping at sign-in.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from probing import Operation, error_message, example_body, operations
from serving import ROOMY, AppClient, LiveServer, Person, settings_for

from os1.config import Settings
from os1.memory.episodes import NewEpisode
from os1.server.app import create_app

NASTY = "nul\x00bell\x07esc\x1b[31mdel\x7fnl\nrtl\u202eend\ufeff"


@pytest.fixture
def roomy_settings(tmp_path: Path) -> Settings:
    """Scripted model, and rate limits high enough that probes are not answered 429."""
    return settings_for(tmp_path, **ROOMY)


class Probe:
    """An admin, a person to point admin routes at, and an own memory to point refs at."""

    def __init__(self, client: AppClient) -> None:
        self.client = client
        self.boss = client.person("boss", admin=True, password="boss password")
        self.target = client.person("target")
        memory = client.services.companion.memory
        assert memory is not None

        async def own_episode() -> int:
            store = await client.services.companion.db.user("boss")
            await memory.record(store, [NewEpisode("user", "my bicycle is green")])
            rows = await store.read(
                lambda db: db.execute("SELECT max(id) FROM episodes WHERE user_id = :user_id")
            )
            return int(rows[0][0])

        self.episode = client.portal.call(own_episode)  # type: ignore[union-attr]

    def param(self, name: str) -> str:
        if name == "name":
            return self.target.account.name
        if name == "ref":
            return f"episode:{self.episode}"
        return "1"

    def field(self, name: str) -> Any:
        if name == "name":
            return "newcomer"
        if name == "model":
            return "os1"
        if name == "role":
            return "user"
        if name.endswith("id"):
            return 1
        return "hello there"

    def send(self, op: Operation, path: str | None = None, **kwargs: Any) -> Any:
        headers = {**self.boss.headers, **kwargs.pop("headers", {})}
        return self.client.request(
            op.method, path or op.fill(self.param), headers=headers, **kwargs
        )


@pytest.fixture
def probe(roomy_settings: Settings) -> Iterator[Probe]:
    with AppClient(create_app(roomy_settings), base_url="http://127.0.0.1") as client:
        yield Probe(client)


def _check_4xx(failures: list[str], what: str, answer: Any) -> None:
    if not 400 <= answer.status_code < 500:
        failures.append(f"{what}: {answer.status_code} {answer.text[:200]}")
        return
    try:
        error_message(answer.json())
    except (AssertionError, ValueError):
        failures.append(f"{what}: {answer.status_code} without a JSON error: {answer.text[:200]}")


def _check_not_5xx(failures: list[str], what: str, answer: Any) -> None:
    if answer.status_code >= 500:
        failures.append(f"{what}: {answer.status_code} {answer.text[:200]}")
    elif answer.status_code >= 400:
        _check_4xx(failures, what, answer)


def _json_ops(probe: Probe) -> list[Operation]:
    app = probe.client.app
    found = [op for op in operations(app) if op.body is not None]  # type: ignore[arg-type]
    assert any(op.path == "/api/session" for op in found)
    return found


def test_broken_bodies_get_a_4xx_json_error(probe: Probe) -> None:
    raw_bodies: dict[str, tuple[bytes, str]] = {
        "malformed JSON": (b'{"name": "x",', "application/json"),
        "truncated string": (b'{"name": "x', "application/json"),
        "not UTF-8": (b'{"name": "\xff\xfe\xc3\x28"}', "application/json"),
        "a list": (b"[1, 2, 3]", "application/json"),
        "a number": (b"42", "application/json"),
        "a string": (b'"hello"', "application/json"),
        "null": (b"null", "application/json"),
        "empty": (b"", "application/json"),
        "deeply nested": (b"[" * 5000 + b"]" * 5000, "application/json"),
        "NaN": (b'{"name": NaN}', "application/json"),
        "text/plain": (b'{"name": "x"}', "text/plain"),
        "form": (b"name=x&password=y", "application/x-www-form-urlencoded"),
        "XML": (b"<name>x</name>", "application/xml"),
        "no content type": (b'{"name": 1}', ""),
    }
    failures: list[str] = []
    for op in _json_ops(probe):
        for label, (content, kind) in raw_bodies.items():
            headers = {"content-type": kind} if kind else {}
            _check_4xx(failures, f"{op} {label}", probe.send(op, content=content, headers=headers))
    assert not failures, "\n".join(failures)


def _wrong(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return ["yes please", [True]]
    if isinstance(value, (int, float)):
        return ["many", {"n": 1}, [1]]
    if isinstance(value, str):
        return [{"text": value}, [value], 12345]
    if isinstance(value, list):
        return ["not a list", {"a": 1}]
    return ["not an object", [value]]


def test_wrong_types_and_missing_fields_get_a_4xx(probe: Probe) -> None:
    failures: list[str] = []
    for op in _json_ops(probe):
        assert op.body is not None
        good = example_body(op.body, probe.field)
        if isinstance(good, dict):
            required = op.body.get("required", [])
            if required:
                _check_4xx(failures, f"{op} empty object", probe.send(op, json={}))
                for name in required:
                    less = {k: v for k, v in good.items() if k != name}
                    _check_4xx(failures, f"{op} without {name}", probe.send(op, json=less))
            for name, value in good.items():
                for bad in _wrong(value):
                    answer = probe.send(op, json={**good, name: bad})
                    _check_4xx(failures, f"{op} {name}={bad!r}", answer)
            unknown = probe.send(op, json={**good, "surprise\x00": "x" * 10})
            _check_not_5xx(failures, f"{op} unknown field", unknown)
    assert not failures, "\n".join(failures)


def test_nul_and_control_characters_never_crash(probe: Probe) -> None:
    failures: list[str] = []
    for op in _json_ops(probe):
        assert op.body is not None

        def nasty(name: str) -> Any:
            value = probe.field(name)
            return NASTY + (value if isinstance(value, str) else "")

        for body in (example_body(op.body, nasty), example_body(op.body, lambda _: "\x00" * 64)):
            _check_not_5xx(failures, f"{op} {body!r}"[:120], probe.send(op, json=body))
        escaped = json.dumps(example_body(op.body, probe.field)).replace(
            '"hello there"', '"\\ud800 lone surrogate \\udfff"'
        )
        answer = probe.send(
            op, content=escaped.encode(), headers={"content-type": "application/json"}
        )
        _check_not_5xx(failures, f"{op} lone surrogate", answer)
    assert not failures, "\n".join(failures)


def test_odd_path_and_query_values_never_crash(probe: Probe) -> None:
    values = [
        "%00",
        "%ff%fe",
        "x" * 5000,
        "..%2F..%2Fetc",
        "%F0%9F%98%80",
        "-1",
        "0",
        "99999999999999999999999",
    ]
    failures: list[str] = []
    for op in operations(probe.client.app):  # type: ignore[arg-type]
        body = example_body(op.body, probe.field) if op.body is not None else None
        for value in values:
            if op.path_params:
                path = op.fill(lambda _, v=value: v)
                _check_not_5xx(failures, f"{op} path={value[:20]}", probe.send(op, path, json=body))
            for name in op.query:
                query = {name: value.replace("%", "")} | {"other\x00": value}
                answer = probe.send(op, params=query, json=body)
                _check_not_5xx(failures, f"{op} {name}={value[:20]}", answer)
    assert not failures, "\n".join(failures)


def test_huge_bodies_are_refused_with_413(probe: Probe) -> None:
    limit = probe.client.services.settings.max_request_bytes
    failures: list[str] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 50_000 + 2):
            yield b" " * 50_000

    for op in _json_ops(probe):
        declared = probe.send(op, content=b"{" + b" " * (limit + 10) + b"}")
        streamed = probe.send(op, content=chunks(), headers={"content-type": "application/json"})
        for label, answer in (("declared", declared), ("chunked", streamed)):
            if answer.status_code != 413:
                failures.append(f"{op} {label}: {answer.status_code}")
            else:
                error_message(answer.json())
    assert not failures, "\n".join(failures)


def _raw_http(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass  # the server may close while we still send the refused body
        return out


def _status_and_body(reply: bytes) -> tuple[int, bytes]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        size, _, rest = body.partition(b"\r\n")
        body = rest[: int(size, 16)]
    return status, body


def test_over_the_wire_limits(roomy_settings: Settings) -> None:
    """Real HTTP on a real socket: chunked bodies with no Content-Length, a lying
    Content-Length, and very long header values."""
    live = LiveServer(roomy_settings).start()
    try:
        alice = live.person("alice")
        port = roomy_settings.port
        limit = roomy_settings.max_request_bytes
        piece = b"x" * 10_000
        chunked = b"".join(
            b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(limit // 10_000 + 5)
        )
        reply = _raw_http(
            port,
            b"POST /api/session HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked
            + b"0\r\n\r\n",
        )
        status, body = _status_and_body(reply)
        assert status == 413 and error_message(json.loads(body))
        reply = _raw_http(
            port,
            b"POST /api/session HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}",
        )
        status, body = _status_and_body(reply)
        assert status == 413 and error_message(json.loads(body))
        for size in (8_000, 60_000):
            long_key = b"Authorization: Bearer os1_" + b"k" * size + b"\r\n"
            reply = _raw_http(
                port,
                b"GET /api/me HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + long_key + b"\r\n",
            )
            status, body = _status_and_body(reply)
            assert status == 401 and error_message(json.loads(body))
            filler = b"X-Filler: " + b"f" * size + b"\r\n"
            auth = f"Authorization: Bearer {alice.key}\r\n".encode()
            reply = _raw_http(
                port,
                b"GET /api/me HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                + filler
                + auth
                + b"\r\n",
            )
            status, body = _status_and_body(reply)
            assert status == 200 and json.loads(body)["name"] == "alice"
    finally:
        live.stop()


def _ws_exchange(ws: Any, frame: Any, binary: bool = False) -> dict[str, Any]:
    if binary:
        ws.send_bytes(frame)
    else:
        ws.send_text(frame)
    reply: dict[str, Any] = ws.receive_json()
    return reply


def test_bad_websocket_messages_get_an_error_and_the_socket_stays_usable(probe: Probe) -> None:
    limit = probe.client.services.settings.max_request_bytes
    person: Person = probe.target
    bad: list[tuple[str, Any, bool]] = [
        ("not JSON", "hello there", False),
        ("broken JSON", '{"type": "say", ', False),
        ("binary", b"\x00\x01\x02\xff", True),
        ("binary JSON", b'{"type": "ping"}', True),
        ("a list", "[1, 2]", False),
        ("a number", "7", False),
        ("null", "null", False),
        ("unknown type", '{"type": "launch"}', False),
        ("no type", '{"text": "hi"}', False),
        ("type not a string", '{"type": ["say"]}', False),
        ("say without text", '{"type": "say"}', False),
        ("say with a number", '{"type": "say", "text": 5}', False),
        ("confirm without id", '{"type": "confirm"}', False),
        ("confirm with a string id", '{"type": "confirm", "proposal_id": "1"}', False),
        ("decline with a bool id", '{"type": "decline", "proposal_id": true}', False),
        ("over the limit", json.dumps({"type": "say", "text": "x" * limit}), False),
        (
            "over the limit in bytes",
            json.dumps({"type": "say", "text": "é" * (limit // 2 + 10)}, ensure_ascii=False),
            False,
        ),
    ]
    with probe.client.websocket_connect("/ws", headers=person.headers) as ws:
        assert ws.receive_json()["type"] == "hello"
        for label, frame, binary in bad:
            reply = _ws_exchange(ws, frame, binary)
            assert reply["type"] == "error", (label, reply)
            assert reply["message"].strip(), label
            assert _ws_exchange(ws, '{"type": "ping"}') == {"type": "pong"}, label
        ws.send_text(json.dumps({"type": "say", "text": "are you still there?"}))
        events = []
        while not events or events[-1]["type"] not in ("turn_finished", "error"):
            events.append(ws.receive_json())
        assert events[-1]["type"] == "turn_finished", events
        assert "are you still there?" in events[-1]["text"]
