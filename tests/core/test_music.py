"""``Music`` for every door: the moment read from the person's memories, the model's
choices honoured and explained, the person's own choices checked before any work."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from os1.companion import Companion
from os1.errors import MusicError
from os1.memory.episodes import NewEpisode
from os1.models.scripted import ScriptedLLM

CHOICE = {
    "mood": "grey and tender",
    "mode": "minor",
    "key_and_tempo_reason": "The sea was grey and cold that morning",
    "tempo": 58,
    "meter": "6/8",
    "form": "ABA",
    "register": "low",
    "density": "sparse",
    "articulation": "legato",
    "instrument": "cello",
    "instrument_reason": "Lena plays the cello",
}


async def _remember(companion: Companion, *texts: str) -> None:
    store = await companion.core.store("sam")
    when = dt.datetime(2026, 6, 3, 7, 40).timestamp()
    assert companion.core.memory is not None
    await companion.core.memory.record(store, [NewEpisode("user", t, when) for t in texts])


async def test_a_piece_photographs_the_memories_of_its_moment(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    await _remember(
        companion,
        "Lena and I walked on the beach at dawn, the sea was grey.",
        "My dentist moved to Friday.",
    )
    scripted.enqueue(CHOICE)
    done = await companion.music.compose("sam", tmp_path / "beach", about="the beach with Lena")
    plan = done.piece.plan
    assert (plan.tonic, plan.mode, plan.tempo, plan.instrument) == ("E", "minor", 58, "cello")
    assert [m.text for m in done.moment.memories] == [
        "Lena and I walked on the beach at dawn, the sea was grey."
    ]  # the dentist is not part of this moment
    assert "E minor and slow" in done.why and "the sea was grey and cold" in done.why
    assert "E because LENA begins on E" in done.why  # the key is the name's first note
    assert "spell LENA (E E G A)" in done.why
    assert "3 June 2026" in done.why and "episode:" in done.why
    assert (tmp_path / "beach" / "why.txt").read_text() == done.why
    assert "piece.mid" in {p.name for p in done.written.files.values()}
    shown = scripted.requests[-1].messages[-1].content
    assert "walked on the beach at dawn" in shown and "(data)" in shown


async def test_a_moment_nobody_remembers_is_composed_from_the_words_and_says_so(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    scripted.enqueue({**CHOICE, "tempo": 9000})
    done = await companion.music.compose("sam", tmp_path, about="the first snow in Oslo")
    assert done.moment.memories == ()
    assert "no memories of this moment" in done.why and "words alone" in done.why
    assert done.piece.plan.tempo == 200  # the model's tempo kept within what can be played


async def test_the_persons_own_choices_win_and_absurd_ones_are_told_first(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    scripted.enqueue(CHOICE)
    done = await companion.music.compose(
        "sam", tmp_path / "a", about="rain", tempo=120, tonic="G", mode="major"
    )
    assert (done.piece.plan.tempo, done.piece.plan.tonic) == (120, "G")
    assert "you asked for it" in done.why
    asked = len(scripted.requests)
    for bad, code in (
        ({"tempo": 2000}, "music_tempo"),
        ({"bars": 0}, "music_bars"),
        ({"instrument": "kazoo"}, "music_instrument"),
    ):
        with pytest.raises(MusicError) as caught:
            await companion.music.compose("sam", tmp_path / "b", about="rain", **bad)
        assert caught.value.code == code
    assert len(scripted.requests) == asked  # told before the model was asked anything
    assert not (tmp_path / "b").exists()


async def test_a_memory_that_is_not_there_is_named(companion: Companion, tmp_path: Path) -> None:
    with pytest.raises(MusicError, match="There is no memory f999"):
        await companion.music.compose("sam", tmp_path, memory="f999")
    with pytest.raises(MusicError) as caught:
        await companion.music.compose("sam", tmp_path, about="   ")
    assert caught.value.code == "music_about_empty"


async def test_a_long_memory_named_is_the_moment_in_its_own_words(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    long = "We sailed past Hydra at sunset and the wind dropped. " * 15
    await _remember(companion, long)
    scripted.enqueue(CHOICE)
    done = await companion.music.compose("sam", tmp_path, memory="e1")
    assert done.moment.about.startswith("We sailed past Hydra") and len(done.moment.about) <= 500
    assert [m.text for m in done.moment.memories] == [long]
    assert done.piece.motif.spelled == "HYDRA"
