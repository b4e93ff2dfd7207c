"""Reading progress: a page read is remembered, the next read goes on from there, and
"where was I in Moby-Dick?" finds the book by any part of its title and says how far, in
which chapter, at which words; asked about a book not there, it says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import collect, run_cli
from os1.companion import Companion
from os1.errors import LibraryError
from os1.events import TextDelta

WHALE = (
    "Title: Moby Dick; Or, The Whale\nAuthor: Herman Melville\n\n"
    "*** START OF THE PROJECT GUTENBERG EBOOK MOBY DICK ***\n\n"
    "CHAPTER 1. Loomings.\n\n" + "Call me Ishmael and let me tell of the sea. " * 40 + "\n\n"
    "CHAPTER 2. The Carpet-Bag.\n\n" + "I stuffed a shirt or two into my old bag. " * 40
)


async def _shelved(companion: Companion, tmp_path: Path) -> int:
    (tmp_path / "moby.txt").write_text(WHALE)
    emma = "Title: Emma\nAuthor: Jane Austen\n\nEmma Woodhouse, handsome, clever, and rich."
    (tmp_path / "emma.txt").write_text(emma)
    report = await companion.library.add("me", [tmp_path / "moby.txt", tmp_path / "emma.txt"])
    return next(a.book for a in report.added if a.title.startswith("Moby"))


async def test_a_page_read_is_where_the_next_begins_and_where_was_i_says_so(
    companion: Companion, tmp_path: Path
) -> None:
    moby = await _shelved(companion, tmp_path)
    fresh = await companion.library.where("me", "moby-dick")
    assert fresh.said() == "You have not started Moby Dick; Or, The Whale yet."
    first = await companion.library.read("me", moby, length=2000)
    assert first.start == 0 and first.text.startswith("CHAPTER 1. Loomings.")
    second = await companion.library.read("me", moby, length=400)
    assert second.start == first.end  # goes on from where the last page ended
    place = await companion.library.where("me", "MOBY DICK")
    assert place.at == second.end and place.chapter == "CHAPTER 2. The Carpet-Bag."
    assert 0.5 < place.share < 0.9 and "old bag" in place.words
    assert place.said().startswith("You were ") and "in CHAPTER 2. The Carpet-Bag" in place.said()
    with pytest.raises(LibraryError) as caught:
        await companion.library.where("me", "War and Peace")
    assert caught.value.code == "library_unknown" and "os1 library list" in caught.value.hint
    by_author = await companion.library.where("me", "austen")
    assert by_author.book.title == "Emma"


async def test_asked_in_conversation_it_answers_from_the_shelf(
    companion: Companion, tmp_path: Path
) -> None:
    moby = await _shelved(companion, tmp_path)
    await companion.library.read("me", moby, 0, 1500)
    events = await collect(companion.turn("me", "/where_was_i moby dick"))
    reply = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert reply.startswith("You were ") and "Moby Dick" in reply and "CHAPTER 1" in reply
    missing = await companion.propose("me", "where_was_i", {"title": "Ulysses"})
    assert missing == "No book in your library is called “Ulysses”."


def test_read_and_where_from_the_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "moby.txt").write_text(WHALE)
    assert run_cli(home, "library", "add", str(tmp_path / "moby.txt")).exit_code == 0
    page = run_cli(home, "library", "read", "1", "--chars", "300")
    assert page.exit_code == 0 and "Call me Ishmael" in page.stdout and "% read" in page.stdout
    where = run_cli(home, "library", "where", "moby")
    assert where.exit_code == 0 and "CHAPTER 1. Loomings" in where.stdout
    unknown = run_cli(home, "library", "where", "ulysses")
    assert unknown.exit_code == 1 and "No book in your library" in unknown.output
