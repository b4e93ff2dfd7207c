"""Shared fixtures: real SQLite in a temp dir, the real pipeline, the scripted model for
unit tests, and one real embedded model per test session for ``real_model`` tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

import pytest
from typer.testing import CliRunner, Result

from os1.cli.app import app
from os1.companion import Companion
from os1.config import Settings, load_settings
from os1.events import ProposalMade, TurnEvent
from os1.memory.facts import FactBook, NewFact
from os1.models.scripted import ScriptedLLM, ScriptedRequest
from os1.skills.registry import builtin_skills
from os1.store import Database
from os1.store.base import StoreBase
from os1.store.migrations import Migration
from os1.store.postgres import PostgresDatabase
from os1.turn.context import TurnLimits


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
async def db(home: Path) -> AsyncIterator[Database]:
    """A bare store (the core's tables, no skills') in the home folder, closed after."""
    database = await Database.open(home / "os1.db")
    yield database
    await database.aclose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def either_db(request: pytest.FixtureRequest, home: Path) -> AsyncIterator[StoreBase]:
    """A bare store on each engine in turn: SQLite in the home folder, then a new
    database on the tests' own PostgreSQL server."""
    database = await open_like(request.param, request, home)
    yield database
    await database.aclose()


async def open_like(
    engine: str, request: pytest.FixtureRequest, home: Path, migrations: Sequence[Migration] = ()
) -> StoreBase:
    """Open a store on ``engine`` (``"sqlite"`` or ``"postgresql"``) for the home folder,
    with ``migrations`` beside the core's; the same call again opens the same store, as a
    second process would."""
    if engine == "sqlite":
        return await Database.open(home / "os1.db", migrations=migrations)
    url = getattr(request.node, "_os1_postgres_url", None) or request.getfixturevalue(
        "postgres_url"
    )
    request.node._os1_postgres_url = url
    return await PostgresDatabase.open(url, home, migrations=migrations)


@pytest.fixture
def settings(home: Path, request: pytest.FixtureRequest) -> Settings:
    """The scripted model in a fresh home; the store on SQLite, or on the tests' own
    PostgreSQL when ``OS1_TEST_STORE=postgresql`` (the whole suite on the second engine)."""
    values: dict[str, object] = {"home": home, "llm_backend": "scripted", "embedders": "none"}
    if os.environ.get("OS1_TEST_STORE") == "postgresql":
        values["database_url"] = request.getfixturevalue("postgres_url")
    return load_settings(values, environ={})


@pytest.fixture
def scripted() -> ScriptedLLM:
    return ScriptedLLM()


@pytest.fixture
async def companion(settings: Settings, scripted: ScriptedLLM) -> AsyncIterator[Companion]:
    """The companion as the terminal's own person meets it (``os1 chat``): their skills
    reach their own files; the server's per-account reach is tested in tests/server."""
    comp = await Companion.start(settings, llm=scripted, local=True)
    yield comp
    await comp.aclose()


def turn_request(model: ScriptedLLM) -> ScriptedRequest:
    """The last request a person's turn made (background work such as fact extraction
    and summaries makes requests of its own)."""
    return [r for r in model.requests if not r.options.background][-1]


def run_cli(home: Path, *args: str, answers: str = "", **env: str) -> Result:
    """``os1 ARGS`` through the Typer app on the scripted model, ``answers`` typed in."""
    environ = {
        "OS1_HOME": str(home),
        "OS1_LLM_BACKEND": "scripted",
        "OS1_EMBEDDERS": "none",
        "COLUMNS": "200",
        **env,
    }
    return CliRunner().invoke(app, list(args), input=answers, env=environ)


