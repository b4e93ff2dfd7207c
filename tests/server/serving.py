"""Server test helpers: the real app on a real socket (uvicorn on loopback, in a thread) or
in-process through Starlette's TestClient, with the scripted model, and helpers to make
accounts."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from os1.companion import Companion
from os1.config import Settings, load_settings
from os1.models.scripted import ScriptedLLM
from os1.server.app import create_app
from os1.server.listener import Parser, uvicorn_config
from os1.server.services import Services
from os1.store.accounts import Account


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Server settings for a test: a fresh home, the scripted model, a free port."""
    values: dict[str, Any] = {
        "home": tmp_path / "server-home",
        "llm_backend": "scripted",
        "embedders": "none",
        "port": free_port(),
        "shutdown_grace": 2.0,
    }
    return load_settings({**values, **overrides}, environ={})


# how a server under test shares its state: alone, as a fleet's worker on Redis, and that
# worker with its store on PostgreSQL (``shared_by`` turns one into settings)
SHARING = ["alone", "fleet", "fleet on postgresql"]


def shared_by(request: pytest.FixtureRequest) -> dict[str, str]:
    """The settings that make a server share its state as ``request.param`` (of
    ``SHARING``) says, the Redis and PostgreSQL the tests start included."""
    shared: dict[str, str] = {}
    if request.param.startswith("fleet"):
        shared["redis_url"] = request.getfixturevalue("redis_url")
    if request.param.endswith("postgresql"):
        shared["database_url"] = request.getfixturevalue("postgres_url")
    return shared


ROOMY = {"requests_per_minute": 100_000, "turns_per_minute": 10_000}  # probes, not 429s


@pytest.fixture
def server_settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The server's settings; its store on PostgreSQL under ``OS1_TEST_STORE=postgresql``."""
    if os.environ.get("OS1_TEST_STORE") == "postgresql":
        return settings_for(tmp_path, database_url=request.getfixturevalue("postgres_url"))
    return settings_for(tmp_path)


@dataclass
class Person:
    account: Account
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


class AppClient(TestClient):
    """A TestClient that can also create accounts in the running app."""

    @property
    def services(self) -> Services:
        app = self.app
        assert isinstance(app, FastAPI)
        found: Services = app.state.services
        return found

    @property
    def model(self) -> ScriptedLLM:
        llm = self.services.companion.llm
        assert isinstance(llm, ScriptedLLM)
        return llm

    def person(self, name: str, *, admin: bool = False, password: str | None = None) -> Person:
        account, key = self.portal.call(  # type: ignore[union-attr]
            lambda: self.services.accounts.add(name, password=password, admin=admin)
        )
        return Person(account, key)

    def say_over_ws(self, who: Person, *texts: str) -> None:
        """``who`` says each text over the WebSocket, each turn to its end, and the
        companion's background work (learning, embedding) is then waited for."""
        with self.websocket_connect("/ws", headers=who.headers) as ws:
            assert ws.receive_json()["type"] == "hello"
            for text in texts:
                ws.send_json({"type": "say", "text": text})
                while ws.receive_json()["type"] != "turn_finished":
                    pass
        self.portal.call(self.services.companion.wait_background)  # type: ignore[union-attr]


@pytest.fixture
def client(server_settings: Settings) -> Iterator[AppClient]:
    with AppClient(create_app(server_settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


class LiveServer:
    """``os1``'s app served by uvicorn on 127.0.0.1 in a background thread, configured as
    ``os1 serve`` configures it (``uvicorn_config``); ``parser`` picks uvicorn's HTTP
    parser (default: what ``os1 serve`` uses)."""

    def __init__(
        self, settings: Settings, companion: Companion | None = None, parser: Parser | None = None
    ) -> None:
        assert settings.host == "127.0.0.1", "test servers listen on loopback only"
        self.settings = settings
        self.app = create_app(settings, companion)
        self.server = uvicorn.Server(uvicorn_config(self.app, settings, parser=parser))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def services(self) -> Services:
        found: Services = self.app.state.services
        return found

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.server.serve())
        self.loop.close()

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def call(self, coro_fn):  # type: ignore[no-untyped-def]
        """Run ``coro_fn()`` on the server's loop and return its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro_fn(), self.loop).result(timeout=30)

    def person(self, name: str, *, admin: bool = False, password: str | None = None) -> Person:
        account, key = self.call(
            lambda: self.services.accounts.add(name, password=password, admin=admin)
        )
        return Person(account, key)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live_server(server_settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(server_settings).start()
    yield server
    server.stop()
