"""``os1 migrate``: a home moved from SQLite to PostgreSQL and back comes out the same,
row for row (messages, accounts, memories, facts, vectors, the journal), and still
finds its memories by words and by meaning; a move killed with ``kill -9`` goes on
where it stopped; what cannot be moved is refused with a reason."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import platformdirs
import psycopg
import pytest

from conftest import run_cli
from os1.memory.episodes import NewEpisode
from os1.memory.facts import FactBook, NewFact
from os1.memory.store import Memory
from os1.skills.registry import builtin_skills
from os1.store import Database
from os1.store.accounts import Accounts
from os1.store.postgres import PostgresDatabase

CACHE = Path(platformdirs.user_cache_dir("os1", appauthor=False))


async def _a_lived_in_home(path: Path) -> None:
    """A home with a bit of everything: accounts and keys, a conversation, settings,
    memories with their vectors, a fact superseded by a newer one, a proposed action."""
    db = await Database.open(path, migrations=builtin_skills().migrations)
    accounts = Accounts(db)
    await accounts.add("ann", password="long enough")
    await accounts.add_many(["bob", "cy"])
    await accounts.delete("cy")  # an id that must stay unused
    ann = await db.user("ann")
    conversation = await ann.new_conversation("first")
    for text in ("Hello there", "Ünïcödé and 'quotes' and a NUL-free \\ backslash"):
        await ann.add_message(conversation, "user", text)
    await ann.set_setting("companion_name", {"name": "Sol", "since": 1.5})
    memory = Memory(["static"], CACHE)
    await memory.record(
        ann,
        [
            NewEpisode("user", "My sister Lena lives in Porto."),
            NewEpisode("user", "I adopted a grey cat called Miso."),
            NewEpisode("user", "Lena moved to Lisbon last spring."),
        ],
    )
    await memory.index_pending(ann)
    facts = FactBook(ann)
    await facts.add([NewFact("person", "Lena", "lives_in", "Porto", "Lena lives in Porto.")])
    await facts.add([NewFact("person", "Lena", "lives_in", "Lisbon", "Lena lives in Lisbon.")])
    await ann.transaction(
        lambda s: s.execute(
            "INSERT INTO actions (user_id, tool, title, preview, args, created_at)"
            " VALUES (:user_id, 'files.move', 'Tidy', 'a -> b', '{}', 1.0)"
        )
    )
    await db.aclose()


def _migrate(home: Path, *args: str) -> tuple[int, str]:
    done = run_cli(home, "migrate", *args)
    return done.exit_code, " ".join(done.output.split())


async def _recall(path: Path, query: str) -> list[str]:
    db = await Database.open(path, migrations=builtin_skills().migrations)
    try:
        hits = await Memory(["static"], CACHE).search(await db.user("ann"), query)
        return [h.text for h in hits]
    finally:
        await db.aclose()


async def test_a_home_moved_to_postgresql_and_back_is_the_same_and_still_remembers(
    tmp_path: Path, postgres_url: str
) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    await _a_lived_in_home(first)
    code, said = await asyncio.to_thread(
        _migrate, tmp_path, "--from", f"sqlite:{first}", "--to", postgres_url
    )
    assert code == 0, said
    assert "rows in" in said and "moved and checked" in said and "| no" not in said

    pg = await PostgresDatabase.open(postgres_url, tmp_path, migrations=builtin_skills().migrations)
    newcomer = await pg.user("dee")  # ids go on past the copied ones, never reusing cy's
    assert newcomer.user.id > 3
    facts = await FactBook(await pg.user("ann")).current()
    assert [f.value for f in facts if f.attribute == "lives_in"] == ["Lisbon"]
    await pg.aclose()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("DELETE FROM users WHERE name = 'dee'")

    code, said = await asyncio.to_thread(
        _migrate, tmp_path, "--from", postgres_url, "--to", f"sqlite:{back}"
    )
    assert code == 0, said
    code, said = await asyncio.to_thread(
        _migrate, tmp_path, "--from", f"sqlite:{first}", "--to", f"sqlite:{back}", "--check"
    )
    assert code == 0 and "hold the same" in said, said
    for query in ("Where does Lena live?", "my pet kitten"):  # words, then meaning alone
        assert await _recall(back, query) == await _recall(first, query)
    assert "I adopted a grey cat called Miso." in await _recall(back, "my pet kitten")


def test_a_move_killed_midway_goes_on_where_it_stopped(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "big.db"
    asyncio.run(_a_lived_in_home(source))
    with _raw(source) as conn:
        conversation = conn.execute("SELECT id, user_id FROM conversations").fetchone()
        conn.executemany(
            "INSERT INTO messages (user_id, conversation_id, role, content, created_at)"
            " VALUES (?, ?, 'user', ?, ?)",
            [(conversation[1], conversation[0], f"line {i}", float(i)) for i in range(30_000)],
        )
    env = {**os.environ, "OS1_HOME": str(tmp_path), "OS1_LLM_BACKEND": "scripted"}
    argv = [sys.executable, "-m", "os1.cli", "migrate", "--from", f"sqlite:{source}",
            "--to", postgres_url, "--batch", "25"]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    copied = 0
    while copied < 2000 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        copied = _copied(postgres_url, "messages")
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()
    assert 0 < _copied(postgres_url, "messages") < 30_002  # cut short midway
    done = run_cli(tmp_path, "migrate", "--from", f"sqlite:{source}", "--to", postgres_url)
    said = " ".join(done.output.split())
    assert done.exit_code == 0 and "moved and checked" in said, said
    with psycopg.connect(postgres_url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM messages").fetchone()
        (distinct,) = conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()
    assert count == distinct == 30_002  # every line once


def _copied(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = (
            conn.execute("SELECT done FROM os1_moving WHERE name = %s", (table,)).fetchone()
            if _has_progress(conn)
            else None
        )
    return int(row[0]) if row else 0


def _has_progress(conn: psycopg.Connection) -> bool:  # type: ignore[type-arg]
    return bool(conn.execute("SELECT to_regclass('os1_moving')").fetchone()[0])


class _raw:
    """The SQLite file itself, for filling it fast; committed on leaving."""

    def __init__(self, path: Path) -> None:
        import sqlean

        self.conn = sqlean.connect(str(path))

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.commit()
        self.conn.close()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", "nowhere", "--to", "sqlite:x.db"], "'nowhere' names no store."),
        (["--from", "sqlite:", "--to", "sqlite:x.db"], "sqlite: needs a path"),
        (["--from", "sqlite:missing.db", "--to", "sqlite:x.db"], "There is no SQLite store at"),
        (["--from", "sqlite:a.db", "--to", "sqlite:a.db"], "are the same"),
    ],
)
def test_what_cannot_be_moved_is_refused_with_a_reason(
    tmp_path: Path, args: list[str], said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.db").touch()
    code, out = _migrate(tmp_path, *args)
    assert code == 1 and "Cannot migrate:" in out and said in out, out


async def test_a_store_that_already_holds_people_is_not_moved_into(
    tmp_path: Path, postgres_url: str
) -> None:
    await _a_lived_in_home(tmp_path / "one.db")
    pg = await PostgresDatabase.open(postgres_url, tmp_path, migrations=builtin_skills().migrations)
    await pg.user("someone")
    await pg.aclose()
    code, said = await asyncio.to_thread(
        _migrate, tmp_path, "--from", f"sqlite:{tmp_path / 'one.db'}", "--to", postgres_url
    )
    assert code == 1, said
    assert "already holds 1 person" in said and "empty database" in said
