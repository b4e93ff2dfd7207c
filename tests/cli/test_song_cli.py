"""``os1 song``: a song's files, its revisions in plain words, and what bad requests get."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import missing_component, run_cli


@pytest.fixture(autouse=True)
def _tools() -> None:
    for tool in ("espeak-ng", "lilypond", "fluidsynth"):
        if not shutil.which(tool):
            missing_component(f"{tool} is not installed")


def test_a_song_is_written_revised_listed_and_forgotten(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_cli(home, "song", "--about", "the lake in summer", "--out", str(tmp_path / "s"),
                   "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    song = json.loads(done.stdout)
    for name in ("song.txt", "chords.svg", "lead.pdf", "song.mid", "song.wav"):
        assert (tmp_path / "s" / name).is_file(), name
    assert song["bars"] == 32 and len(song["chords"]) == 32
    assert set(song["lyrics"]) == {"verse 1", "chorus", "verse 2"}
    assert "words" in song["why"]  # no memories: from the person's words
    revised = run_cli(home, "song", "--revise", str(song["id"]), "in G, slower",
                      "--out", str(tmp_path / "g"))  # fmt: skip
    assert revised.exit_code == 0, revised.output
    assert "Changed: now in G" in revised.stdout and "[Chorus]" in revised.stdout
    listed = run_cli(home, "music", "list")
    assert listed.exit_code == 0 and "s1" in listed.stdout and "s2" in listed.stdout
    shown = run_cli(home, "music", "show", "s2", "--json")
    assert json.loads(shown.stdout)["revised_from"] == "s1"
    assert run_cli(home, "music", "forget", "s1").exit_code == 0
    gone = run_cli(home, "music", "show", "s1")
    assert gone.exit_code == 1 and "There is no song 1" in gone.output


def test_bad_song_requests_are_told(tmp_path: Path) -> None:
    home = tmp_path / "home"
    nothing = run_cli(home, "song")
    assert nothing.exit_code == 2 and "Say what the song is about" in nothing.output
    no_change = run_cli(home, "song", "--revise", "3")
    assert no_change.exit_code == 2 and "Say how to change the song" in no_change.output
    unknown = run_cli(home, "song", "--revise", "99", "slower")
    assert unknown.exit_code == 1 and "There is no song 99" in unknown.output
    junk = run_cli(home, "music", "show", "<script>")
    assert junk.exit_code == 2 and "is not a piece or a song" in junk.output
    no_font = run_cli(home, "song", "--about", "rain", "--soundfont", str(tmp_path / "x.sf2"))
    assert no_font.exit_code == 2 and "There is no soundfont" in no_font.output