def missing_component(message: str) -> NoReturn:
    """A component the set-up installs is not here: a skip on a developer's machine, a
    failure in CI (``CI=true``), where a green run must not hide untested doors."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}; CI needs it (scripts/setup.sh installs it)")
    pytest.skip(message)


async def collect(events: AsyncIterator[TurnEvent]) -> list[TurnEvent]:
    return [event async for event in events]


def _mount_tmpfs(target: Path, options: str) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system, to fill up (needs root, as on the project's machines)."""
    target = tmp_path / "small"
    if os.geteuid() != 0 or not _mount_tmpfs(target, "size=1m"):
        pytest.skip("mounting a tmpfs needs root")
    yield target
    subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    """A real read-only file system (root ignores permission bits, so chmod would not do)."""
    target = tmp_path / "ro"
    if os.geteuid() != 0:
        target.mkdir()
        target.chmod(0o500)
        yield target
        target.chmod(0o700)
        return
    if not _mount_tmpfs(target, "size=1m,ro"):
        pytest.skip("mounting a tmpfs needs root")
    yield target
    subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the real model: a fresh home, the shared model cache of this machine."""
    environ = {k: v for k, v in os.environ.items() if k not in ("OS1_HOME", "OS1_LLM_BACKEND")}
    return load_settings({"home": tmp_path_factory.mktemp("real-home")}, environ=environ)


@pytest.fixture(scope="session")
def loaded_llm(real_settings: Settings) -> Iterator[object]:
    from os1.models.assets import resolve_llm_path
    from os1.models.local_gguf import LocalGGUF

    llm = LocalGGUF(resolve_llm_path(real_settings), n_ctx=4096, threads=real_settings.threads)
    yield llm
    llm.close()


@pytest.fixture
def real_llm(loaded_llm: object) -> object:
    """The real model, loaded once per session. Each test runs in an event loop of its
    own, and an asyncio lock that once had waiters belongs to that loop: the model's
    lock is made anew (it is free between tests)."""
    loaded_llm._lock = asyncio.Lock()  # type: ignore[attr-defined]
    return loaded_llm


@pytest.fixture
async def real_companion(home: Path, real_llm: object) -> AsyncIterator[Companion]:
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    comp = Companion(db, real_llm, TurnLimits(max_reply_tokens=120, temperature=0.2, seed=7))  # type: ignore[arg-type]
    yield comp
    await comp.stop_background()
    await db.aclose()


@pytest.fixture
async def real_routed(home: Path, real_llm: object) -> AsyncIterator[Companion]:
    """The real model choosing skills from what the person says, as `os1 chat` does."""
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    comp = Companion(
        db,
        real_llm,  # type: ignore[arg-type]
        TurnLimits(max_reply_tokens=120, temperature=0.2, seed=7),
        home=home,
        tool_choice=True,
        local=True,
    )
    yield comp
    await comp.stop_background()
    await db.aclose()


async def proposal_for(companion: Companion, user: str, text: str) -> ProposalMade:
    """The one proposal a turn saying ``text`` makes."""
    events = await collect(companion.turn(user, text))
    made = [e for e in events if isinstance(e, ProposalMade)]
    assert len(made) == 1, events
    return made[0]


# The server's fixtures (the app in-process, or on a real loopback socket) live with the
# server tests; a second conftest.py there would shadow this one's helpers on import.
async def said_days_ago(companion: Companion, user: str, *lines: tuple[float, str]) -> None:
    """Messages ``user`` wrote, each (days ago, text), stored as a conversation stores them."""
    store = await companion.core.store(user)
    conversation = await store.new_conversation()
    for days_ago, text in lines:
        number = await store.add_message(conversation, "user", text)
        await store.transaction(
            lambda db, n=number, d=days_ago: db.execute(
                "UPDATE messages SET created_at = :at WHERE user_id = :user_id AND id = :id",
                {"at": time.time() - d * 86_400.0, "id": n},
            )
        )


async def lonely_ada(companion: Companion, birthday_in: int = 20) -> None:
    """Ada told of her sister Lena (birthday soon) and her friend Tom six weeks ago, and
    these three weeks has been alone, talking of neither."""
    await companion.skip_onboarding("ada")
    birthday = dt.date.today() + dt.timedelta(days=birthday_in)
    await FactBook(await companion.core.store("ada")).add([
        NewFact("relation", "Lena", "relation", "sister", "Lena is Ada's sister."),
        NewFact("person", "Lena", "birthday", f"{birthday:%B} {birthday.day}",
                "Lena's birthday is coming up."),
        NewFact("relation", "Tom", "relation", "friend", "Tom is Ada's friend."),
        NewFact("relation", "Biscuit", "relation", "dog", "Biscuit is Ada's dog."),
    ])  # fmt: skip
    await said_days_ago(
        companion, "ada",
        (42, "My sister Lena called, and Tom came round for dinner."),
        (12, "Spent the whole weekend alone again."),
        (6, "Work was long today."),
        (2, "Watched a film by myself, nothing much else."),
    )  # fmt: skip


from server.redis_service import redis_server, redis_url  # noqa: E402
from server.serving import client, live_server, server_settings  # noqa: E402
from store.postgres_service import postgres_server, postgres_url  # noqa: E402

__all__ = [
    "client",
    "collect",
    "live_server",
    "open_like",
    "postgres_server",
    "postgres_url",
    "proposal_for",
    "redis_server",
    "redis_url",
    "server_settings",
    "turn_request",
]
