"""The library through the core API: a shelf of good and broken files goes in with every
broken one named, passages are found with book and chapter, nothing goes in twice, each
person's library is their own, and a process killed mid-add loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import os1.core.library as library_core
from conftest import collect
from os1.companion import Companion
from os1.config import Settings
from os1.core.library import Progress
from os1.errors import LibraryError, StoreError
from os1.events import ProposalMade, TextDelta
from os1.models.scripted import ScriptedLLM
from os1.skills.library.ingest import candidates

WHALE = """Title: Moby Dick
Author: Herman Melville

*** START OF THE PROJECT GUTENBERG EBOOK MOBY DICK ***

CHAPTER 1. Loomings.

Call me Ishmael. Whenever I find myself growing grim about the mouth, I account it
high time to get to sea as soon as I can.

CHAPTER 42. The Whiteness of the Whale.

What the white whale was to Ahab, has been hinted; what, at times, he was to me,
as yet remains unsaid.

*** END OF THE PROJECT GUTENBERG EBOOK MOBY DICK ***
"""


def _shelf(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "moby.txt").write_text(WHALE)
    (folder / "notes.md").write_bytes(
        "# Garden\n\nThe quince tree flowered in “April”.".encode("cp1252")
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    (folder / "copy of moby.txt").write_text(WHALE)
    (folder / "picture.jpg").write_bytes(b"\xff\xd8")  # not a kind the library reads: passed over
    (folder / os.fsdecode(b"caf\xe9 latin name.txt")).write_text("An odd name, a fine text.")
    return folder


async def test_a_shelf_goes_in_and_every_broken_file_is_named(
    companion: Companion, tmp_path: Path
) -> None:
    shelf = _shelf(tmp_path / "books")
    seen: list[Progress] = []
    report = await companion.library.add("me", [shelf, tmp_path / "nowhere.txt"], seen.append)
    titles = sorted(a.title for a in report.added)
    assert titles == ["Moby Dick", "caf\ufffd latin name", "notes"]
    why = {Path(s.source).name: s.code for s in report.skipped}
    assert why == {
        "nowhere.txt": "library_missing",
        "empty.txt": "library_empty",
        "photo.txt": "library_binary",
        "moby.txt": "library_duplicate",  # its copy came first (a folder is read in name order)
    }
    assert seen and seen[-1].done <= seen[-1].total == report.bytes
    hits = await companion.library.search("me", "white whale Ahab")
    assert (
        hits[0].title == "Moby Dick"
        and hits[0].chapter == "CHAPTER 42. The Whiteness of the Whale."
    )
    assert "Ahab" in hits[0].text
    kept = await companion.library.text("me", hits[0].book, hits[0].start, hits[0].end)
    assert kept == hits[0].text  # every quote can be shown exactly where it stands
    notes = await companion.library.search("me", "quince April")
    assert notes[0].text == "# Garden\n\nThe quince tree flowered in “April”."
    phrase = await companion.library.search("me", '"call me ishmael"')
    assert [h.title for h in phrase] == ["Moby Dick"]
    assert await companion.library.search("me", "submarine") == []

    again = await companion.library.add("me", [shelf])
    assert again.added == [] and {s.code for s in again.skipped} >= {"library_already"}
    assert len(await companion.library.books("me")) == 3


async def test_each_person_has_their_own_library(companion: Companion, tmp_path: Path) -> None:
    shelf = _shelf(tmp_path / "books")
    await companion.library.add("me", [shelf / "moby.txt"])
    assert await companion.library.search("ann", "whale") == []
    assert await companion.library.books("ann") == []
    mine = (await companion.library.books("me"))[0]
    with pytest.raises(LibraryError):
        await companion.library.book("ann", mine.id)
    with pytest.raises(LibraryError):
        await companion.library.remove("ann", mine.id)
    assert await companion.library.search("me", "whale")


async def test_a_removed_book_is_gone_from_search_and_the_shelf(
    companion: Companion, tmp_path: Path
) -> None:
    shelf = _shelf(tmp_path / "books")
    await companion.library.add("me", [shelf])
    moby = next(b for b in await companion.library.books("me") if b.title == "Moby Dick")
    assert (await companion.library.remove("me", moby.id)).title == "Moby Dick"
    assert await companion.library.search("me", "whale") == []
    assert [b.title for b in await companion.library.books("me")] != []
    with pytest.raises(LibraryError) as caught:
        await companion.library.remove("me", moby.id)
    assert caught.value.code == "library_unknown"
    readded = await companion.library.add("me", [shelf / "moby.txt"])  # may come back later
    assert [a.title for a in readded.added] == ["Moby Dick"]


async def test_queries_empty_huge_or_hostile_get_a_clear_answer(
    companion: Companion, tmp_path: Path
) -> None:
    await companion.library.add("me", [_shelf(tmp_path / "books")])
    for query in ("", "   "):
        with pytest.raises(LibraryError) as caught:
            await companion.library.search("me", query)
        assert caught.value.code == "library_empty_query" and caught.value.hint
    with pytest.raises(LibraryError) as caught:
        await companion.library.search("me", "whale " * 200_000)
    assert caught.value.code == "library_query_too_long"
    for hostile in ('"unclosed', "book:1 AND", "text:[a TO", "((((", "-", "*", "鯨 whale", "\x00"):
        await companion.library.search("me", hostile)  # read as well as it can be, never a crash
    with pytest.raises(StoreError):
        await companion.library.books("no such person\x00")


async def test_a_file_that_vanishes_mid_add_is_named_and_the_rest_go_in(
    companion: Companion, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shelf = tmp_path / "books"
    shelf.mkdir()
    for n in range(3):
        (shelf / f"{n}.txt").write_text(f"Book {n} tells of the lighthouse keeper number {n}.")

    def listed_then_gone(paths: list[Path], allowed: Any) -> Any:
        found = candidates(paths, allowed)
        (shelf / "1.txt").unlink()  # between being listed and being read
        return found

    monkeypatch.setattr(library_core, "candidates", listed_then_gone)
    report = await companion.library.add("me", [shelf])
    assert sorted(a.title for a in report.added) == ["0", "2"]
    assert [(Path(s.source).name, s.code) for s in report.skipped] == [("1.txt", "library_missing")]


async def test_a_server_account_adds_only_from_its_own_files(
    settings: Settings, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    server = await Companion.start(settings, llm=scripted, local=False)  # as `os1 serve`
    try:
        mine = await server.upload("ann", "mine.txt", b"My own book about the orchard in spring.")
        assert mine.path == "~/mine.txt"  # as the person names it
        outside = _shelf(tmp_path / "elsewhere")
        ann = (await server.db.user("ann")).user.id
        own = Path(settings.home) / "files" / str(ann)
        (own / "escape.txt").symlink_to(outside / "moby.txt")  # a link out of the folder
        named = await server.library.add("ann", [Path(mine.path), outside, Path("escape.txt")])
        assert [a.title for a in named.added] == ["mine"]
        assert [s.code for s in named.skipped] == ["outside_your_files"] * 2, named.skipped
        walked = await server.library.add("ann", [Path("~")])  # the link is met in a walk
        assert [s.code for s in walked.skipped if s.code != "library_already"] == [
            "library_beyond_reach"
        ]
        assert await server.library.search("ann", "whale") == []
    finally:
        await server.aclose()


_KILLED_MID_ADD = """
import asyncio, os, signal, sys
from pathlib import Path
import os1.core.library as library
import os1.core.library as library_core
from os1.companion import Companion
from os1.config import load_settings

