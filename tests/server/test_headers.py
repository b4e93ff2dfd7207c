"""Browser protections over plain HTTP, through the real app: which requests a signed-in
browser may make from where (``auth``), and the headers on every answer (``headers``).

The Chromium side of the same (forms posted and frames opened from another port) is in
``test_browser_guard.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from serving import AppClient, Person, settings_for
from starlette.testclient import WebSocketDenialResponse, WebSocketDisconnect

from os1.server.app import create_app
from os1.server.auth import same_host
from os1.server.headers import DOCS_POLICY, PAGE_POLICY

HERE = "http://127.0.0.1"  # the TestClient's origin (base_url)
PASSWORD = "a long enough password"


def _signed_in(client: AppClient, name: str = "ada", admin: bool = False) -> Person:
    person = client.person(name, admin=admin, password=PASSWORD)
    answer = client.post("/api/session", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200 and "os1_session" in client.cookies
    return person


def test_a_cookie_changes_nothing_without_this_origin(client: AppClient) -> None:
    ada = _signed_in(client)
    refused = client.post("/api/conversations")  # a cookie and no Origin: a form, say
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "cross_origin" and "API key" in error["hint"]
    for origin in ("http://127.0.0.1:9999", "http://localhost", "https://evil.example", "null"):
        answer = client.post("/api/conversations", headers={"Origin": origin})
        assert answer.status_code == 403, origin
    site = client.post("/api/conversations", headers={"Sec-Fetch-Site": "same-site"})
    assert site.status_code == 403
    foreign = {"Origin": "http://127.0.0.1:9999", "Sec-Fetch-Site": "same-site"}
    assert client.patch("/api/memories/x", json={"text": "y"}, headers=foreign).status_code == 403
    assert client.delete("/api/memories/x", headers=foreign).status_code == 403

    # the page's own requests, and reading, go through
    assert client.post("/api/conversations", headers={"Origin": HERE}).status_code == 201
    same = client.post("/api/conversations", headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 201
    assert client.get("/api/me", headers={"Origin": "http://127.0.0.1:9999"}).status_code == 200
    history = client.get("/api/history").json()  # nothing was done by the refused ones
    assert history == []

    # an API key is never asked where it comes from; no browser sends one on its own
    client.cookies.clear()
    assert client.post("/api/conversations", headers=ada.headers).status_code == 201
    keyed = {**ada.headers, "Origin": "http://127.0.0.1:9999"}
    assert client.post("/api/conversations", headers=keyed).status_code == 201


def test_an_admin_cookie_cannot_be_used_from_another_page(client: AppClient) -> None:
    _signed_in(client, "boss", admin=True)
    alice = client.person("alice")
    other_port = {"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-site"}
    assert client.post("/api/admin/users/alice/disable", headers=other_port).status_code == 403
    assert client.get("/api/me", headers=alice.headers).status_code == 200  # still enabled
    page = client.post("/api/admin/users/alice/disable", headers={"Origin": HERE})
    assert page.status_code == 200 and page.json()["disabled"]


def test_signing_in_or_out_from_another_page_is_refused(client: AppClient) -> None:
    client.person("ada", password=PASSWORD)
    body = {"name": "ada", "password": PASSWORD}
    foreign = client.post("/api/session", json=body, headers={"Origin": "http://127.0.0.1:1"})
    assert foreign.status_code == 403 and "os1_session" not in client.cookies
    site = client.post("/api/session", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert site.status_code == 403 and "os1_session" not in client.cookies
    assert client.post("/api/session", json=body, headers={"Origin": HERE}).status_code == 200
    assert (
        client.delete("/api/session", headers={"Origin": "http://127.0.0.1:1"}).status_code == 403
    )
    assert client.get("/api/me").status_code == 200  # still signed in
    assert client.delete("/api/session", headers={"Origin": HERE}).status_code == 204
    assert client.get("/api/me").status_code == 401
    # clients that are not browsers (curl, scripts) send neither header and sign in
    assert client.post("/api/session", json=body).status_code == 200


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8316", "127.0.0.1:8316", True),
        ("http://LOCALHOST:8316", "localhost:8316", True),
        ("https://os1.example", "os1.example", True),
        ("https://os1.example", "os1.example:443", True),
        ("http://os1.example", "OS1.example:80", True),
        ("http://[::1]:8316", "[::1]:8316", True),
        ("https://os1.example", "os1.example:80", False),
        ("http://127.0.0.1:9999", "127.0.0.1:8316", False),
        ("http://127.0.0.1", "127.0.0.1:8316", False),
        ("null", "127.0.0.1:8316", False),
        ("127.0.0.1:8316", "127.0.0.1:8316", False),
        ("http://", "", False),
        ("http://a@127.0.0.1:8316", "127.0.0.1:8316", False),
        ("http://127.0.0.1:8316/path", "127.0.0.1:8316", False),
        ("http://127.0.0.1:99999", "127.0.0.1:99999", False),
        ("ftp://127.0.0.1:8316", "127.0.0.1:8316", False),
    ],
)
def test_same_host_compares_host_and_port(origin: str, host: str, same: bool) -> None:
    assert same_host(origin, host) is same


def test_sockets_check_their_origin_by_host_and_port(client: AppClient) -> None:
    ada = client.person("ada")
    for origin, host in (("http://os1.example", "OS1.EXAMPLE:80"), (HERE, "127.0.0.1")):
        headers = {**ada.headers, "Origin": origin, "Host": host}
        with client.websocket_connect("/ws", headers=headers) as ws:
            assert ws.receive_json()["type"] == "hello", origin
    for origin in ("http://127.0.0.1:8080", "null", "http://"):
        headers = {**ada.headers, "Origin": origin, "Host": "127.0.0.1"}
        with (
            pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)),
            client.websocket_connect("/ws", headers=headers) as ws,
        ):
            assert ws.receive_json()["code"] == "forbidden"
            ws.receive_json()


def _protected(headers: dict[str, str], policy: str = PAGE_POLICY) -> None:
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["content-security-policy"] == policy
    assert "frame-ancestors 'none'" in policy
    assert lowered["x-frame-options"] == "DENY"
    assert lowered["x-content-type-options"] == "nosniff"
    assert lowered["referrer-policy"] == "no-referrer"


def test_every_answer_carries_the_headers(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))

    async def crash() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/crash", crash)  # an unhandled error: Starlette's 500 page
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the UI's mount at /
    with AppClient(app, base_url=HERE, raise_server_exceptions=False) as client:
        ada = client.person("ada")
        answers = {
            "the page": client.get("/"),
            "a script": client.get("/app.js"),
            "the worklet": client.get("/down16k.js"),
            "an API answer": client.get("/api/me", headers=ada.headers),
            "a 401": client.get("/api/me"),
            "a 404": client.get("/nothing-here"),
            "a 413": client.post("/api/session", content=b"x" * 2_000_000),
            "a 422": client.post("/api/session", content=b"{"),
            "a 500": client.get("/api/crash"),
            "the schema": client.get("/openapi.json"),
        }
        for what, answer in answers.items():
            assert answer.status_code in (200, 401, 404, 413, 422, 500), what
            _protected(dict(answer.headers))
        assert answers["a 500"].status_code == 500
        assert "javascript" in answers["the worklet"].headers["content-type"]
        assert "registerProcessor" in answers["the worklet"].text


def test_api_pages_are_off_unless_asked_for(client: AppClient, tmp_path: Path) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path
    assert client.get("/openapi.json").status_code == 200
    docs_app = create_app(settings_for(tmp_path / "docs", api_docs=True))
    with AppClient(docs_app, base_url=HERE) as docs:
        for path in ("/docs", "/redoc"):
            page = docs.get(path)
            assert page.status_code == 200 and "cdn.jsdelivr.net" in page.text
            _protected(dict(page.headers), DOCS_POLICY)
        _protected(dict(docs.get("/").headers))  # the UI keeps its own policy


@pytest.fixture
def secure_client(tmp_path: Path) -> Iterator[AppClient]:
    app: FastAPI = create_app(settings_for(tmp_path / "secure", cookie_secure=True))
    with AppClient(app, base_url="https://127.0.0.1") as client:
        yield client


def test_the_cookie_is_secure_when_asked_for(client: AppClient, secure_client: AppClient) -> None:
    for each, secure in ((client, False), (secure_client, True)):
        each.person("ada", password=PASSWORD)
        answer = each.post("/api/session", json={"name": "ada", "password": PASSWORD})
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert ("; secure" in cookie) is secure
