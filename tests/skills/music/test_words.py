"""Syllables, stress and rhyme of lyric lines, by espeak-ng and, without it, by spelling."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from conftest import missing_component
from os1.errors import MusicError
from os1.skills.music import words
from os1.skills.music.words import Line, Syllable, meter, rhymes, scan, scan_lines, words_of


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test starts from an empty cache and a working engine, and leaves them as found.
    monkeypatch.setattr(words, "_cache", OrderedDict())
    monkeypatch.setattr(words, "_failed", False)


@pytest.fixture
def espeak() -> None:
    if shutil.which("espeak-ng") is None:
        missing_component("espeak-ng is not installed")


@pytest.fixture
def no_espeak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(words, "ESPEAK", "no-such-espeak-ng-here")


def counts(text: str) -> list[int]:
    """Syllables per word of a line."""
    out, n = [], 0
    for syllable in scan(text).syllables:
        n += 1
        if syllable.word_end:
            out.append(n)
            n = 0
    return out


def stresses(word: str) -> list[int]:
    return [s.stress for s in scan(word).syllables]


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-espeak"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_ordinary_words_have_their_syllable_counts(espeak: None) -> None:
    expected = {"summer": {2}, "beautiful": {3}, "lake": {1}, "remember": {3}, "fire": {1, 2}}
    expected |= {"Lena": {2}, "grandmother": {3}, "every": {2, 3}, "awake": {2}, "the": {1}}
    expected |= {"table": {2}, "loved": {1}, "wanted": {2}, "quiet": {2}, "José": {2}}
    for word, allowed in expected.items():
        assert counts(word)[0] in allowed, word


def test_stress_falls_where_english_puts_it(espeak: None) -> None:
    assert stresses("remember") == [0, 1, 0]
    assert stresses("beautiful") == [1, 0, 0]
    assert stresses("Lena") == [1, 0]
    assert stresses("awake") == [0, 1]


def test_function_words_are_unstressed_inside_a_line_and_content_words_keep_stress(
    espeak: None,
) -> None:
    line = scan("The lake and the night")
    assert [(s.text, s.stress) for s in line.syllables] == [
        ("The", 0),
        ("lake", 1),
        ("and", 0),
        ("the", 0),
        ("night", 1),
    ]


def test_written_syllables_split_at_sensible_places(espeak: None) -> None:
    assert [s.text for s in scan("summers").syllables] == ["sum", "mers"]
    assert [s.text for s in scan("beautiful").syllables] == ["beau", "ti", "ful"]
    assert [s.text for s in scan("remember").syllables] == ["re", "mem", "ber"]
    assert [s.text for s in scan("Lena").syllables] == ["Le", "na"]
    assert [s.text for s in scan("lake").syllables] == ["lake"]
    assert [s.text for s in scan("table").syllables] == ["ta", "ble"]


def test_word_end_marks_the_last_syllable_of_each_word(espeak: None) -> None:
    line = scan("beautiful lake")
    assert [s.word_end for s in line.syllables] == [False, False, True, True]


def test_split_parts_join_back_to_each_word_and_are_never_empty(espeak: None) -> None:
    text = "Don't you remember o'clock rock'n'roll 90th well-known José LOVE rhythm 7 1990 שלום"
    for line in scan_lines([text, "every evening grandmother's beautiful fire quiet poem"]):
        parts = [s.text for s in line.syllables]
        assert all(parts)
        joined, word = "", []
        for s in line.syllables:
            joined += s.text
            if s.word_end:
                word.append(joined)
                joined = ""
        assert word == words_of(line.text)


def test_split_word_gives_exactly_the_parts_asked_for() -> None:
    for word, count in [("rhythm", 2), ("every", 3), ("lion", 2), ("strengths", 3), ("aa", 5)]:
        parts = words.split_word(word, count)
        assert "".join(parts) == word
        assert len(parts) == min(count, len(word))
        assert all(parts)


def test_rhymes_hear_the_sound_not_the_spelling(espeak: None) -> None:
    lake, awake, tree = scan("down by the lake"), scan("I lie awake"), scan("under a tree")
    assert lake.rhyme == "eɪk"
    assert rhymes(lake, awake)
    assert rhymes(scan("in the night"), scan("into the light"))
    assert not rhymes(lake, tree)
    # love/move rhyme only for the eye: the vowels differ, so they do not count
    assert not rhymes(scan("my love"), scan("we move"))


def test_the_same_last_word_twice_is_not_a_rhyme(espeak: None) -> None:
    assert not rhymes(scan("down by the lake"), scan("out on the Lake!"))


def test_near_rhyme_needs_the_same_vowel_and_final_consonant_class(espeak: None) -> None:
    assert rhymes(scan("all the time"), scan("walk the line"))
    assert not rhymes(scan("all the time"), scan("out of sight"))


def test_a_line_without_words_has_no_rhyme_and_rhymes_with_nothing(espeak: None) -> None:
    empty = scan("")
    assert empty == Line("", (), "")
    assert not rhymes(empty, scan("lake"))
    assert not rhymes(scan("..."), scan("!!!"))
    assert not rhymes(Line("", (), "eɪk"), Line("", (), "eɪk"))  # a hand-made line, no words


def test_meter_is_the_share_of_lines_near_the_median_count() -> None:
    def line(n: int) -> Line:
        return Line("x", tuple(Syllable("la", 0, True) for _ in range(n)), "")

    assert meter([line(8), line(8), line(9), line(7), line(14)]) == 0.8
    assert meter([line(8), line(0), line(10)]) == 1.0  # blank lines are not judged
    assert meter([]) == 1.0


def test_meter_of_real_lines(espeak: None) -> None:
    lines = scan_lines(["I remember the lake", "and the summers we had", "so", ""])
    assert meter(lines) == 2 / 3


def test_pronounce_uses_one_espeak_call_and_caches_across_calls(
    espeak: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    real = subprocess.run

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(words.subprocess, "run", spy)
    said = words.pronounce(["Summer", "lake", "lake", "beautiful"])
    assert set(said) == {"summer", "lake", "beautiful"}
    assert said["beautiful"][1] == [1, 0, 0]
    assert len(calls) == 1
    scan_lines(["summer lake", "beautiful summer"])
    assert len(calls) == 1


def test_a_batch_maps_each_word_to_its_own_pronunciation(espeak: None) -> None:
    odd = ["mr", "dr", "no", "1", "90th", "don't", "o'clock", "josé", "www", "i", "x", "etc"]
    odd += ["12345678901234567890", "rock'n'roll", "שלום", "中文", "привет", "ok", "summer"]
    batch = words.pronounce(odd)
    for word in odd:
        words._cache.clear()
        assert words.pronounce([word])[word] == batch[word], word


def test_text_never_reaches_espeak_as_an_option_or_markup(
    espeak: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[list[str], bytes]] = []
    real = subprocess.run

    def spy(command: list[str], **kwargs: Any) -> Any:
        seen.append((command, kwargs["input"]))
        return real(command, **kwargs)

    monkeypatch.setattr(words.subprocess, "run", spy)
    line = scan('--help -w /tmp/x <speak><say-as interpret-as="x">hi</say-as></speak> [[h@l]]')
    assert line.syllables
    (command, given) = seen[0]
    assert command[1:] == ["-q", "--ipa", "-v", "en-us", "--sep=_"]
    assert b"-" not in given and b"<" not in given and b"[" not in given


def test_hostile_text_gives_words_or_nothing_and_never_crashes(espeak: None) -> None:
    hostile = [
        "\x00\x07\x1b[31m red \u202e reversed \ufeff",
        "😀🎵 sing 🎶",
        "שלום עולם",
        "<script>alert('x')</script>",
        "' '' ''' - -- ...",
        "ALL CAPS SHOUTING",
        "José and Zoë, naïve café",
        "x" * 200,
    ]
    for line in scan_lines(hostile):
        assert all(s.text for s in line.syllables)
    assert words_of("😀🎵 sing 🎶") == ["sing"]
    assert words_of("' '' ''' - -- ...") == []
    assert words_of("don't well-known ’tis rock’n’roll") == [
        "don't",
        "well",
        "known",
        "tis",
        "rock'n'roll",
    ]


def test_a_very_long_line_is_refused_with_the_limit_and_what_to_do() -> None:
    with pytest.raises(MusicError) as caught:
        scan("la " * 3334)
    assert caught.value.code == "music_line_long"
    assert "200" in caught.value.message
    assert caught.value.hint


def test_without_espeak_the_spelling_still_scans_a_line(no_espeak: None) -> None:
    assert words.engine() == "spelling"
    line = scan("Summers by the beautiful lake")
    sung = ["Sum", "mers", "by", "the", "beau", "ti", "ful", "lake"]
    assert [s.text for s in line.syllables] == sung
    assert [s.stress for s in line.syllables] == [1, 0, 0, 0, 1, 0, 0, 1]
    assert rhymes(line, scan("I lie awake"))
    assert not rhymes(line, scan("under a tree"))
    assert words.pronounce(["lake"])["lake"][1] == [1]
    assert not words._cache  # a guess is not kept for when espeak is back


def test_a_failing_espeak_falls_back_to_spelling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(words, "ESPEAK", script(tmp_path, "exit 3"))
    assert [s.text for s in scan("remember").syllables] == ["re", "mem", "ber"]
    assert words.engine() == "spelling"


def test_an_espeak_that_loses_a_line_falls_back_rather_than_misalign(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(words, "ESPEAK", script(tmp_path, "head -n 1 >/dev/null; echo l_ˈeɪ_k"))
    line = scan("lake summer")
    assert [s.text for s in line.syllables] == ["lake", "sum", "mer"]
    assert words.engine() == "spelling"


def test_a_hung_espeak_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(words, "ESPEAK", script(tmp_path, "exec sleep 5"))
    monkeypatch.setattr(words, "TIMEOUT", 0.3)
    with pytest.raises(MusicError) as caught:
        scan("lake")
    assert caught.value.code == "music_espeak_hung"


def test_sixteen_lines_of_eight_words_scan_quickly(espeak: None) -> None:
    vocab = words_of("love night light heart dream river mountain shadow morning golden whisper")
    vocab += words_of("forever remember beautiful summer winter wonder yellow window tomorrow")
    lines = [" ".join(vocab[(i * 8 + j) % len(vocab)] for j in range(8)) for i in range(16)]
    start = time.perf_counter()
    scanned = scan_lines(lines)
    assert time.perf_counter() - start < 1.0  # about 0.03 s here; generous for slow CI
    assert len(scanned) == 16
