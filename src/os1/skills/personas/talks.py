"""Where the talks a person's companion or personas had with another party are kept:
who took part, the topic, what each side may share, and every line with the passages it
cites. A talk is kept apart from the person's own conversations, so nothing the other
party said is ever read as the person's own words, and it is scoped like every row."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from os1.errors import PersonaError
from os1.skills.personas.records import Citation, citations_from_json, citations_json
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements


def _talks(conn: sqlite.Connection) -> None:
    run_statements(
        conn,
        """
        CREATE TABLE talks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            first TEXT NOT NULL,          -- the party that opened, e.g. companion:ana
            second TEXT NOT NULL,
            topic TEXT NOT NULL DEFAULT '',
            shared TEXT NOT NULL DEFAULT '[]',  -- kinds of the owner's facts it could share
            thread TEXT NOT NULL DEFAULT '',    -- a remote party's talk, to append to
            started_at REAL NOT NULL
        );
        CREATE INDEX talks_of ON talks(user_id, id);
        CREATE TABLE talk_lines (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            talk_id INTEGER NOT NULL REFERENCES talks(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            speaker TEXT NOT NULL,   -- the party, as in talks.first or talks.second
            name TEXT NOT NULL,      -- what the party is called (the companion's name)
            content TEXT NOT NULL,
            citations TEXT NOT NULL DEFAULT '[]',
            at REAL NOT NULL
        );
        CREATE INDEX talk_lines_of ON talk_lines(talk_id, id);
        """,
    )


MIGRATIONS: list[Migration] = [("talks_0001", _talks)]


@dataclass(frozen=True)
class Line:
    speaker: str  # the party: companion:ana, persona:marsh, or a remote address
    name: str  # what it is called in the talk
    content: str
    citations: tuple[Citation, ...] = ()
    at: float = 0.0


@dataclass(frozen=True)
class Talk:
    id: int
    first: str
    second: str
    topic: str
    shared: tuple[str, ...]
    started_at: float
    lines: tuple[Line, ...]


async def start(
    store: UserStore, first: str, second: str, topic: str, shared: tuple[str, ...],
    thread: str = "",
) -> int:  # fmt: skip
    values = {"first": first, "second": second, "topic": topic,
              "shared": json.dumps(list(shared)), "thread": thread, "now": time.time()}  # fmt: skip
    rows = await store.transaction(
        lambda db: db.execute(
            "INSERT INTO talks (user_id, first, second, topic, shared, thread, started_at)"
            " VALUES (:user_id, :first, :second, :topic, :shared, :thread, :now) RETURNING id",
            values,
        )
    )
    return int(rows[0][0])


async def add_line(store: UserStore, talk: int, line: Line) -> None:
    """One line, kept as soon as it is said: a talk cut short keeps what was said."""
    values = {"talk": talk, "speaker": line.speaker, "name": line.name,
              "content": line.content, "citations": citations_json(line.citations),
              "now": line.at or time.time()}  # fmt: skip
    await store.transaction(
        lambda db: db.execute(
            "INSERT INTO talk_lines (talk_id, user_id, speaker, name, content, citations, at)"
            " VALUES (:talk, :user_id, :speaker, :name, :content, :citations, :now)",
            values,
        )
    )


async def by_thread(store: UserStore, thread: str) -> int | None:
    """The talk a remote party's ``thread`` continues, if this person has one."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT id FROM talks WHERE user_id = :user_id AND thread = :thread"
            " ORDER BY id DESC LIMIT 1",
            {"thread": thread},
        )
    )
    return int(rows[0][0]) if rows and thread else None


async def load(store: UserStore, talk: int) -> Talk:
    """Raises: PersonaError: this person has no such talk."""

    def read(db: Any) -> Talk | None:
        rows = db.execute(
            "SELECT id, first, second, topic, shared, started_at FROM talks"
            " WHERE user_id = :user_id AND id = :id",
            {"id": talk},
        )
        if not rows:
            return None
        lines = db.execute(
            "SELECT speaker, name, content, citations, at FROM talk_lines"
            " WHERE user_id = :user_id AND talk_id = :id ORDER BY id",
            {"id": talk},
        )
        r = rows[0]
        said = tuple(Line(s, n, c, citations_from_json(j), float(a)) for s, n, c, j, a in lines)
        return Talk(int(r[0]), r[1], r[2], r[3], tuple(json.loads(r[4])), float(r[5]), said)

    found = await store.read(read)
    if found is None:
        raise PersonaError(
            "talk_unknown",
            f"There is no talk {talk}.",
            "See `os1 converse --list` for the talks you have.",
        )
    return found


async def listed(store: UserStore, limit: int = 50) -> list[Talk]:
    """The person's talks, newest first, each with its lines."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT id FROM talks WHERE user_id = :user_id ORDER BY id DESC LIMIT :limit",
            {"limit": limit},
        )
    )
    return [await load(store, int(r[0])) for r in rows]
