"""Finding passages in a person's library: the words searched, the books they belong to
read from the shelf, and each passage's text read back from its book's kept text.

Shared by the core (every door's ``os1 library search``) and the conversation's
``search_library`` tool."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from os1.errors import LibraryError
from os1.skills.library import shelf
from os1.skills.library.index import Found, PassageIndex
from os1.store import UserStore

LONGEST_QUERY = 4000  # characters


@dataclass(frozen=True)
class Hit:
    book: int
    title: str
    author: str
    chapter: str
    start: int  # offsets into the book's kept text (``Library.text``)
    end: int
    text: str
    score: float


def library_folder(home: Path, user_id: int) -> Path:
    """Where a person's library lives: its index, and the kept text of each book."""
    return home / "library" / str(user_id)


def kept_text(folder: Path, book: int) -> Path:
    return folder / "books" / f"{book}.txt"


def checked_query(query: str) -> str:
    """``query`` stripped.

    Raises:
        LibraryError: it is empty, or longer than ``LONGEST_QUERY``.
    """
    query = query.strip()
    if not query:
        raise LibraryError(
            "library_empty_query", "Say what to look for.", 'For example: "white whale".'
        )
    if len(query) > LONGEST_QUERY:
        raise LibraryError(
            "library_query_too_long",
            f"That query is {len(query):,} characters long; the library takes up to "
            f"{LONGEST_QUERY:,}.",
            "Ask with a few words or a phrase from the book.",
        )
    return query


async def find(
    store: UserStore, folder: Path, index: PassageIndex, query: str, limit: int
) -> list[Hit]:
    """The passages that best match ``query``, best first, with book and chapter.

    Raises:
        LibraryError: the query is empty or too long.
    """
    query = checked_query(query)
    found = await asyncio.to_thread(index.search, query, limit * 2)
    books = await shelf.some(store, sorted({f.book for f in found}))
    # a book half read when a process died is not shown
    found = [f for f in found if f.book in books][:limit]
    texts = await asyncio.to_thread(_passage_texts, folder, found)
    return [
        Hit(f.book, books[f.book].title, books[f.book].author, f.chapter, f.start, f.end,
            text, f.score)
        for f, text in zip(found, texts, strict=True)
    ]  # fmt: skip


def _passage_texts(folder: Path, found: list[Found]) -> list[str]:
    """Each passage's words, read from its book's kept text."""
    texts = []
    for passage in found:
        try:
            with kept_text(folder, passage.book).open("rb") as kept:
                kept.seek(passage.byte_start)
                raw = kept.read(passage.byte_end - passage.byte_start)
            texts.append(raw.decode("utf-8", errors="replace"))
        except OSError:
            texts.append("")  # the kept text was deleted behind os1's back
    return texts