library.COMMIT_CHARS = 1  # commit after every book, so the kill lands between commits
kill_at, where = int(sys.argv[3]), sys.argv[4]
finish = library.shelf.finish
async def finish_or_die(store, done):
    # killed after the index committed the book, before the shelf marked it ready
    if done and done[-1].book == kill_at and where == "commit":
        os.kill(os.getpid(), signal.SIGKILL)
    await finish(store, done)
library.shelf.finish = finish_or_die
async def main():
    flags = {"home": sys.argv[1], "llm_backend": "scripted", "embedders": "none"}
    if sys.argv[5:]:  # the store on PostgreSQL, as the test's own is
        flags["database_url"] = sys.argv[5]
    companion = await Companion.open(load_settings(flags, environ={}))
    read = set()
    def progress(at):
        if at.file_done == at.file_size:
            read.add(at.source)
            if len(read) == kill_at and where == "read":  # read, not yet committed
                os.kill(os.getpid(), signal.SIGKILL)
    await companion.library.add("me", [Path(sys.argv[2])], progress)
if __name__ == "__main__":  # the parsing pool's workers import this script again
    asyncio.run(main())
"""


@pytest.mark.parametrize(("killed_after", "where"), [(1, "read"), (4, "read"), (3, "commit")])
async def test_an_add_killed_with_sigkill_resumes_with_nothing_twice_or_lost(
    settings: Settings, tmp_path: Path, killed_after: int, where: str
) -> None:
    shelf = tmp_path / "books"
    shelf.mkdir()
    for n in range(6):
        (shelf / f"{n}.txt").write_text(
            f"Volume {n}: the tale of keeper{n} at the lighthouse. " * 400
        )
    script = tmp_path / "killed_mid_add.py"
    script.write_text(_KILLED_MID_ADD)
    argv = [sys.executable, str(script), str(settings.home), str(shelf), str(killed_after), where]
    argv += [settings.database_url] if settings.database_url else []
    run = await asyncio.to_thread(subprocess.run, argv, capture_output=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()
    companion = await Companion.open(settings)
    try:
        before = await companion.library.books("me")
        assert len(before) == killed_after - 1  # committed before the kill; the last was not
        report = await companion.library.add("me", [shelf])
        assert len(report.added) == 6 - len(before)
        books = await companion.library.books("me")
        assert sorted(b.title for b in books) == [str(n) for n in range(6)]
        assert await companion.library.indexed("me") == sum(b.passages for b in books)
        for n in range(6):  # each book's passages are in the index exactly once
            hits = await companion.library.search("me", f"keeper{n}", 100)
            assert len(hits) == next(b.passages for b in books if b.title == str(n))
            assert {h.title for h in hits} == {str(n)}
    finally:
        await companion.aclose()


async def test_in_conversation_the_books_answer_with_their_own_words(
    companion: Companion, tmp_path: Path
) -> None:
    empty = await companion.propose("me", "search_library", {"query": "whale"})
    assert isinstance(empty, str) and "library is empty" in empty
    await companion.library.add("me", [_shelf(tmp_path / "books")])
    events = await collect(companion.turn("me", "/search_library what does Ahab want?"))
    reply = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "Moby Dick by Herman Melville, CHAPTER 42. The Whiteness of the Whale" in reply
    assert "What the white whale was to Ahab, has been hinted; what, at times" in reply
    assert not [e for e in events if isinstance(e, ProposalMade)]  # it only reads
    nothing = await companion.propose("me", "search_library", {"query": "submarine"})
    assert nothing == 'Nothing in your books matches "submarine".'


async def test_a_book_too_big_to_hold_is_streamed_a_block_at_a_time(
    companion: Companion, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    paragraph = ("The tide came in over the long grey flats and went out again. " * 12) + "\n\n"
    with big.open("w") as out:
        while out.tell() < 40 << 20:  # past the 32 MB a worker would take whole
            out.write(paragraph * 100)
        out.write("At the very end the keeper found the driftwood marionette.\n")
    seen: list[Progress] = []
    report = await companion.library.add("me", [big], seen.append)
    (added,) = report.added
    assert added.passages > 20_000
    reads = [p.file_done for p in seen if p.source.endswith("big.txt")]
    assert len(reads) >= 10 and reads == sorted(reads)  # block by block, as it was read
    (hit,) = await companion.library.search("me", "driftwood marionette")
    assert hit.text.endswith("driftwood marionette.")
