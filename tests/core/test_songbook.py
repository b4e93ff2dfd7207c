"""Songs for every door: words written with the person from their memories (checked for
meter and rhyme, mended once), the music made by code, kept in their songbook, revised
in plain words with the old song kept."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import missing_component
from os1.companion import Companion
from os1.errors import MusicError
from os1.memory.episodes import NewEpisode
from os1.models.scripted import ScriptedLLM

WORDS = {
    "title": "Summers at Lake Bled",
    "mood": "warm and wistful",
    "mode": "minor",
    "tempo": 84,
    "verse_1": [
        "I remember summers by the lake",
        "Lena laughing in the morning light",
        "we would swim until the day was done",
        "and the water held us through the night",
    ],
    "chorus": [
        "Oh the lake, it calls us home again",
        "every wave a word we never said",
        "hold the light above the water's edge",
        "every star a candle overhead",
    ],
    "verse_2": [
        "Now the grey is on the water too",
        "and I write to you from far away",
        "every summer has a song to sing",
        "Lena, come and hear the words I say",
    ],
}


@pytest.fixture(autouse=True)
def _tools() -> None:
    for tool in ("espeak-ng", "lilypond", "fluidsynth"):
        if not shutil.which(tool):
            missing_component(f"{tool} is not installed")


async def _remember(companion: Companion, *texts: str) -> None:
    store = await companion.core.store("sam")
    when = dt.datetime(2026, 7, 14, 18, 0).timestamp()
    assert companion.core.memory is not None
    await companion.core.memory.record(store, [NewEpisode("user", t, when) for t in texts])


async def test_a_song_is_written_from_the_memories_and_kept(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    await _remember(
        companion,
        "Every summer Lena and I swam in the lake at Bled until the light was gone.",
        "The plumber comes on Tuesday.",
    )
    scripted.enqueue(WORDS)
    done = await companion.music.song("sam", tmp_path / "song", about="the summers at the lake")
    assert [m.text for m in done.moment.memories] == [
        "Every summer Lena and I swam in the lake at Bled until the light was gone."
    ]
    shown = scripted.requests[-1].messages[-1].content
    assert "swam in the lake at Bled" in shown and "(data)" in shown
    names = {p.name for p in done.written.files.values()}
    assert {"song.txt", "chords.svg", "lead.pdf", "song.mid", "song.wav", "why.txt"} <= names
    words = (tmp_path / "song" / "song.txt").read_text(encoding="utf-8")
    assert "[Chorus]" in words and "Lena laughing in the morning light" in words
    assert done.song.plan.tonic == "E"  # the key's home is the first note LENA spells
    assert "Words from your memories:" in done.why and "Lena" in done.why
    assert "Rhymes in 3 of 3 sections" in done.why
    assert done.check.passed
    kept = await companion.music.songs("sam")
    assert [k.id for k in kept] == [done.id] and kept[0].lyrics.title == "Summers at Lake Bled"


async def test_lines_that_do_not_rhyme_are_asked_for_again(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    unrhymed = {**WORDS, "chorus": [*WORDS["chorus"][:3], "every star a candle in the sky"]}
    scripted.enqueue(unrhymed, {"line": "every star a candle overhead"})
    done = await companion.music.song("sam", tmp_path, about="the lake")
    assert done.song.lyrics.chorus == tuple(WORDS["chorus"])
    mend = scripted.requests[-1].messages[-1].content
    assert "Write line 4 again so that it ends on one of" in mend and '"said"' in mend


async def test_a_revision_is_a_new_song_and_the_old_one_stays(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    scripted.enqueue(WORDS)
    first = await companion.music.song("sam", tmp_path / "a", about="the lake")
    asked = len(scripted.requests)
    happier = await companion.music.revise_song("sam", first.id, "make the chorus happier")
    assert len(scripted.requests) == asked  # the words stay; code changes the music
    assert happier.song.plan.chorus == "major" and happier.song.lyrics == first.song.lyrics
    assert "the chorus moves to the relative major" in happier.why
    in_g = await companion.music.revise_song("sam", happier.id, "in G, slower")
    assert (in_g.song.plan.tonic, in_g.song.plan.tempo) == ("G", 71)
    assert (
        in_g.written.files["txt"]
        .read_text(encoding="utf-8")
        .startswith("Summers at Lake Bled\nG minor, the chorus in B♭ major")
    )
    kept = {k.id: k for k in await companion.music.songs("sam")}
    assert kept[first.id].plan.tempo == 84 and kept[in_g.id].revised_from == happier.id
    with pytest.raises(MusicError) as caught:
        await companion.music.revise_song("sam", first.id, "play it on a kazoo")
    assert caught.value.code == "music_revision_unknown" and "slower" in str(caught.value)


async def test_a_songs_files_come_back_and_a_forgotten_song_is_gone(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    scripted.enqueue(WORDS)
    done = await companion.music.song("sam", about="the lake")  # into the home's own folder
    wav = done.written.files["wav"]
    wav.unlink()
    again = await companion.music.song_files("sam", done.id, "wav")
    assert again.files["wav"].stat().st_size > 100_000
    await companion.music.forget_song("sam", done.id)
    assert not wav.parent.exists()
    for call in (
        companion.music.kept_song("sam", done.id),
        companion.music.revise_song("sam", done.id, "slower"),
        companion.music.song_files("sam", 999),
    ):
        with pytest.raises(MusicError) as caught:
            await call
        assert caught.value.code == "music_song_unknown"


async def test_nothing_to_sing_about_is_told(companion: Companion, tmp_path: Path) -> None:
    with pytest.raises(MusicError) as caught:
        await companion.music.song("sam", tmp_path / "out", about="  ")
    assert caught.value.code == "music_about_empty"
    assert not (tmp_path / "out").exists()
