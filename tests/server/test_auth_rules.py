"""The rules of ``server.auth`` one by one: which credential a request goes by, which
Origins count as this server's own, who may use admin routes, that one person's flood
does not throttle another, and that keys and cookies never reach a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import AppClient, settings_for

from os1.server.app import create_app
from os1.server.auth import HideCredentials, credential, hide_credentials_in_logs, same_host
from os1.store.standing import Credential

KEY = "os1_" + "k" * 43


@pytest.mark.parametrize(
    ("authorization", "session", "expected"),
    [
        (f"Bearer {KEY}", "cookie", Credential.key(KEY)),
        (f"bearer {KEY}", None, Credential.key(KEY)),
        (f"Bearer   {KEY} ", None, Credential.key(KEY)),
        (f"Basic {KEY}", None, None),
        (f"Basic {KEY}", "cookie", Credential.session("cookie")),
        ("Bearer ", "cookie", Credential.session("cookie")),
        ("Bearer", None, None),
        (None, "cookie", Credential.session("cookie")),
        (None, "", None),
        (None, None, None),
    ],
)
def test_a_request_goes_by_its_key_before_its_cookie(
    authorization: str | None, session: str | None, expected: Credential | None
) -> None:
    assert credential(authorization, session) == expected


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8316?next=1", "127.0.0.1:8316"),
        ("http://127.0.0.1:8316#top", "127.0.0.1:8316"),
        ("http://[::1", "[::1]:80"),
        ("http://127.0.0.1:8316", None),
    ],
)
def test_an_origin_with_more_than_an_address_is_not_this_server(
    origin: str, host: str | None
) -> None:
    assert same_host(origin, host) is False


def test_a_key_works_with_any_spacing_of_its_scheme(client: AppClient) -> None:
    ada = client.person("ada")
    for header in (f"Bearer  {ada.key}", f"bearer {ada.key}", f"BEARER {ada.key} "):
        answer = client.get("/api/me", headers={"Authorization": header})
        assert answer.status_code == 200 and answer.json()["name"] == "ada", header
    for header in (f"Basic {ada.key}", f"Token {ada.key}", "Bearer ", ada.key):
        assert client.get("/api/me", headers={"Authorization": header}).status_code == 401


def test_only_an_admin_reaches_admin_routes(client: AppClient) -> None:
    bob = client.person("bob")
    refused = client.get("/api/admin/users", headers=bob.headers)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert (error["code"], error["message"]) == ("forbidden", "Only an admin may do this.")


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[AppClient]:
    """A server that allows two requests a minute per person (one at once)."""
    settings = settings_for(tmp_path, requests_per_minute=2)
    with AppClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_one_persons_flood_does_not_throttle_another(tight: AppClient) -> None:
    ada, bob = tight.person("ada"), tight.person("bob")
    assert tight.get("/api/me", headers=ada.headers).status_code == 200
    flooded = tight.get("/api/me", headers=ada.headers)
    assert flooded.status_code == 429
    assert flooded.json()["error"]["message"] == "Too many requests in a short time."
    assert tight.get("/api/me", headers=bob.headers).status_code == 200


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.DEBUG, __file__, 1, msg, args, None)


def test_keys_and_cookies_are_blanked_out_of_log_records() -> None:
    hide = HideCredentials()
    handshake = _record(
        "< %s\n< %s",
        f"authorization: Bearer {KEY}",
        "cookie: os1_session=abcdefgh12345678; theme=dark",
    )
    assert hide.filter(handshake)
    assert handshake.getMessage() == (
        "< authorization: Bearer [hidden]\n< cookie: [hidden]; theme=dark"
    )
    assert handshake.args is None
    bare = _record(f"signed in with {KEY}")
    assert hide.filter(bare) and bare.getMessage() == "signed in with [hidden]"
    plain = _record("%d requests served", 3)
    assert hide.filter(plain)
    assert (plain.msg, plain.args, plain.getMessage()) == (
        "%d requests served",
        (3,),
        "3 requests served",
    )


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_loggers_that_see_raw_requests_hide_credentials() -> None:
    hide_credentials_in_logs()
    hide_credentials_in_logs()  # twice is once
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets", "websockets.server")
    kept = _Kept()
    for name in names:
        logger = logging.getLogger(name)
        logger.addHandler(kept)
        level = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            logger.debug("> Authorization: Bearer %s", KEY)
        finally:
            logger.setLevel(level)
            logger.removeHandler(kept)
    assert kept.lines == ["> Authorization: Bearer [hidden]"] * len(names)
