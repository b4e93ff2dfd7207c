"""Each person's songs, kept with their words, their plan and the memories behind them.

The words are the model's, so they are kept as written; the music is kept as its plan
(key, tempo, chorus, seed) and written again from it whenever files are wanted. A
revision is a new song that points to the one it changed, which stays as it was.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from os1.errors import MusicError
from os1.skills.music.moment import Moment, Remembered
from os1.skills.music.plan import Lyrics, SongPlan
from os1.skills.music.shelf import discard_row, newest_rows, one_row
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements


def _songs(conn: sqlite.Connection) -> None:
    run_statements(
        conn,
        """
        CREATE TABLE music_songs (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            about TEXT NOT NULL,
            memories TEXT NOT NULL DEFAULT '[]',
            lyrics TEXT NOT NULL,
            plan TEXT NOT NULL,
            why TEXT NOT NULL,
            revised_from INTEGER,
            created_at REAL NOT NULL
        );
        CREATE INDEX music_songs_user ON music_songs(user_id, id);
        """,
    )


MIGRATIONS: list[Migration] = [("music_0002_songs", _songs)]


@dataclass(frozen=True)
class KeptSong:
    """A kept song: its moment, words, plan (the music made again from it), why, and
    the song it revised, if any."""

    id: int
    moment: Moment
    lyrics: Lyrics
    plan: SongPlan
    why: str
    revised_from: int | None
    created_at: float


_COLUMNS = "id, about, memories, lyrics, plan, why, revised_from, created_at"


def _kept(row: Any) -> KeptSong:
    memories = tuple(Remembered(m["ref"], m["text"], m["when"]) for m in json.loads(row[2]))
    return KeptSong(
        int(row[0]),
        Moment(row[1], memories),
        Lyrics.from_data(json.loads(row[3])),
        SongPlan(**json.loads(row[4])),
        row[5],
        None if row[6] is None else int(row[6]),
        float(row[7]),
    )


async def keep(
    store: UserStore,
    moment: Moment,
    lyrics: Lyrics,
    plan: SongPlan,
    why: str,
    revised_from: int | None = None,
) -> KeptSong:
    rows = await store.transaction(
        lambda db: db.execute(
            "INSERT INTO music_songs (user_id, about, memories, lyrics, plan, why,"
            " revised_from, created_at) VALUES (:user_id, :about, :memories, :lyrics, :plan,"
            f" :why, :revised_from, :at) RETURNING {_COLUMNS}",
            {
                "about": moment.about,
                "memories": json.dumps([asdict(m) for m in moment.memories]),
                "lyrics": json.dumps(asdict(lyrics)),
                "plan": json.dumps(asdict(plan)),
                "why": why,
                "revised_from": revised_from,
                "at": time.time(),
            },
        )
    )
    return _kept(rows[0])


async def newest(store: UserStore, limit: int = 50) -> list[KeptSong]:
    return [_kept(r) for r in await newest_rows(store, "music_songs", _COLUMNS, limit)]


async def one(store: UserStore, song: int) -> KeptSong:
    """Raises: MusicError: the person has no such song."""
    row = await one_row(store, "music_songs", _COLUMNS, song)
    if row is None:
        raise MusicError(
            "music_song_unknown",
            f"There is no song {song}.",
            "See your songs with `os1 music list` or on the Music page.",
        )
    return _kept(row)


async def discard(store: UserStore, song: int) -> bool:
    return await discard_row(store, "music_songs", song)
