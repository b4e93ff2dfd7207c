"""Songs made by code from words: one note a syllable with the stresses on the beat, a
melody a voice can sing, cadences that close each section, and revisions in plain
words."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import missing_component
from os1.errors import MusicError
from os1.skills.music.lyrics import check, lyrics_from
from os1.skills.music.plan import Lyrics, SongPlan
from os1.skills.music.revise import revised
from os1.skills.music.song import (
    compose_song,
    fit_rhythm,
    section_key,
    stress_on_beats,
    symbol_of,
)
from os1.skills.music.theory import SINGABLE, check_song

LAKE = Lyrics(
    "The Lake",
    (
        (
            "I remember summers by the lake",
            "Lena laughing in the morning light",
            "we would swim until the day was done",
            "and the water held us through the night",
        ),
        (
            "Now the grey is on the water too",
            "and I write to you from far away",
            "every summer has a song to sing",
            "Lena, come and hear the words I say",
        ),
    ),
    (
        "Oh the lake, it calls us home again",
        "every wave a word we never said",
        "hold the light above the water's edge",
        "every star a candle overhead",
    ),
)


@pytest.fixture(autouse=True)
def _espeak() -> None:
    if not shutil.which("espeak-ng"):
        missing_component("espeak-ng is not installed: stress comes from the spelling")


def test_stressed_syllables_fall_on_the_beat() -> None:
    # re-MEM-ber SUM-mers BY the LAKE: the stresses on beats, the rest between
    rhythm = fit_rhythm((0, 0, 1, 0, 1, 0, 0, 0, 1))
    stressed = [rhythm[i][0] for i in (2, 4, 8)]
    assert all(start == int(start) for start in stressed)
    starts = [start for start, _ in rhythm]
    assert starts == sorted(set(starts)) and starts[-1] < 8  # in order, within two bars
    assert rhythm[-1][1] >= 1.0  # the last word is held


def test_a_crowded_line_is_sung_faster_and_an_impossible_one_refused() -> None:
    crowded = fit_rhythm((1, 0, 0) * 7)  # 21 syllables: sixteenths
    assert len(crowded) == 21 and crowded[-1][0] < 8
    assert fit_rhythm(()) == ()
    with pytest.raises(MusicError) as caught:
        fit_rhythm((1, 0) * 20)
    assert caught.value.code == "music_line_long"


def test_a_song_sings_one_note_a_syllable_within_a_voice_s_range() -> None:
    song = compose_song(LAKE, SongPlan(tonic="E", mode="minor", tempo=92))
    assert song.bars == 32 and len(song.chords) == 32
    for line in song.lines:  # the syllables sung, joined, are the line's letters
        assert "".join(n.syllable.text for n in line.notes).lower() == "".join(
            c for c in line.text.lower() if c.isalpha() or c == "'"
        )
    pitches = [n.pitch for n in song.melody]
    assert max(pitches) - min(pitches) <= SINGABLE
    onsets = [(n.start, n.syllable.stress) for line in song.lines for n in line.notes]
    assert stress_on_beats(onsets) >= 0.9
    assert 60 <= song.seconds <= 120


def test_a_song_keeps_the_rules_of_harmony_and_ends_at_home() -> None:
    song = compose_song(LAKE, SongPlan(tonic="G", mode="major", tempo=100, seed=3))
    report = check_song(song)
    assert (report.in_key, report.cadences, report.parallels_per_100) == (1.0, 1.0, 0.0)
    last_of_sections = [song.lines[i].notes[-1].pitch % 12 for i in (3, 7, 11, 15)]
    assert last_of_sections == [7, 7, 7, 7]  # every section closes on G
    assert song.symbols[7] == "G" and song.symbols[6] == "D7"  # V7-I at the close


def test_the_chorus_is_sung_the_same_both_times_and_the_same_song_comes_again() -> None:
    plan = SongPlan(tonic="D", mode="major", tempo=96, seed=5)
    song = compose_song(LAKE, plan)
    first = [n.pitch for line in song.lines[4:8] for n in line.notes]
    again = [n.pitch for line in song.lines[12:16] for n in line.notes]
    assert first == again
    assert compose_song(LAKE, plan) == song
    other = compose_song(LAKE, replace(plan, seed=6))
    assert [n.pitch for n in other.melody] != [n.pitch for n in song.melody]


def test_chords_are_named_as_a_player_reads_them() -> None:
    assert symbol_of("V7", "A", "minor") == "E7"
    assert symbol_of("iio", "A", "minor") == "Bdim"
    assert symbol_of("IV", "F", "major") == "Bb"
    assert symbol_of("vi", "D", "major") == "Bm"


def test_a_happier_chorus_moves_to_the_relative_major() -> None:
    plan = SongPlan(tonic="A", mode="minor", tempo=80)
    happier, told = revised(plan, "make the chorus happier")
    assert happier.chorus == "major" and happier.mode == "minor"
    assert told == ["the chorus moves to the relative major"]
    assert section_key(happier, "Chorus").tonic.name == "C"
    song = compose_song(LAKE, happier)
    assert song.scales[1][0] == 0 and song.scales[0][0] == 9  # C major chorus, A minor verse
    report = check_song(song)
    assert (report.in_key, report.cadences, report.parallels_per_100) == (1.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("words", "tonic", "mode", "tempo"),
    [
        ("in G", "G", "minor", 80),
        ("in Bb major, and slower", "Bb", "major", 68),
        ("much faster", "A", "minor", 114),
        ("at 120 bpm", "A", "minor", 120),
        ("in the key of F sharp minor", "F#", "minor", 80),
    ],
)
def test_revisions_in_plain_words(words: str, tonic: str, mode: str, tempo: int) -> None:
    plan, told = revised(SongPlan(tonic="A", mode="minor", tempo=80), words)
    assert (plan.tonic, plan.mode, plan.tempo) == (tonic, mode, tempo)
    assert told


def test_a_change_not_understood_or_impossible_is_told_plainly() -> None:
    plan = SongPlan(tonic="A", mode="major", tempo=80)
    for words, code in (
        ("fly me to the moon", "music_revision_unknown"),
        ("", "music_revision_unknown"),
        ("at 2000 bpm", "music_tempo"),
        ("make the chorus happier", "music_revision_same"),
        ("x" * 300, "music_revision_long"),
        ("in a higher voice please, higher", "music_register"),
    ):
        start = replace(plan, register="high") if "higher" in words else plan
        with pytest.raises(MusicError) as caught:
            revised(start, words)
        assert caught.value.code == code, words
    assert "in G" in str(caught.value) or caught.value.hint


def test_the_lyric_checks_name_what_does_not_scan() -> None:
    good = check(LAKE)
    assert good.rhymed == {"verse 1": True, "chorus": True, "verse 2": True}
    assert good.passed
    bad = Lyrics(
        "Bad",
        (
            ("a", "the sun", "we walked", "along the shore of the sea in the summertime light"),
            LAKE.verses[1],
        ),
        LAKE.chorus,
    )
    checked = check(bad)
    assert not checked.rhymed["verse 1"]
    assert any("verse 1's lines run" in p for p in checked.problems)
    assert any("(sun / light) do not rhyme" in p for p in checked.problems)


def test_the_models_answer_is_kept_within_what_can_be_sung() -> None:
    lines = ["  a line   with\tspaces  ", "x" * 80, "", "ok then"]
    lyrics, plan = lyrics_from(
        {
            "title": "",
            "mood": "warm",
            "mode": "major",
            "tempo": 5000,
            "verse_1": lines,
            "chorus": lines,
            "verse_2": lines,
        }
    )
    assert plan.tempo == 200 and lyrics.title == "Untitled"
    assert lyrics.verses[0][0] == "a line with spaces"
    assert all(0 < len(line) <= 60 for line in lyrics.verses[0])


def test_a_song_without_fluidsynth_or_lilypond_keeps_its_other_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from os1.skills.music import score
    from os1.skills.music.leadsheet import write_song

    monkeypatch.setattr(score.shutil, "which", lambda name: None)  # neither tool is here
    song = compose_song(LAKE, SongPlan(tonic="D", mode="major", tempo=96))
    done = write_song(song, tmp_path / "song", why="because")
    assert "FluidSynth is not installed" in done.missing["wav"]
    assert "lilypond" in done.missing["pdf"]
    assert {"mid", "musicxml", "txt", "svg", "why"} <= set(done.files)
    assert sorted(p.name for p in (tmp_path / "song").iterdir()) == [
        "chords.svg",
        "lead.musicxml",
        "song.mid",
        "song.txt",
        "why.txt",
    ]  # no half-made file left behind
