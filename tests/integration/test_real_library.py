"""The library's answers on the real embedded model: a question about a book is answered
from it, every quote shown is the book's own words where they stand, and a question the
books cannot answer is said to be so."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from os1.companion import Companion
from os1.skills.registry import builtin_skills
from os1.store import Database
from os1.turn.context import TurnLimits

pytestmark = pytest.mark.real_model

BOOK = """Title: The Lighthouse
Author: A. Keeper

*** START OF THE PROJECT GUTENBERG EBOOK THE LIGHTHOUSE ***

CHAPTER I. The Lamp.

The island was small and the winters were long. Every night the keeper climbed the
hundred steps and lit the great lamp, so that the ships would pass the rocks safely.
In the mornings he slept, and in the afternoons he mended nets for the fishermen.

CHAPTER II. The Letter.

A letter came from the mainland in the spring, from his sister Maren, asking him to
come home to Bergen. He read it by the lamp and did not answer it for a week.
"""


@pytest.fixture
async def librarian(home: Path, real_llm: object) -> AsyncIterator[Companion]:
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    companion = Companion(db, real_llm, TurnLimits(max_reply_tokens=120), home=home, local=True)  # type: ignore[arg-type]
    yield companion
    await companion.stop_background()
    await db.aclose()


async def test_a_question_is_answered_from_the_book_in_its_own_words(
    librarian: Companion, tmp_path: Path
) -> None:
    (tmp_path / "lighthouse.txt").write_text(BOOK)
    added = await librarian.library.add("me", [tmp_path / "lighthouse.txt"])
    assert len(added.added) == 1, added.skipped
    began = time.monotonic()
    answer = await librarian.library.ask("me", "Who sent the keeper a letter, and from where?")
    assert time.monotonic() - began < 60
    assert answer.known, answer
    assert "Maren" in answer.text, answer.text
    assert answer.quotes and answer.unverified == 0, answer
    for quote in answer.quotes:
        kept = await librarian.library.text("me", quote.book, quote.start, quote.end)
        assert kept == quote.text
    unknown = await librarian.library.ask("me", "What colour was the keeper's boat?")
    assert not unknown.known, unknown.text
