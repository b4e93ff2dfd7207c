"""One person's slice of the store: every query is scoped to their ``user_id``.

``Scoped`` is the connection as one person sees it, for work spanning several
statements; ``UserStore`` holds the conversation-level operations. Both refuse SQL that
does not name ``:user_id``, so a forgotten filter fails loudly in tests instead of
leaking another person's rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from os1.errors import StoreError
from os1.store.driver import sqlite

if TYPE_CHECKING:
    from os1.store.base import StoreBase, User

T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    content: str
    status: str
    turn_id: str
    created_at: float


def read_status(status: str) -> str:
    """A message's status as read: a reply still ``streaming`` is one cut short (its turn
    is under way, or its process died mid-reply), so it reads as interrupted."""
    return "interrupted" if status == "streaming" else status


def _message(row: Any) -> Message:
    number, conversation, role, content, status, turn_id, at = tuple(row)
    return Message(number, conversation, role, content, read_status(status), turn_id, at)


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

    def __init__(self, db: StoreBase, user: User) -> None:
        self.db = db
        self.user = user

    async def transaction(self, fn: Callable[[Scoped], T]) -> T:
        """Run ``fn`` with this person's scoped connection inside one write transaction."""
        return await self.db.transaction(
            lambda conn: fn(Scoped(conn, self.user.id)), person=self.user.id
        )

    async def read(self, fn: Callable[[Scoped], T]) -> T:
        """Run ``fn`` with this person's scoped connection, for reads."""
        return await self.db.read(lambda conn: fn(Scoped(conn, self.user.id)))

    async def _q(self, sql: str, *params: Any, write: bool = False) -> list[sqlite.Row]:
        if ":user_id" not in sql:
            raise StoreError("unscoped_query", "Refusing a query that is not scoped to a user.")
        named = {"user_id": self.user.id, **{f"p{i}": v for i, v in enumerate(params)}}
        return await self.db.execute(sql, named, write=write, person=self.user.id)

    async def file_reach(self) -> str | None:
        """The person's stored file reach (``skills.reach``), read afresh each time so an
        admin's change holds at once; None once the account is gone."""
        rows = await self._q("SELECT files FROM users WHERE id = :user_id")
        return str(rows[0]["files"]) if rows else None

    # settings: small JSON values (the companion's chosen name, onboarding progress, ...)
    async def get_setting(self, key: str, default: Any = None) -> Any:
        cache = self.db.settings_cache
        values = cache.get(self.user.id)
        if values is None:
            rows = await self._q("SELECT key, value FROM settings WHERE user_id = :user_id")
            values = {row["key"]: row["value"] for row in rows}
            cache.put(self.user.id, values)
        raw = values.get(key)
        return json.loads(raw) if raw is not None else default

    async def set_setting(self, key: str, value: Any) -> None:
        raw = json.dumps(value)
        await self._q(
            "INSERT INTO settings (user_id, key, value, updated_at)"
            " VALUES (:user_id, :p0, :p1, :p2) ON CONFLICT (user_id, key)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            key,
            raw,
            time.time(),
            write=True,
        )
        self.db.settings_cache.update(self.user.id, key, raw)

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

    # leases: work for this person that one process at a time may do
    async def take_lease(self, name: str, holder: str, seconds: float, replacing: str = "") -> bool:
        """Whether ``holder`` now holds lease ``name`` for ``seconds``: taken if free,
        lapsed or held by ``replacing``, renewed if already its own (``store.leases``)."""
        now = time.time()
        rows = await self._q(
            "INSERT INTO leases (user_id, name, holder, until) VALUES (:user_id, :p0, :p1, :p2)"
            " ON CONFLICT (user_id, name) DO UPDATE SET holder = excluded.holder,"
            " until = excluded.until WHERE leases.until < :p3"
            " OR leases.holder IN (excluded.holder, :p4) RETURNING holder",
            name,
            holder,
            now + seconds,
            now,
            replacing,
            write=True,
        )
        return bool(rows)

    async def lease_holder(self, name: str) -> str | None:
        rows = await self._q(
            "SELECT holder FROM leases WHERE user_id = :user_id AND name = :p0", name
        )
        return str(rows[0]["holder"]) if rows else None

    async def end_lease(self, name: str, holder: str) -> None:
        await self._q(
            "DELETE FROM leases WHERE user_id = :user_id AND name = :p0 AND holder = :p1",
            name,
            holder,
            write=True,
        )

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
            " WHERE user_id = :user_id AND conversation_id = :p0 AND id > :p1 ORDER BY id DESC"
        )
        if limit is not None:
            sql += " LIMIT :p2"  # not LIMIT -1 for all: PostgreSQL refuses a negative limit
        rows = await self._q(sql, conversation_id, after_id, limit)
        return [_message(r) for r in reversed(rows)]

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
