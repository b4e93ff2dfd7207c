"""SQLite store: one connection, one worker thread, WAL, per-user scoping.

All access goes through a single-thread executor (after datasette's one-writer design), so
the event loop never blocks on disk and writes never contend. ``synchronous=FULL`` plus WAL
means a committed turn survives ``kill -9`` and power loss alike.

Isolation is structural: the only way to reach a person's rows is a ``UserStore``, which
you get from ``Database.user(name)``, and every statement it runs must filter on
``user_id`` (checked at run time, so a forgotten filter fails loudly in tests).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from os1.errors import StoreError
from os1.store.driver import connect, sqlite
from os1.store.migrations import apply_migrations

T = TypeVar("T")


@dataclass(frozen=True)
class User:
    id: int
    name: str


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    content: str
    status: str
    turn_id: str
    created_at: float


@dataclass(frozen=True)
class Conversation:
    id: int
    started_at: float
    title: str
    message_count: int


@dataclass(frozen=True)
class Summary:
    upto_message_id: int
    text: str


@dataclass(frozen=True)
class OnboardingAnswer:
    topic: str
    question: str
    answer: str
    message_id: int | None


def _disk_nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        return False


def store_error(exc: sqlite.Error, path: Path) -> StoreError:
    """Turn an SQLite error into one a person can act on.

    A full disk shows up as SQLITE_FULL, or as a plain I/O error when the WAL file cannot
    grow; the free space tells the two apart.
    """
    text = str(exc).lower()
    if "i/o error" in text and _disk_nearly_full(path.parent):
        text = "disk full"
    where = f"the data folder {path.parent}"
    if "readonly" in text or "read-only" in text:
        return StoreError(
            "store_readonly",
            f"Cannot write to {where}: it is read-only.",
            "Set OS1_HOME to a writable folder, or fix the folder's permissions.",
        )
    if "full" in text:
        return StoreError(
            "disk_full",
            f"The disk holding {where} is full; nothing more can be saved.",
            "Free some space (or set OS1_HOME elsewhere) and try again;"
            " nothing saved earlier is lost.",
        )
    if "malformed" in text or "not a database" in text:
        return StoreError(
            "store_corrupt",
            f"The database {path} is damaged: {exc}.",
            "Move it aside to start afresh; `os1 doctor` can check it.",
        )
    if "unable to open" in text:
        return StoreError(
            "store_unavailable",
            f"Cannot open the database in {where}.",
            "Check that the folder exists and is writable, or set OS1_HOME.",
        )
    return StoreError("store_failed", f"The database failed: {exc}.")


class Database:
    """The whole store. Open with ``await Database.open(path)``; close with ``aclose``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-store")
        self._conn: sqlite.Connection | None = None

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database at ``path``.

        Raises:
            StoreError: the folder cannot be created or written, the disk is full, or the
                file is not a usable database.
        """
        db = cls(path)
        try:
            await db._run(db._connect)
        except BaseException:
            db._executor.shutdown(wait=False)
            raise
        return db

    def _connect(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                "store_unavailable",
                f"Cannot create the data folder {self.path.parent}: {exc.strerror}.",
                "Set OS1_HOME to a writable folder, or fix the folder's permissions.",
            ) from exc
        try:
            conn = connect(self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            apply_migrations(conn)
        except sqlite.Error as exc:
            raise store_error(exc, self.path) from exc
        self._conn = conn

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _conn_or_raise(self) -> sqlite.Connection:
        if self._conn is None:
            raise StoreError("store_closed", "The database is closed.")
        return self._conn

    async def execute(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *, write: bool = False
    ) -> list[sqlite.Row]:
        """Run one statement on the store's thread; writes run in their own transaction."""

        def work() -> list[sqlite.Row]:
            conn = self._conn_or_raise()
            conn.row_factory = sqlite.Row
            try:
                if not write:
                    found: list[sqlite.Row] = conn.execute(sql, params).fetchall()
                    return found
                conn.execute("BEGIN IMMEDIATE")
                try:
                    rows: list[sqlite.Row] = conn.execute(sql, params).fetchall()
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:  # SQLite rolls back by itself on SQLITE_FULL
                        conn.execute("ROLLBACK")
                    raise
                return rows
            except sqlite.Error as exc:
                raise store_error(exc, self.path) from exc

        return await self._run(work)

    async def transaction(self, fn: Callable[[sqlite.Connection], T]) -> T:
        """Run ``fn(connection)`` on the store's thread inside one write transaction."""

        def work() -> T:
            conn = self._conn_or_raise()
            conn.row_factory = sqlite.Row
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result
            except sqlite.Error as exc:
                raise store_error(exc, self.path) from exc

        return await self._run(work)

    async def read(self, fn: Callable[[sqlite.Connection], T]) -> T:
        """Run ``fn(connection)`` on the store's thread, outside any transaction."""

        def work() -> T:
            conn = self._conn_or_raise()
            conn.row_factory = sqlite.Row
            try:
                return fn(conn)
            except sqlite.Error as exc:
                raise store_error(exc, self.path) from exc

        return await self._run(work)

    async def user(self, name: str, create: bool = True) -> UserStore:
        """The store scoped to the person called ``name`` (created on first use).

        Raises:
            StoreError: ``create`` is false and no such user exists, or the name is unusable.
        """
        clean = name.strip()
        if not clean or len(clean) > 64 or any(ord(c) < 32 for c in clean):
            raise StoreError(
                "user_invalid",
                f"{name!r} is not a usable user name.",
                "Use 1-64 printable characters, e.g. --user alice.",
            )
        rows = await self.execute("SELECT id, name FROM users WHERE name = ?", (clean,))
        if not rows:
            if not create:
                raise StoreError("user_unknown", f"There is no user called {clean!r}.")
            await self.execute(
                "INSERT OR IGNORE INTO users (name, created_at) VALUES (?, ?)",
                (clean, time.time()),
                write=True,
            )
            rows = await self.execute("SELECT id, name FROM users WHERE name = ?", (clean,))
        return UserStore(self, User(rows[0]["id"], rows[0]["name"]))

    async def check(self) -> str:
        """SQLite's quick integrity check: ``"ok"`` or the first problem found."""
        rows = await self.execute("PRAGMA quick_check")
        return str(rows[0][0]) if rows else "no answer"

    async def aclose(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._run(conn.close)
        self._executor.shutdown(wait=True)


class Scoped:
    """One person's view of the connection, for work that spans several statements.

    Every statement must name ``:user_id``, which is bound to the person's id.
    """

    def __init__(self, conn: sqlite.Connection, user_id: int) -> None:
        self.conn = conn
        self.user_id = user_id

    def _check(self, sql: str) -> None:
        if ":user_id" not in sql:
            raise StoreError("unscoped_query", "Refusing a query that is not scoped to a user.")

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[sqlite.Row]:
        self._check(sql)
        rows: list[sqlite.Row] = self.conn.execute(
            sql, {**(params or {}), "user_id": self.user_id}
        ).fetchall()
        return rows

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> int:
        """Run ``sql`` once per row; returns how many rows it changed."""
        self._check(sql)
        cursor = self.conn.executemany(sql, [{**row, "user_id": self.user_id} for row in rows])
        return int(cursor.rowcount)


class UserStore:
    """Everything one person owns. Every statement filters on their ``user_id``."""

    def __init__(self, db: Database, user: User) -> None:
        self.db = db
        self.user = user

    async def transaction(self, fn: Callable[[Scoped], T]) -> T:
        """Run ``fn`` with this person's scoped connection inside one write transaction."""
        return await self.db.transaction(lambda conn: fn(Scoped(conn, self.user.id)))

    async def read(self, fn: Callable[[Scoped], T]) -> T:
        """Run ``fn`` with this person's scoped connection, for reads."""
        return await self.db.read(lambda conn: fn(Scoped(conn, self.user.id)))

    async def _q(self, sql: str, *params: Any, write: bool = False) -> list[sqlite.Row]:
        if ":user_id" not in sql:
            raise StoreError("unscoped_query", "Refusing a query that is not scoped to a user.")
        named = {"user_id": self.user.id, **{f"p{i}": v for i, v in enumerate(params)}}
        return await self.db.execute(sql, named, write=write)

    # settings: small JSON values (the companion's chosen name, onboarding progress, ...)
    async def get_setting(self, key: str, default: Any = None) -> Any:
        rows = await self._q(
            "SELECT value FROM settings WHERE user_id = :user_id AND key = :p0", key
        )
        return json.loads(rows[0]["value"]) if rows else default

    async def set_setting(self, key: str, value: Any) -> None:
        await self._q(
            "INSERT INTO settings (user_id, key, value, updated_at)"
            " VALUES (:user_id, :p0, :p1, :p2) ON CONFLICT (user_id, key)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            key,
            json.dumps(value),
            time.time(),
            write=True,
        )

    # conversations
    async def new_conversation(self, title: str = "") -> int:
        rows = await self._q(
            "INSERT INTO conversations (user_id, started_at, title) VALUES (:user_id, :p0, :p1)"
            " RETURNING id",
            time.time(),
            title,
            write=True,
        )
        return int(rows[0]["id"])

    async def latest_conversation(self) -> int | None:
        rows = await self._q(
            "SELECT id FROM conversations WHERE user_id = :user_id ORDER BY id DESC LIMIT 1"
        )
        return int(rows[0]["id"]) if rows else None

    async def conversations(self, limit: int = 50) -> list[Conversation]:
        rows = await self._q(
            "SELECT c.id, c.started_at, c.title, COUNT(m.id) AS n FROM conversations c"
            " LEFT JOIN messages m ON m.conversation_id = c.id AND m.user_id = :user_id"
            " WHERE c.user_id = :user_id GROUP BY c.id ORDER BY c.id DESC LIMIT :p0",
            limit,
        )
        return [Conversation(r["id"], r["started_at"], r["title"], r["n"]) for r in rows]

    # messages
    async def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        status: str = "complete",
        turn_id: str = "",
    ) -> int:
        rows = await self._q(
            "INSERT INTO messages (user_id, conversation_id, role, content, status, turn_id,"
            " created_at) SELECT :user_id, id, :p1, :p2, :p3, :p4, :p5 FROM conversations"
            " WHERE id = :p0 AND user_id = :user_id RETURNING id",
            conversation_id,
            role,
            content,
            status,
            turn_id,
            time.time(),
            write=True,
        )
        if not rows:
            raise StoreError("conversation_unknown", f"No conversation {conversation_id}.")
        return int(rows[0]["id"])

    async def update_message(self, message_id: int, content: str, status: str) -> None:
        await self._q(
            "UPDATE messages SET content = :p1, status = :p2 WHERE id = :p0 AND user_id = :user_id",
            message_id,
            content,
            status,
            write=True,
        )

    async def messages(
        self, conversation_id: int, after_id: int = 0, limit: int | None = None
    ) -> list[Message]:
        """Messages of a conversation in order; with ``limit``, the newest ``limit`` of them."""
        sql = (
            "SELECT id, conversation_id, role, content, status, turn_id, created_at FROM messages"
            " WHERE user_id = :user_id AND conversation_id = :p0 AND id > :p1"
            " ORDER BY id DESC LIMIT :p2"
        )
        rows = await self._q(sql, conversation_id, after_id, -1 if limit is None else limit)
        return [Message(*tuple(r)) for r in reversed(rows)]

    # rolling summaries of older turns
    async def latest_summary(self, conversation_id: int) -> Summary | None:
        rows = await self._q(
            "SELECT upto_message_id, text FROM summaries WHERE user_id = :user_id"
            " AND conversation_id = :p0 ORDER BY id DESC LIMIT 1",
            conversation_id,
        )
        return Summary(rows[0]["upto_message_id"], rows[0]["text"]) if rows else None

    async def save_summary(self, conversation_id: int, upto_message_id: int, text: str) -> None:
        await self._q(
            "INSERT INTO summaries (user_id, conversation_id, upto_message_id, text, created_at)"
            " VALUES (:user_id, :p0, :p1, :p2, :p3)",
            conversation_id,
            upto_message_id,
            text,
            time.time(),
            write=True,
        )

    # onboarding answers: what the person said when the companion first met them
    async def add_onboarding_answer(
        self, topic: str, question: str, answer: str, message_id: int | None
    ) -> None:
        await self._q(
            "INSERT INTO onboarding_answers (user_id, topic, question, answer, message_id,"
            " created_at) VALUES (:user_id, :p0, :p1, :p2, :p3, :p4)",
            topic,
            question,
            answer,
            message_id,
            time.time(),
            write=True,
        )

    async def onboarding_answers(self) -> list[OnboardingAnswer]:
        rows = await self._q(
            "SELECT topic, question, answer, message_id FROM onboarding_answers"
            " WHERE user_id = :user_id ORDER BY id"
        )
        return [OnboardingAnswer(*tuple(r)) for r in rows]
