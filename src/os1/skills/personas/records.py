"""Where a person's personas are kept: each persona's consent and sources, every version
built (style, languages, self-description), the statements derived with the passages
they cite, and what was said with it. Scoped to the persona's owner like every row."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from os1.errors import PersonaError
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements


def _personas(conn: sqlite.Connection) -> None:
    run_statements(
        conn,
        """
        CREATE TABLE personas (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,               -- author | person
            writer TEXT NOT NULL DEFAULT '',  -- the writer's name as their books give it
            consent TEXT NOT NULL DEFAULT '',
            consent_until TEXT,               -- ISO date the consent ends, when it says
            created_at REAL NOT NULL,
            UNIQUE (user_id, name)
        );
        CREATE TABLE persona_books (
            persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            book INTEGER NOT NULL,
            brought INTEGER NOT NULL,  -- 1: put on the shelf by building the persona
            PRIMARY KEY (persona_id, book)
        );
        CREATE TABLE persona_versions (
            persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            built_at REAL NOT NULL,
            books TEXT NOT NULL,
            style TEXT NOT NULL,
            languages TEXT NOT NULL,
            self_description TEXT NOT NULL,
            seconds REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (persona_id, version)
        );
        CREATE TABLE persona_statements (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            kind TEXT NOT NULL,  -- position | fact
            text TEXT NOT NULL,
            support REAL NOT NULL,
            citations TEXT NOT NULL
        );
        CREATE INDEX persona_statements_of ON persona_statements(persona_id, version);
        CREATE TABLE persona_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            citations TEXT NOT NULL DEFAULT '[]',
            at REAL NOT NULL
        );
        CREATE INDEX persona_messages_of ON persona_messages(persona_id, id);
        """,
    )


MIGRATIONS: list[Migration] = [("personas_0001", _personas)]


@dataclass(frozen=True)
class Citation:
    """A span of a source book's kept text: ``text == kept[start:end]``."""

    book: int
    start: int
    end: int
    text: str
    title: str = ""


@dataclass(frozen=True)
class Statement:
    kind: str  # position | fact
    text: str
    support: float  # share of its telling words found in the passages it cites
    citations: tuple[Citation, ...]

    @property
    def supported(self) -> bool:
        return self.support >= SUPPORTED


SUPPORTED = 0.5


@dataclass(frozen=True)
class Version:
    number: int
    built_at: float
    books: tuple[int, ...]
    style: dict[str, Any]
    languages: tuple[str, ...]
    self_description: str
    seconds: float
    statements: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class Persona:
    id: int
    name: str
    kind: str
    writer: str
    consent: str
    consent_until: str | None
    created_at: float
    version: Version
    versions: int
    brought: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Said:
    role: str  # user | persona
    content: str
    citations: tuple[Citation, ...]
    at: float


def citations_json(citations: tuple[Citation, ...]) -> str:
    return json.dumps([[c.book, c.start, c.end, c.text, c.title] for c in citations])


def citations_from_json(raw: str) -> tuple[Citation, ...]:
    return tuple(
        Citation(int(b), int(s), int(e), str(t), str(n)) for b, s, e, t, n in json.loads(raw)
    )


async def persona_id(store: UserStore, name: str) -> int | None:
    rows = await store.read(
        lambda db: db.execute(
            "SELECT id FROM personas WHERE user_id = :user_id AND name = :name", {"name": name}
        )
    )
    return int(rows[0][0]) if rows else None


@dataclass(frozen=True)
class Built:
    """One build's outcome, saved as the persona's next version."""

    name: str
    kind: str
    writer: str
    consent: str | None  # None: keep the consent already recorded
    consent_until: str | None
    books: tuple[int, ...]  # every source of this version
    brought: tuple[int, ...]  # the books this build put on the shelf
    style: dict[str, Any]
    languages: tuple[str, ...]
    self_description: str
    statements: tuple[Statement, ...]
    seconds: float


async def save(store: UserStore, built: Built) -> int:
    """Save ``built`` as a new persona or its next version, all at once; its number."""

    def write(db: Any) -> int:
        now = time.time()
        rows = db.execute(
            "SELECT id FROM personas WHERE user_id = :user_id AND name = :name",
            {"name": built.name},
        )
        if rows:
            pid = int(rows[0][0])
            if built.consent is not None:
                db.execute(
                    "UPDATE personas SET consent = :consent, consent_until = :until"
                    " WHERE user_id = :user_id AND id = :id",
                    {"consent": built.consent, "until": built.consent_until, "id": pid},
                )
            db.execute(
                "UPDATE personas SET writer = :writer WHERE user_id = :user_id AND id = :id",
                {"writer": built.writer, "id": pid},
            )
        else:
            pid = int(db.execute(
                "INSERT INTO personas (user_id, name, kind, writer, consent, consent_until,"
                " created_at) VALUES (:user_id, :name, :kind, :writer, :consent, :until, :now)"
                " RETURNING id",
                {"name": built.name, "kind": built.kind, "writer": built.writer,
                 "consent": built.consent or "", "until": built.consent_until, "now": now},
            )[0][0])  # fmt: skip
        last = db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM persona_versions"
            " WHERE user_id = :user_id AND persona_id = :id",
            {"id": pid},
        )
        number = int(last[0][0]) + 1
        for book in built.books:
            db.execute(
                "INSERT INTO persona_books (persona_id, user_id, book, brought)"
                " VALUES (:id, :user_id, :book, :brought) ON CONFLICT DO NOTHING",
                {"id": pid, "book": book, "brought": int(book in built.brought)},
            )
        db.execute(
            "INSERT INTO persona_versions (persona_id, user_id, version, built_at, books, style,"
            " languages, self_description, seconds) VALUES (:id, :user_id, :version, :now,"
            " :books, :style, :languages, :me, :seconds)",
            {"id": pid, "version": number, "now": now, "books": json.dumps(list(built.books)),
             "style": json.dumps(built.style), "languages": json.dumps(list(built.languages)),
             "me": built.self_description, "seconds": built.seconds},
        )  # fmt: skip
        for said in built.statements:
            db.execute(
                "INSERT INTO persona_statements (persona_id, user_id, version, kind, text,"
                " support, citations) VALUES (:id, :user_id, :version, :kind, :text, :support,"
                " :citations)",
                {"id": pid, "version": number, "kind": said.kind, "text": said.text,
                 "support": said.support, "citations": citations_json(said.citations)},
            )  # fmt: skip
        return number

    return int(await store.transaction(write))


