"""A piece written out with the real tools: MIDI and MusicXML by music21, audio by
FluidSynth, sheet music by LilyPond; a missing tool costs only its own files."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from conftest import missing_component
from os1.errors import MusicError
from os1.skills.music import score
from os1.skills.music.compose import compose
from os1.skills.music.plan import PiecePlan
from os1.skills.music.score import write_piece

PIECE = compose(
    PiecePlan(tonic="D", mode="minor", tempo=96, instrument="cello", motif_word="Lena", form="ABA"),
    2,
)


@pytest.fixture
def tools() -> None:
    for tool in ("fluidsynth", "lilypond", "musicxml2ly"):
        if not shutil.which(tool):
            missing_component(f"{tool} is not installed")
    if score.find_soundfont() is None:
        missing_component("no General MIDI soundfont")


def test_every_file_is_written_and_the_audio_is_heard(tools: None, tmp_path: Path) -> None:
    done = write_piece(PIECE, tmp_path / "out", "A grey morning", extra={"why.txt": "why\n"})
    assert not done.missing
    assert set(done.files) == {"mid", "musicxml", "wav", "ogg", "pdf", "why.txt"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["piece.mid", "piece.musicxml", "piece.wav", "piece.ogg", "piece.pdf", "why.txt"]
    )  # nothing half-made or left over beside them
    assert done.files["mid"].read_bytes()[:4] == b"MThd"
    assert b"<score-partwise" in done.files["musicxml"].read_bytes()
    assert done.files["pdf"].read_bytes()[:5] == b"%PDF-"
    assert done.files["ogg"].read_bytes()[:4] == b"OggS"
    with wave.open(str(done.files["wav"])) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype=np.int16)
    assert PIECE.seconds <= seconds <= PIECE.seconds + 5  # the piece, and its last ring
    level = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    assert level > 1000, "too quiet to hear at a normal volume (FluidSynth's gain)"


def test_without_fluidsynth_the_rest_is_still_made(
    tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        score.shutil, "which", lambda name: None if name == "fluidsynth" else real_which(name)
    )
    done = write_piece(PIECE, tmp_path, "t")
    assert {"mid", "musicxml", "pdf"} <= set(done.files)
    assert (
        "FluidSynth" in done.missing["wav"] and "apt-get install fluidsynth" in done.missing["wav"]
    )
    assert not list(tmp_path.glob("*.wav"))


def test_without_a_soundfont_it_is_named(
    tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(score, "SOUNDFONTS", (tmp_path / "none.sf2",))
    monkeypatch.delenv("OS1_SOUNDFONT", raising=False)
    done = write_piece(PIECE, tmp_path / "out", "t")
    assert "soundfont" in done.missing["wav"] and "fluid-soundfont-gm" in done.missing["wav"]
    assert {"mid", "musicxml", "pdf"} <= set(done.files)


def test_without_lilypond_there_is_no_sheet_music_but_the_rest(
    tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        score.shutil, "which", lambda name: None if name == "lilypond" else real_which(name)
    )
    done = write_piece(PIECE, tmp_path, "t")
    assert "lilypond" in done.missing["pdf"] and {"mid", "wav"} <= set(done.files)


def test_a_destination_that_cannot_be_written_is_told(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    with pytest.raises(MusicError) as caught:
        write_piece(PIECE, blocker / "piece", "t")
    assert caught.value.code == "music_destination"
