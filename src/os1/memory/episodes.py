"""Episodes: everything said or read, verbatim, with its own time, speaker and source.

An episode is the evidence every other memory points back to. Chat turns, imported
conversations and (later) mails, files and book passages all land here. Imported items
keep their original timestamps and ids (``source_id``); a ``(source, source_id)`` pair is
stored once, which is what makes an interrupted import safe to run again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from os1.store import UserStore
from os1.store.user import Scoped

_COLUMNS = "id, source, source_id, session, speaker, text, time, importance"


@dataclass(frozen=True)
class NewEpisode:
    speaker: str
    text: str
    time: float = field(default_factory=time.time)
    source: str = "chat"
    source_id: str = ""
    session: str = ""
    importance: float = 0.5
    learned: bool = True  # False: facts still to be extracted from it


@dataclass(frozen=True)
class Episode:
    id: int
    source: str
    source_id: str
    session: str
    speaker: str
    text: str
    time: float
    importance: float


def _row(episode: NewEpisode, now: float) -> dict[str, Any]:
    return {
        "source": episode.source,
        "source_id": episode.source_id,
        "session": episode.session,
        "speaker": episode.speaker,
        "text": episode.text,
        "time": episode.time,
        "created_at": now,
        "importance": episode.importance,
        "learned": int(episode.learned),
    }


_INSERT = (
    "INSERT OR IGNORE INTO episodes (user_id, source, source_id, session, speaker, text, time,"
    " created_at, importance, learned) VALUES (:user_id, :source, :source_id, :session,"
    " :speaker, :text, :time, :created_at, :importance, :learned)"
)


def insert_episodes(db: Scoped, episodes: list[NewEpisode]) -> int:
    """Insert inside the caller's transaction; returns how many were new."""
    now = time.time()
    return db.executemany(_INSERT, [_row(e, now) for e in episodes])


def to_episode(row: Any) -> Episode:
    return Episode(*tuple(row))


class EpisodeLog:
    """One person's episodes."""

    def __init__(self, store: UserStore) -> None:
        self.store = store

    async def add(self, episode: NewEpisode) -> int:
        """Store one episode; returns its id (the existing one if already stored)."""

        def work(db: Scoped) -> int:
            row = _row(episode, time.time())
            added = db.execute(_INSERT + " RETURNING id", row)
            if added:
                return int(added[0][0])
            found = db.execute(
                "SELECT id FROM episodes WHERE user_id = :user_id AND source = :source"
                " AND source_id = :source_id",
                row,
            )
            return int(found[0][0])

        return await self.store.transaction(work)

    async def add_many(self, episodes: list[NewEpisode]) -> int:
        """Store a batch in one transaction; returns how many were new."""
        return await self.store.transaction(lambda db: insert_episodes(db, episodes))

    async def get(self, ids: list[int]) -> list[Episode]:
        if not ids:
            return []
        marks = ",".join(str(int(i)) for i in ids)
        rows = await self.store.read(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM episodes WHERE +user_id = :user_id AND id IN ({marks})"
            )
        )
        by_id = {r[0]: to_episode(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def unlearned(self, limit: int = 8) -> list[Episode]:
        """The oldest episodes still waiting for fact extraction."""
        rows = await self.store.read(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM episodes WHERE user_id = :user_id AND learned = 0"
                " ORDER BY id LIMIT :n",
                {"n": limit},
            )
        )
        return [to_episode(r) for r in rows]

    async def mark_learned(self, ids: list[int]) -> None:
        marks = ",".join(str(int(i)) for i in ids) or "NULL"
        await self.store.transaction(
            lambda db: db.execute(
                f"UPDATE episodes SET learned = 1 WHERE +user_id = :user_id AND id IN ({marks})"
            )
        )

    async def recent(self, limit: int = 20, before: float | None = None) -> list[Episode]:
        rows = await self.store.read(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM episodes WHERE user_id = :user_id AND time < :before"
                " ORDER BY time DESC, id DESC LIMIT :limit",
                {"before": before if before is not None else float("inf"), "limit": limit},
            )
        )
        return [to_episode(r) for r in rows]

    async def count(self) -> int:
        rows = await self.store.read(
            lambda db: db.execute("SELECT COUNT(*) FROM episodes WHERE user_id = :user_id")
        )
        return int(rows[0][0])
