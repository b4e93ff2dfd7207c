"""Each person's books: where they came from, what they are, and whether their passages
are in the index yet.

A book is ``reading`` from the moment its passages start going into the index until
the index has committed them; only then is it ``ready``. After a crash a ``reading``
book's passages are taken out of the index again (``unfinished``), so a book is never
half in and never in twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from os1.errors import LibraryError
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements


def _books(conn: sqlite.Connection) -> None:
    run_statements(
        conn,
        """
        CREATE TABLE library_books (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the index knows books by id
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            size INTEGER NOT NULL,
            modified_ns INTEGER NOT NULL,
            digest TEXT NOT NULL DEFAULT '',
            chars INTEGER NOT NULL DEFAULT 0,
            words INTEGER NOT NULL DEFAULT 0,
            passages INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'reading',
            added_at REAL NOT NULL
        );
        CREATE INDEX library_books_user ON library_books(user_id, id);
        CREATE INDEX library_books_source ON library_books(user_id, source);
        """,
    )


def _reading(conn: sqlite.Connection) -> None:
    run_statements(
        conn,
        """
        ALTER TABLE library_books ADD COLUMN read_to INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE library_books ADD COLUMN read_at REAL;
        """,
    )


MIGRATIONS: list[Migration] = [
    ("library_0001_books", _books),
    ("library_0002_reading", _reading),  # where the person stopped reading each book
]


@dataclass(frozen=True)
class Shelved:
    id: int
    title: str
    author: str
    source: str  # the file it was read from
    size: int  # bytes of that file
    chars: int  # characters of the repaired text kept
    words: int
    passages: int
    ready: bool
    added_at: float
    read_to: int = 0  # characters into the kept text where the person stopped reading
    read_at: float | None = None  # when they last read it (None: never)


_COLUMNS = (
    "id, title, author, source, size, chars, words, passages, state, added_at, read_to, read_at"
)


def _shelved(row: Any) -> Shelved:
    return Shelved(
        int(row[0]), row[1], row[2], row[3], int(row[4]), int(row[5]), int(row[6]),
        int(row[7]), row[8] == "ready", float(row[9]), int(row[10]),
        None if row[11] is None else float(row[11]),
    )  # fmt: skip


async def begin(store: UserStore, books: list[tuple[str, str, int, int]]) -> list[int]:
    """New books, ``reading``, from ``(title, source, size, modified_ns)``: their ids,
    committed before any passage is indexed (one transaction for the lot)."""

    def insert(db: Any) -> list[int]:
        ids = []
        for title, source, size, modified in books:
            rows = db.execute(
                "INSERT INTO library_books (user_id, title, source, size, modified_ns, added_at)"
                " VALUES (:user_id, :title, :source, :size, :modified, :at) RETURNING id",
                {"title": title, "source": source, "size": size, "modified": modified,
                 "at": time.time()},
            )  # fmt: skip
            ids.append(int(rows[0][0]))
        return ids

    return await store.transaction(insert) if books else []


@dataclass(frozen=True)
class Read:
    """What reading a book found, kept when its passages are committed."""

    book: int
    title: str
    author: str
    digest: str
    chars: int
    words: int
    passages: int


async def finish(store: UserStore, done: list[Read]) -> None:
    """Mark books ``ready`` (their passages are committed to the index)."""
    if not done:
        return

    def mark(db: Any) -> None:
        for read in done:
            db.execute(
                "UPDATE library_books SET title = :title, author = :author, digest = :digest,"
                " chars = :chars, words = :words, passages = :passages, state = 'ready'"
                " WHERE user_id = :user_id AND id = :id",
                {"id": read.book, "title": read.title, "author": read.author,
                 "digest": read.digest, "chars": read.chars, "words": read.words,
                 "passages": read.passages},
            )  # fmt: skip

    await store.transaction(mark)


async def ready_files(store: UserStore) -> dict[str, tuple[int, int, int]]:
    """Each ready book's source file, with the size and modification time it was read at,
    and the book."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT source, size, modified_ns, id FROM library_books"
            " WHERE user_id = :user_id AND state = 'ready'"
        )
    )
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


async def ready_digests(store: UserStore) -> dict[str, tuple[int, str]]:
    """Each ready book and its title, by the digest of its file's bytes."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT digest, id, title FROM library_books"
            " WHERE user_id = :user_id AND state = 'ready'"
        )
    )
    return {r[0]: (int(r[1]), r[2]) for r in rows}


async def unfinished(store: UserStore) -> list[int]:
    rows = await store.read(
        lambda db: db.execute(
            "SELECT id FROM library_books WHERE user_id = :user_id AND state = 'reading'"
        )
    )
    return [int(r[0]) for r in rows]


async def read_up_to(store: UserStore, book: int, at: int) -> None:
    """Remember that the person read book ``book`` up to character ``at``, now."""
    await store.transaction(
        lambda db: db.execute(
            "UPDATE library_books SET read_to = :at, read_at = :now"
            " WHERE user_id = :user_id AND id = :id",
            {"id": book, "at": at, "now": time.time()},
        )
    )


async def unready(store: UserStore, books: list[int]) -> None:
    """Books on their way out: ``reading`` again until their passages are gone."""

    def mark(db: Any) -> None:
        for book in books:
            db.execute(
                "UPDATE library_books SET state = 'reading' WHERE user_id = :user_id AND id = :id",
                {"id": book},
            )

    await store.transaction(mark)


async def drop(store: UserStore, books: list[int]) -> None:
    def delete(db: Any) -> None:
        for book in books:
            db.execute(
                "DELETE FROM library_books WHERE user_id = :user_id AND id = :id", {"id": book}
            )

    if books:
        await store.transaction(delete)


async def listed(store: UserStore) -> list[Shelved]:
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM library_books WHERE user_id = :user_id"
            " AND state = 'ready' ORDER BY lower(title), id"
        )
    )
    return [_shelved(r) for r in rows]


async def some(store: UserStore, books: list[int]) -> dict[int, Shelved]:
    """The ready books among ``books``, by id."""
    if not books:
        return {}
    marks = ", ".join(f":b{n}" for n in range(len(books)))
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM library_books WHERE user_id = :user_id"
            f" AND state = 'ready' AND id IN ({marks})",
            {f"b{n}": book for n, book in enumerate(books)},
        )
    )
    return {int(r[0]): _shelved(r) for r in rows}


async def one(store: UserStore, book: int) -> Shelved:
    """Raises: LibraryError: the person has no such book."""
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM library_books WHERE user_id = :user_id AND id = :id"
            " AND state = 'ready'",
            {"id": book},
        )
    )
    if not rows:
        raise LibraryError(
            "library_unknown",
            f"There is no book {book} in your library.",
            "See your books with `os1 library list`.",
        )
    return _shelved(rows[0])
