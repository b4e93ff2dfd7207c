"""Lyrics mended by code and model together: the rhyming dictionary names the rhymes,
the model writes a line that must end on one, and a mend is kept only if it helps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import missing_component
from os1.models.scripted import ScriptedLLM
from os1.skills.music import rhymebook
from os1.skills.music.mend import mended
from os1.skills.music.plan import Lyrics

VERSE = (
    "I remember summers by the lake",
    "Lena laughing in the morning light",
    "we would swim until the day was done",
    "and the water held us close and warm",
)
CHORUS = (
    "Oh the lake, it calls us home again",
    "every wave a word we never said",
    "hold the light above the water's edge",
    "every star a candle overhead",
)


@pytest.fixture(autouse=True)
def _espeak() -> None:
    if not shutil.which("espeak-ng"):
        missing_component("espeak-ng is not installed")


@pytest.fixture
def book(tmp_path: Path) -> dict[str, list[str]]:
    listing = tmp_path / "words"
    listing.write_text(
        "night\nnights\nbright\nbrighter\nbrightest\nwhite\nwarm\nwarmer\nswarm\nstorm\n"
        "lake\nmake\ncake\niii\ncc\nlight\ncold\nhold\ngold\n",
        encoding="utf-8",
    )
    return rhymebook.build(listing)


def test_the_rhyming_dictionary_names_common_rhymes_first(book: dict[str, list[str]]) -> None:
    assert rhymebook.rhymes_for(book, "light")[:2] == ["bright", "night"]  # most forms first
    assert "light" not in rhymebook.rhymes_for(book, "light")
    assert rhymebook.rhymes_for(book, "warm") == ["storm"]  # not "swarm": warm again
    assert rhymebook.rhymes_for(book, "zebra") == []
    assert "iii" not in json.dumps(book)  # letters espeak spells out are left out


def test_the_dictionary_is_kept_and_a_damaged_copy_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = tmp_path / "words"
    listing.write_text("night\nbright\nlight\n", encoding="utf-8")
    monkeypatch.setattr(rhymebook, "WORD_LISTS", (tmp_path / "absent", listing))
    cache = tmp_path / "cache" / "rhymes.json"
    assert rhymebook.rhymes_for(rhymebook.load(cache), "light") == ["night", "bright"]
    assert cache.is_file()
    cache.write_text("{not json", encoding="utf-8")
    assert rhymebook.rhymes_for(rhymebook.load(cache), "light") == ["night", "bright"]
    assert json.loads(cache.read_text(encoding="utf-8"))["book"]
    monkeypatch.setattr(rhymebook, "WORD_LISTS", (tmp_path / "absent",))
    assert rhymebook.load(tmp_path / "other.json") == {}  # no word list: no rhymes, no crash


async def test_a_line_that_does_not_rhyme_is_rewritten_to_end_on_a_rhyme(
    book: dict[str, list[str]],
) -> None:
    model = ScriptedLLM()
    model.enqueue({"line": "and we swam together through the night"})
    lyrics = Lyrics("Lake", (VERSE, CHORUS), CHORUS)
    fixed, asked = await mended(model, lyrics, book)
    assert fixed.verses[0][3] == "and we swam together through the night"
    assert asked == 1 and fixed.chorus == CHORUS and fixed.verses[1] == CHORUS
    request = model.requests[-1]
    pattern = request.options.json_schema["properties"]["line"]["pattern"]  # type: ignore[index]
    assert pattern.endswith("(bright|night|white)$")
    assert 'rhyme with "light"' in request.messages[-1].content


async def test_a_mend_that_does_not_help_is_not_kept(book: dict[str, list[str]]) -> None:
    model = ScriptedLLM()
    model.enqueue({"line": "and the water held us close and warm"})  # no better
    lyrics = Lyrics("Lake", (VERSE, CHORUS), CHORUS)
    fixed, _ = await mended(model, lyrics, book)
    assert fixed == lyrics


async def test_a_line_far_too_long_is_written_again_shorter(book: dict[str, list[str]]) -> None:
    long = "and we laughed and we swam and we sang until the evening came and night"
    verse = (VERSE[0], VERSE[1], VERSE[2], long)
    model = ScriptedLLM()
    model.enqueue({"line": "we sang until the evening night"})
    fixed, asked = await mended(model, Lyrics("Lake", (verse, CHORUS), CHORUS), book)
    assert fixed.verses[0][3] == "we sang until the evening night" and asked == 1
    assert "too long for the tune" in model.requests[-1].messages[-1].content


async def test_without_a_dictionary_only_the_meter_is_mended() -> None:
    model = ScriptedLLM()
    lyrics = Lyrics("Lake", (VERSE, CHORUS), CHORUS)
    fixed, asked = await mended(model, lyrics, {})
    assert (fixed, asked) == (lyrics, 0) and not model.requests
