"""The library by meaning, on the real static embedder: a question in other words than
the book's finds the passage its words alone miss, a book's meanings leave with it, an
add stopped before its meanings were worked out catches up on the next, and damaged
meaning files cost only the meaning, never the search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from os1.companion import Companion
from os1.config import Settings, load_settings
from os1.models.embed import StaticEmbedder
from os1.models.scripted import ScriptedLLM
from os1.skills.library.meanings import CENTRE_SAMPLE, Centre, Words, spread

BOOKS = {
    "lighthouse.txt": (
        "The keeper climbed the hundred steps every evening and lit the great lamp, so "
        "that the ships would pass the rocks safely in the dark."
    ),
    "kitchen.txt": (
        "Grandmother kneaded the dough at dawn, let it rise by the stove, and baked "
        "three loaves of rye bread before anyone else was awake."
    ),
    "ledger.txt": (
        "The merchant counted the coins twice, wrote the sums in his ledger, and locked "
        "the strongbox before the clerks went home for the night."
    ),
    "garden.txt": (
        "In spring she dug the beds, planted beans and cabbages in rows, and watered "
        "the seedlings each morning until the first green shoots appeared."
    ),
}
# none of its telling words is in the lighthouse passage
OTHER_WORDS = "who guided vessels clear of the reef with a beacon"


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings(
        {"home": home, "llm_backend": "scripted", "embedders": "static"}, environ={}
    )


@pytest.fixture
async def reader(settings: Settings) -> AsyncIterator[Companion]:
    comp = await Companion.start(settings, llm=ScriptedLLM(), local=True)
    yield comp
    await comp.aclose()


def _shelf(folder: Path) -> Path:
    folder.mkdir()
    for name, text in BOOKS.items():
        (folder / name).write_text(text)
    return folder


def _meanings(home: Path) -> Path:
    return next((home / "library").glob("*/meanings"))


async def test_a_question_in_other_words_finds_the_passage(
    reader: Companion, tmp_path: Path
) -> None:
    report = await reader.library.add("me", [_shelf(tmp_path / "books")])
    assert len(report.added) == 4 and report.understood == 4
    by_words = await reader.library.search("me", OTHER_WORDS, 3, by_meaning=False)
    assert all(hit.title != "lighthouse" for hit in by_words)
    by_meaning = await reader.library.search("me", OTHER_WORDS, 5)
    found = [hit for hit in by_meaning if hit.title == "lighthouse"]
    assert found and found[0].by == "meaning", [(h.title, h.by) for h in by_meaning]
    shown = await reader.library.text("me", found[0].book, found[0].start, found[0].end)
    assert shown == found[0].text == BOOKS["lighthouse.txt"]
    # a word or a phrase asks for those very words: meaning does not add strangers
    phrase = await reader.library.search("me", '"great lamp"')
    assert phrase == await reader.library.search("me", '"great lamp"', by_meaning=False)
    assert await reader.library.search("me", "zeppelin") == []


async def test_meanings_leave_with_their_book_and_a_stopped_add_catches_up(
    reader: Companion, home: Path, tmp_path: Path
) -> None:
    await reader.library.add("me", [_shelf(tmp_path / "books")])
    folder = _meanings(home)
    lighthouse = next(b for b in await reader.library.books("me") if b.title == "lighthouse")
    await reader.library.remove("me", lighthouse.id)
    assert not list(folder.glob(f"{lighthouse.id}.*"))
    assert all(h.title != "lighthouse" for h in await reader.library.search("me", OTHER_WORDS))
    assert not list(folder.glob(f"{lighthouse.id}.*"))
    # as if the add had been killed after its words were committed, before its meanings
    for path in folder.glob("*.np[yz]"):
        path.unlink()
    again = await reader.library.add("me", [tmp_path / "books" / "garden.txt"])
    assert again.added == [] and again.understood == 3
    hits = await reader.library.search("me", "when did she sow vegetables and tend young plants")
    assert hits[0].title == "garden"


async def test_damaged_meaning_files_cost_the_meaning_not_the_search(
    reader: Companion, home: Path, tmp_path: Path
) -> None:
    await reader.library.add("me", [_shelf(tmp_path / "books")])
    folder = _meanings(home)
    damaged = {"npz": b"PK\x03\x04 not a zip", "npy": b"\x93NUMPY garbage"}
    for path in folder.glob("*.np[yz]"):
        path.write_bytes(damaged[path.suffix[1:]])
    (folder / "centre.npz").write_bytes(b"")
    hits = await reader.library.search("me", "merchant coins ledger strongbox clerks")
    assert hits[0].title == "ledger"  # found by its words
    for odd in ("日本語の 質問 です か ね", "\u202e right to left \u202c words here", "a " * 1000):
        await reader.library.search("me", odd)  # never a crash


def test_a_word_at_a_time_sums_what_the_static_embedder_sums(settings: Settings) -> None:
    static = StaticEmbedder.from_cache(settings.cache_dir)
    words = Words(static)
    texts = ["The keeper lit the great lamp.", "Café crème, naïve résumé!", "", "x"]
    # its telling words as the static embedder reads them, in one piece
    exact = static.embed(["keeper lit great lamp", "café crème naïve résumé", "", "x"])
    summed = words.embed(texts)
    for n in (0, 1, 3):
        assert float(exact[n] @ summed[n]) > 0.999
    assert not np.any(summed[2])  # no words, no meaning (a query is never empty)
    same = words.embed(["keeper, lit: great lamp!", "The KEEPER lit a great lamp"])
    assert float(same[0] @ same[1]) > 0.999  # case, stop words and punctuation aside


async def test_a_shelf_that_grows_fourfold_is_centred_again(
    reader: Companion, home: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.txt"
    first.write_text(BOOKS["kitchen.txt"])
    await reader.library.add("me", [first])
    report = await reader.library.add("me", [_shelf(tmp_path / "books")])
    # kitchen.txt is the same text as first.txt: left out; the shelf went from 1 to 4
    assert len(report.added) == 3 and report.understood == 4  # all four, centred anew
    hits = await reader.library.search("me", OTHER_WORDS, 5)
    assert "lighthouse" in [h.title for h in hits if h.by == "meaning"]


def test_a_centre_is_sampled_evenly_and_taken_again_only_while_small() -> None:
    books = [(n, 10 * n) for n in range(1, 2001)]
    chosen = spread(books)
    taken = sum(len(v) for v in chosen.values())
    assert len(chosen) == 512 and 0.9 * CENTRE_SAMPLE <= taken <= CENTRE_SAMPLE + 512
    assert chosen == spread(books)  # the same way every time
    assert all(0 <= n < 10 * b for b, numbers in chosen.items() for n in numbers)
    assert spread([(7, 3)]) == {7: [0, 1, 2]} and spread([(7, 0)]) == {}
    small = Centre(np.zeros(384, dtype=np.float32), 100)
    assert not small.due(399) and small.due(400)
    assert not Centre(np.zeros(384, dtype=np.float32), CENTRE_SAMPLE).due(10**9)
