"""Finding passages in a person's library: the words searched, the books they belong to
read from the shelf, and each passage's text read back from its book's kept text.

Shared by the core (every door's ``os1 library search``) and the conversation's
``search_library`` tool.

A question of several telling words is also looked up among the passages' meanings
(``meanings``). Measured on 80 questions the local model wrote about passages of 454
Gutenberg books, the words put the right passage in their top 10 for 55 and the
meanings alone for 26; fused by reciprocal rank, the words' right passages slid down
(mean reciprocal rank 0.50 to 0.42). So the meanings do not reorder the words: they
fill the end of the list (one place in five) and any place the words leave empty, where
a question in wholly other words than its passage finds it (``joined``)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from os1.errors import LibraryError
from os1.skills.library import shelf
from os1.skills.library.index import Found, PassageIndex, telling
from os1.skills.library.meanings import MeaningIndex, Words
from os1.store import UserStore

LONGEST_QUERY = 4000  # characters
MEANING_SHARE = 5  # one place in five, at the end of a list, is kept for meaning
MEANING_WORDS = 3  # telling words a query needs before its meaning is searched too


@dataclass(frozen=True)
class Hit:
    book: int
    title: str
    author: str
    chapter: str
    start: int  # offsets into the book's kept text (``Library.text``)
    end: int
    text: str
    score: float  # the words' BM25, or the cosine of a passage found by meaning
    by: str = "words"  # or "meaning": near the question in meaning, not in its words


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


@dataclass(frozen=True)
class Meaning:
    """What searching by meaning takes: the words' embedder and the person's meanings."""

    words: Words
    index: MeaningIndex


def by_meaning_too(query: str) -> bool:
    """Whether ``query`` is a question worth searching by meaning: several telling
    words and no quoted phrase. A word or two, or a phrase, asks for those very words."""
    return '"' not in query and len(telling(query).split()) >= MEANING_WORDS


def joined(by_words: list[Found], by_meaning: list[Found], limit: int) -> list[Found]:
    """The words' passages first; those nearest in meaning that the words did not put
    in the list fill the last ``limit // MEANING_SHARE`` places and any the words left
    empty. (Fused by reciprocal rank instead, the static meanings pushed the words'
    right passage down: see the module doc.) Each is marked with how it was found."""
    top = by_words[: limit - limit // MEANING_SHARE]
    shown = {(f.book, f.start) for f in top}
    extra = [replace(f, by="meaning") for f in by_meaning if (f.book, f.start) not in shown]
    out = top + extra[: limit - len(top)]
    shown |= {(f.book, f.start) for f in out}
    more = [f for f in by_words[len(top) :] if (f.book, f.start) not in shown]
    return out + more[: limit - len(out)]


async def find(
    store: UserStore,
    folder: Path,
    index: PassageIndex,
    query: str,
    limit: int,
    meaning: Meaning | None = None,
    within: Collection[int] | None = None,
) -> list[Hit]:
    """The passages that best match ``query``, best first, with book and chapter: by
    its words, and by meaning too when ``meaning`` is given (the caller gives it for a
    question of several words, ``by_meaning_too``; see ``joined``); from the books
    ``within`` only when given.

    Raises:
        LibraryError: the query is empty or too long.
    """
    query = checked_query(query)
    searches = [asyncio.to_thread(index.search, query, limit * 2, within)]
    if meaning is not None:
        searches.append(
            asyncio.to_thread(meaning.index.search, meaning.words, query, limit, within)
        )
    by_words, *by_sense = await asyncio.gather(*searches)
    named = {f.book for ranking in (by_words, *by_sense) for f in ranking}
    books = await shelf.some(store, sorted(named))
    # a book half read when a process died is not shown
    by_words = [f for f in by_words if f.book in books]
    found = by_words[:limit]
    if by_sense:
        found = joined(by_words, [f for f in by_sense[0] if f.book in books], limit)
    texts = await asyncio.to_thread(_passage_texts, folder, found)
    return [
        Hit(f.book, books[f.book].title, books[f.book].author, f.chapter, f.start, f.end,
            text, f.score, f.by)
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
