"""Each person's letters, every version kept: who it is for, what it should carry, the
words of each revision ("warmer"), the text, the memories it cites and the sentences no
memory backs. A revision is a new version; the old ones stay, so any can be shown or
put on paper again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from os1.errors import LetterError
from os1.skills.letters.compose import LetterDraft, Source
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements
from os1.store.user import Scoped


def _letters(conn: sqlite.Connection) -> None:
    """Letters by person; ``letter`` is the first version's id, shared by its versions."""
    run_statements(
        conn,
        """
        CREATE TABLE letters (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            letter INTEGER NOT NULL,
            version INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            about TEXT NOT NULL,
            change TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            cited TEXT NOT NULL DEFAULT '[]',
            unsupported TEXT NOT NULL DEFAULT '[]',
            shown TEXT NOT NULL DEFAULT '[]',
            created_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX letters_version ON letters(user_id, letter, version);
        """,
    )


MIGRATIONS: list[Migration] = [("letters_0001_archive", _letters)]


@dataclass(frozen=True)
class Kept:
    """One version of a letter in the archive."""

    letter: int
    version: int
    change: str
    created_at: float
    draft: LetterDraft


def _sources(data: str) -> tuple[Source, ...]:
    return tuple(Source.from_data(s) for s in json.loads(data))


def _dump(sources: tuple[Source, ...]) -> str:
    return json.dumps([s.as_data() for s in sources])


def _kept(row: Any) -> Kept:
    draft = LetterDraft(
        recipient=row[3],
        about=row[4],
        text=row[6],
        cited=_sources(row[7]),
        unsupported=tuple(json.loads(row[8])),
        shown=_sources(row[9]),
    )
    return Kept(int(row[1]), int(row[2]), row[5], float(row[10]), draft)


_COLUMNS = (
    "id, letter, version, recipient, about, change, text, cited, unsupported, shown, created_at"
)


async def keep(store: UserStore, draft: LetterDraft, *, letter: int = 0, change: str = "") -> Kept:
    """``draft`` as a new letter (``letter`` 0) or the next version of ``letter``."""

    def write(db: Scoped) -> Kept:
        version = 1
        if letter:
            rows = db.execute(
                "SELECT MAX(version) FROM letters WHERE user_id = :user_id AND letter = :l",
                {"l": letter},
            )
            version = int(rows[0][0] or 0) + 1
        rows = db.execute(
            "INSERT INTO letters (user_id, letter, version, recipient, about, change, text,"
            " cited, unsupported, shown, created_at) VALUES (:user_id, :letter, :version, :to,"
            " :about, :change, :text, :cited, :unsupported, :shown, :at) RETURNING id",
            {
                "letter": letter or 0,
                "version": version,
                "to": draft.recipient,
                "about": draft.about,
                "change": change,
                "text": draft.text,
                "cited": _dump(draft.cited),
                "unsupported": json.dumps(list(draft.unsupported)),
                "shown": _dump(draft.shown),
                "at": time.time(),
            },
        )
        new = int(rows[0][0])
        if not letter:
            db.execute("UPDATE letters SET letter = :id WHERE id = :id AND user_id = :user_id",
                       {"id": new})  # fmt: skip
        found = db.execute(f"SELECT {_COLUMNS} FROM letters WHERE id = :id AND user_id = :user_id",
                           {"id": new})  # fmt: skip
        return _kept(found[0])

    return await store.transaction(write)


async def discard(store: UserStore, letter: int) -> int:
    """Remove ``letter`` with all its versions; how many versions went (0: no such letter)."""
    rows = await store.transaction(
        lambda db: db.execute(
            "DELETE FROM letters WHERE user_id = :user_id AND letter = :l RETURNING id",
            {"l": letter},
        )
    )
    return len(rows)


async def versions(store: UserStore, letter: int) -> list[Kept]:
    """Every version of ``letter``, oldest first ([] if the person has no such letter)."""
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM letters WHERE user_id = :user_id AND letter = :l"
            " ORDER BY version",
            {"l": letter},
        )
    )
    return [_kept(r) for r in rows]


async def version(store: UserStore, letter: int, number: int = 0) -> Kept:
    """Version ``number`` of ``letter`` (the newest for 0).

    Raises:
        LetterError: the person has no such letter, or it has no such version.
    """
    found = await versions(store, letter)
    if not found:
        raise LetterError(
            "letter_unknown",
            f"There is no letter {letter}.",
            "See your letters with `os1 letters list` or on the Letters page.",
        )
    chosen = [k for k in found if k.version == number] if number else found[-1:]
    if not chosen:
        raise LetterError(
            "letter_version", f"Letter {letter} has versions 1 to {len(found)}, not {number}."
        )
    return chosen[0]


async def newest(store: UserStore, limit: int = 50) -> list[tuple[Kept, int]]:
    """Each letter's newest version with its number of versions, newest letter first."""
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS}, (SELECT COUNT(*) FROM letters o WHERE o.user_id = l.user_id"
            " AND o.letter = l.letter) FROM letters l WHERE user_id = :user_id AND version ="
            " (SELECT MAX(version) FROM letters m WHERE m.user_id = l.user_id AND m.letter ="
            " l.letter) ORDER BY letter DESC LIMIT :n",
            {"n": limit},
        )
    )
    return [(_kept(r), int(r[11])) for r in rows]
