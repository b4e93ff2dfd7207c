"""Each person's pieces, kept with the moment and the memories they photograph.

A piece is kept as its plan and seed, not as audio: the same plan and seed compose the
same notes, so its files can be written again whenever they are wanted (a new device,
a cleared cache) and the database stays small.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from os1.errors import MusicError
from os1.skills.music.moment import Moment, Remembered
from os1.skills.music.plan import PiecePlan
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements


def _pieces(conn: sqlite.Connection) -> None:
    run_statements(
        conn,
        """
        CREATE TABLE music_pieces (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            about TEXT NOT NULL,
            memories TEXT NOT NULL DEFAULT '[]',
            plan TEXT NOT NULL,
            seed INTEGER NOT NULL,
            why TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX music_pieces_user ON music_pieces(user_id, id);
        """,
    )


MIGRATIONS: list[Migration] = [("music_0001_pieces", _pieces)]


@dataclass(frozen=True)
class Shelved:
    """A kept piece: what it is about, the memories it photographs, how to make it again
    (plan and seed) and why it is as it is."""

    id: int
    moment: Moment
    plan: PiecePlan
    seed: int
    why: str
    created_at: float


_COLUMNS = "id, about, memories, plan, seed, why, created_at"


def _shelved(row: Any) -> Shelved:
    memories = tuple(Remembered(m["ref"], m["text"], m["when"]) for m in json.loads(row[2]))
    return Shelved(
        int(row[0]),
        Moment(row[1], memories),
        PiecePlan(**json.loads(row[3])),
        int(row[4]),
        row[5],
        float(row[6]),
    )


async def keep(store: UserStore, moment: Moment, plan: PiecePlan, seed: int, why: str) -> Shelved:
    memories = json.dumps([asdict(m) for m in moment.memories])
    rows = await store.transaction(
        lambda db: db.execute(
            f"INSERT INTO music_pieces (user_id, about, memories, plan, seed, why, created_at)"
            f" VALUES (:user_id, :about, :memories, :plan, :seed, :why, :at) RETURNING {_COLUMNS}",
            {
                "about": moment.about,
                "memories": memories,
                "plan": json.dumps(asdict(plan)),
                "seed": seed,
                "why": why,
                "at": time.time(),
            },
        )
    )
    return _shelved(rows[0])


async def newest_rows(store: UserStore, table: str, columns: str, limit: int) -> list[Any]:
    """The person's newest rows of ``table`` (a music table, never input)."""
    return await store.read(
        lambda db: db.execute(
            f"SELECT {columns} FROM {table} WHERE user_id = :user_id ORDER BY id DESC LIMIT :n",
            {"n": limit},
        )
    )


async def one_row(store: UserStore, table: str, columns: str, row: int) -> Any | None:
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {columns} FROM {table} WHERE user_id = :user_id AND id = :id", {"id": row}
        )
    )
    return rows[0] if rows else None


async def discard_row(store: UserStore, table: str, row: int) -> bool:
    rows = await store.transaction(
        lambda db: db.execute(
            f"DELETE FROM {table} WHERE user_id = :user_id AND id = :id RETURNING id", {"id": row}
        )
    )
    return bool(rows)


async def newest(store: UserStore, limit: int = 50) -> list[Shelved]:
    return [_shelved(r) for r in await newest_rows(store, "music_pieces", _COLUMNS, limit)]


async def one(store: UserStore, piece: int) -> Shelved:
    """Raises: MusicError: the person has no such piece."""
    row = await one_row(store, "music_pieces", _COLUMNS, piece)
    if row is None:
        raise MusicError(
            "music_unknown",
            f"There is no piece {piece}.",
            "See your pieces with `os1 music list` or on the Music page.",
        )
    return _shelved(row)


async def discard(store: UserStore, piece: int) -> bool:
    return await discard_row(store, "music_pieces", piece)
