"""``os1 proofread FILE`` as a person uses it: one question per suggestion, only the
accepted ones written, the original kept, ``os1 undo`` taking it back; and every kind
of file it cannot proofread explained without touching anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli as os1

LETTER = "dear Amy,\n\nI recieve your letter and was happy to to read it. Its a long time.\n"


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    path = tmp_path / "letter.txt"
    path.write_text(LETTER)
    return path


def test_each_suggestion_is_asked_about_and_only_accepted_ones_are_written(
    home: Path, letter: Path
) -> None:
    # accept, reject, a typo (asked again), accept, then stop before the last one
    result = os1(home, "proofread", str(letter), "--yes", answers="a\nr\nwhat\na\nq\n")
    assert result.exit_code == 0, result.output
    assert "4 suggestions for letter.txt" in result.output
    assert "I [-recieve-]{+receive+} your letter" in result.output
    assert '"to" twice in a row' in result.output
    assert "a = accept, r = reject" in result.output  # the typo got the help
    assert letter.read_text() == (
        "Dear Amy,\n\nI recieve your letter and was happy to read it. Its a long time.\n"
    )
    assert "Correct 2 things in letter.txt" in result.output
    (kept,) = home.glob("skills/*/proofread/originals/*letter.txt")
    assert kept.read_text() == LETTER

    undone = os1(home, "undo")
    assert undone.exit_code == 0, undone.output
    assert letter.read_text() == LETTER


def test_without_a_terminal_nothing_is_written_unless_confirmed(home: Path, letter: Path) -> None:
    result = os1(home, "proofread", str(letter), "--no-model", answers="A\n")
    assert result.exit_code == 0, result.output
    assert letter.read_text() == LETTER
    assert "os1 actions confirm 1" in result.output

    confirmed = os1(home, "actions", "confirm", "1")
    assert confirmed.exit_code == 0, confirmed.output
    assert letter.read_text() == (
        "Dear Amy,\n\nI receive your letter and was happy to read it. It's a long time.\n"
    )


def test_all_accepts_everything_and_no_answers_means_no_change(home: Path, letter: Path) -> None:
    silent = os1(home, "proofread", str(letter), "--no-model", "--yes")  # input ends at once
    assert "Nothing accepted; letter.txt is unchanged." in silent.output
    assert letter.read_text() == LETTER

    result = os1(home, "proofread", str(letter), "--all", "--yes", "--no-model")
    assert result.exit_code == 0, result.output
    assert letter.read_text().startswith("Dear Amy,\n\nI receive your letter")


def test_json_lists_the_suggestions_and_changes_nothing(home: Path, letter: Path) -> None:
    for extra in ((), ("--no-model",)):
        result = os1(home, "proofread", str(letter), "--json", *extra)
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["file"] == str(letter.resolve()) and data["encoding"] == "utf-8"
        first = data["suggestions"][1]
        assert first["original"] == "recieve" and first["replacement"] == "receive"
        assert LETTER[first["start"] : first["end"]] == "recieve" and first["line"] == 3
    assert letter.read_text() == LETTER
    assert not list(home.glob("skills/*/proofread/originals/*"))


def test_a_clean_file_needs_nothing(home: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.md"
    clean.write_text("Dear Amy,\n\nThank you for the flowers.\n")
    result = os1(home, "proofread", str(clean), "--no-model")
    assert result.exit_code == 0 and "I found nothing to correct in clean.md." in result.output


def test_files_it_cannot_proofread_are_explained(home: Path, tmp_path: Path) -> None:
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "old.txt").write_bytes("Caf\xe9 cr\xe8me, s'il vous pla\xeet.\n".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "huge.txt").write_text("All fine here. " * 70_000)
    cases = {
        "missing.txt": "There is no file",
        ".": "is a folder",
        "photo.txt": "is not a text file",
        "old.txt": "is not UTF-8 text (byte 0xe9 on line 1)",
        "empty.txt": "there is nothing to proofread",
        "huge.txt": "I proofread files up to 1 MB",
    }
    for name, words in cases.items():
        result = os1(home, "proofread", str(tmp_path / name), "--all", "--yes")
        assert result.exit_code == 1, (name, result.output)
        assert words in result.output, (name, result.output)
    old = os1(home, "proofread", str(tmp_path / "old.txt"))
    assert "Windows-1252" in old.output and "iconv" in old.output
    assert (tmp_path / "old.txt").read_bytes().startswith(b"Caf\xe9")


def test_help_shows_examples(home: Path) -> None:
    result = os1(home, "proofread", "--help")
    assert result.exit_code == 0
    assert "os1 proofread letter.txt --no-model --all --yes" in result.output