def _unknown(name: str) -> PersonaError:
    return PersonaError(
        "persona_unknown",
        f"There is no persona called {name!r}.",
        "See `os1 persona list`, or build one with `os1 persona build`.",
    )


async def load(store: UserStore, name: str, version: int | None = None) -> Persona:
    """The persona ``name`` at ``version`` (its latest when None).

    Raises:
        PersonaError: there is no such persona or version.
    """

    def read(db: Any) -> Persona | None:
        rows = db.execute(
            "SELECT id, name, kind, writer, consent, consent_until, created_at FROM personas"
            " WHERE user_id = :user_id AND name = :name",
            {"name": name},
        )
        if not rows:
            return None
        pid = int(rows[0][0])
        count = int(db.execute(
            "SELECT COUNT(*) FROM persona_versions WHERE user_id = :user_id AND persona_id = :id",
            {"id": pid},
        )[0][0])  # fmt: skip
        wanted = version if version is not None else count
        found = db.execute(
            "SELECT version, built_at, books, style, languages, self_description, seconds"
            " FROM persona_versions WHERE user_id = :user_id AND persona_id = :id"
            " AND version = :version",
            {"id": pid, "version": wanted},
        )
        if not found:
            return None
        said = db.execute(
            "SELECT kind, text, support, citations FROM persona_statements"
            " WHERE user_id = :user_id AND persona_id = :id AND version = :version ORDER BY id",
            {"id": pid, "version": wanted},
        )
        brought = db.execute(
            "SELECT book FROM persona_books WHERE user_id = :user_id AND persona_id = :id"
            " AND brought = 1",
            {"id": pid},
        )
        v = found[0]
        statements = tuple(Statement(k, t, float(s), citations_from_json(c)) for k, t, s, c in said)
        built = Version(int(v[0]), float(v[1]), tuple(json.loads(v[2])), json.loads(v[3]),
                        tuple(json.loads(v[4])), v[5], float(v[6]), statements)  # fmt: skip
        r = rows[0]
        return Persona(pid, r[1], r[2], r[3], r[4], r[5], float(r[6]), built, count,
                       frozenset(int(b[0]) for b in brought))  # fmt: skip

    persona = await store.read(read)
    if persona is None:
        raise _unknown(name)
    return persona


async def names(store: UserStore) -> list[str]:
    rows = await store.read(
        lambda db: db.execute(
            "SELECT name FROM personas WHERE user_id = :user_id ORDER BY lower(name), name"
        )
    )
    return [r[0] for r in rows]


async def books_of_others(store: UserStore, persona: int) -> set[int]:
    """The books other personas of this person stand on."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT book FROM persona_books WHERE user_id = :user_id AND persona_id != :id",
            {"id": persona},
        )
    )
    return {int(r[0]) for r in rows}


async def remove(store: UserStore, persona: int) -> None:
    """The persona and everything derived from it (versions, statements, what was said)."""
    await store.transaction(
        lambda db: db.execute(
            "DELETE FROM personas WHERE user_id = :user_id AND id = :id", {"id": persona}
        )
    )


async def keep_said(
    store: UserStore, persona: int, role: str, content: str, citations: tuple[Citation, ...] = ()
) -> int:
    values = {"id": persona, "role": role, "content": content,
              "citations": citations_json(citations), "at": time.time()}  # fmt: skip
    rows = await store.transaction(
        lambda db: db.execute(
            "INSERT INTO persona_messages (persona_id, user_id, role, content, citations, at)"
            " VALUES (:id, :user_id, :role, :content, :citations, :at) RETURNING id",
            values,
        )
    )
    return int(rows[0][0])


async def said(store: UserStore, persona: int, limit: int) -> list[Said]:
    """The last ``limit`` messages with the persona, oldest first."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT role, content, citations, at FROM persona_messages"
            " WHERE user_id = :user_id AND persona_id = :id ORDER BY id DESC LIMIT :limit",
            {"id": persona, "limit": limit},
        )
    )
    return [Said(r[0], r[1], citations_from_json(r[2]), float(r[3])) for r in reversed(rows)]
