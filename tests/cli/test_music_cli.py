"""``os1 compose``: the files a person asked for, and what bad requests get."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli


def test_compose_writes_the_piece_and_says_why(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path / "home",
        "compose",
        "--about",
        "our walk by the river",
        "--out",
        str(tmp_path / "river"),
        "--seed",
        "3",
        "--json",
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["seed"] == 3 and result["memories"] == []
    assert 30 <= result["seconds"] <= 120
    assert Path(result["files"]["mid"]).is_file() and Path(result["files"]["why.txt"]).is_file()
    assert "words alone" in result["why"]
    plain = run_cli(
        tmp_path / "home",
        "compose",
        "--about",
        "our walk by the river",
        "--out",
        str(tmp_path / "again"),
    )
    assert plain.exit_code == 0 and "The form is" in plain.stdout and "piece.mid" in plain.stdout


def test_absurd_requests_are_told_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for args, said in (
        (["--tempo", "2000"], "A tempo of 2000 beats a minute cannot be played"),
        (["--bars", "0"], "A piece of 0 bars cannot be written"),
        (["--key", "H minor"], "'H' is not a key"),
        (["--tempo", "120", "--bars", "8"], "8 bars at 120 beats a minute last 16 s"),
    ):
        done = run_cli(tmp_path / "home", "compose", "--about", "rain", "--out", str(out), *args)
        assert done.exit_code == 1, done.output
        assert said in done.output
    assert not out.exists()
    nothing = run_cli(tmp_path / "home", "compose")
    assert nothing.exit_code == 2 and "Say what the piece is about" in nothing.output
    no_font = run_cli(
        tmp_path / "home",
        "compose",
        "--about",
        "rain",
        "--soundfont",
        str(tmp_path / "none.sf2"),
        "--out",
        str(out),
    )
    assert no_font.exit_code == 2 and "There is no soundfont at" in no_font.output
    assert not out.exists()


def test_pieces_are_kept_listed_shown_and_forgotten(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert "Nothing yet" in run_cli(home, "music", "list").stdout
    made = run_cli(
        home,
        "compose",
        "--about",
        "Sunday pancakes with Ines",
        "--out",
        str(tmp_path / "p"),
        "--json",
    )
    assert made.exit_code == 0, made.output
    piece = json.loads(made.stdout)["id"]
    listed = json.loads(run_cli(home, "music", "list", "--json").stdout)
    assert [p["id"] for p in listed] == [piece]
    assert listed[0]["about"] == "Sunday pancakes with Ines"
    shown = run_cli(home, "music", "show", str(piece))
    assert shown.exit_code == 0 and "spell INES" in shown.stdout
    forgot = run_cli(home, "music", "forget", str(piece))
    assert forgot.exit_code == 0 and "forgotten" in forgot.stdout
    gone = run_cli(home, "music", "show", str(piece))
    assert gone.exit_code == 1 and f"There is no piece {piece}" in gone.output
