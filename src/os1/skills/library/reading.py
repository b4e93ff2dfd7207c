"""Where the person is in each book: a page read is remembered, "where was I in
Moby-Dick?" finds the book by any part of its title and says how far in, in which
chapter, with the words they stopped at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from os1.errors import LibraryError
from os1.skills.library.passages import last_heading
from os1.skills.library.shelf import Shelved

PAGE = 3000  # characters a page read holds
_LETTERS = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Page:
    book: Shelved
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Place:
    """How far the person has read a book."""

    book: Shelved
    at: int  # characters into the kept text
    share: float  # of the whole book, 0-1
    chapter: str
    words: str  # the words where they stopped

    def said(self) -> str:
        if self.book.read_at is None:
            return f"You have not started {self.book.title} yet."
        where = f", in {self.chapter}" if self.chapter else ""
        return (
            f"You were {round(self.share * 100)}% of the way through {self.book.title}{where},"
            f" at “{self.words}”."
        )


def read_chars(path: Path, start: int, end: int | None) -> str:
    """Characters ``start`` to ``end`` of a kept text, read only as far as ``end`` (a
    book can be gigabytes; the offsets are characters, so the way there is read)."""
    start = max(0, start)
    with path.open(encoding="utf-8", errors="replace", newline="") as kept:
        left = start
        while left > 0:
            step = len(kept.read(min(left, 1 << 20)))
            if not step:
                return ""
            left -= step
        return kept.read() if end is None else kept.read(max(0, end - start))


def _squashed(text: str) -> str:
    return _LETTERS.sub("", text.lower())


def which_book(books: list[Shelved], title: str) -> Shelved:
    """The book ``title`` names ("moby-dick" names "Moby Dick; Or, The Whale"): the one
    read last among those it could be.

    Raises:
        LibraryError: no book's title or author holds those words.
    """
    wanted = _squashed(title)
    if not wanted:
        raise LibraryError("library_unknown", "Say which book.", 'For example: "Moby Dick".')
    named = [b for b in books if wanted in _squashed(b.title) or wanted in _squashed(b.author)]
    if not named:
        raise LibraryError(
            "library_unknown",
            f"No book in your library is called “{title.strip()[:80]}”.",
            "See your books with `os1 library list`.",
        )
    return max(named, key=lambda b: (b.read_at or 0.0, -b.id))


def place_in(book: Shelved, kept: Path) -> Place:
    """How far into ``book`` (its kept text at ``kept``) the person has read."""
    before = read_chars(kept, 0, book.read_to)
    after = read_chars(kept, book.read_to, book.read_to + 160)
    words = " ".join((before[-40:] + after).split()[1:12]) if before or after else ""
    share = book.read_to / book.chars if book.chars else 0.0
    return Place(book, book.read_to, min(1.0, share), last_heading(before), words)
