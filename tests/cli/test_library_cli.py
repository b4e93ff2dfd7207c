"""``os1 library``: books added from the terminal with every file accounted for, found
by their words with book and chapter, listed, shown and removed; mistakes get a clear
message and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

BOOK = """Title: The Lighthouse
Author: A. Keeper

*** START OF THE PROJECT GUTENBERG EBOOK THE LIGHTHOUSE ***

CHAPTER I. The Lamp.

Every night the keeper climbed the hundred steps and lit the great lamp, and the
ships passed safely by the rocks below.
"""


def test_add_search_list_show_and_remove_from_the_terminal(tmp_path: Path) -> None:
    home, books = tmp_path / "home", tmp_path / "books"
    books.mkdir()
    (books / "lighthouse.txt").write_text(BOOK)
    (books / "blank.txt").write_text("")
    added = run_cli(home, "library", "add", str(books))
    assert added.exit_code == 0, added.output
    assert "The Lighthouse" in added.stdout and "blank.txt is empty" in added.stdout
    assert "1 added, 1 left out" in added.stdout

    found = run_cli(home, "library", "search", "keeper lamp", "--json")
    assert found.exit_code == 0, found.output
    (hit,) = json.loads(found.stdout)
    assert hit["title"] == "The Lighthouse" and hit["chapter"] == "CHAPTER I. The Lamp."
    assert hit["author"] == "A. Keeper" and "hundred steps" in hit["text"]
    plain = run_cli(home, "library", "search", '"hundred steps"')
    assert "The Lighthouse, CHAPTER I. The Lamp." in plain.stdout

    listed = json.loads(run_cli(home, "library", "list", "--json").stdout)
    assert [(b["id"], b["title"]) for b in listed] == [(hit["book"], "The Lighthouse")]
    shown = run_cli(home, "library", "show", str(hit["book"]))
    assert shown.exit_code == 0 and "by A. Keeper" in shown.stdout and "CHAPTER I" in shown.stdout

    asked = run_cli(home, "library", "ask", "Why did the keeper climb the steps?", "--json")
    assert asked.exit_code == 0, asked.output  # the scripted model cites nothing
    assert json.loads(asked.stdout) == {
        "answer": "Your books do not say.", "known": False, "quotes": [], "unverified": 0
    }  # fmt: skip

    again = run_cli(home, "library", "add", str(books / "lighthouse.txt"), "--json")
    assert json.loads(again.stdout)["skipped"][0]["code"] == "library_already"

    removed = run_cli(home, "library", "remove", str(hit["book"]))
    assert removed.exit_code == 0 and "Removed “The Lighthouse”" in removed.stdout
    assert json.loads(run_cli(home, "library", "search", "keeper", "--json").stdout) == []
    empty = run_cli(home, "library", "list")
    assert "Your library is empty" in empty.stdout


def test_mistakes_get_a_clear_message_and_a_failing_exit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    nothing = run_cli(home, "library", "add", str(tmp_path / "nowhere.txt"))
    assert nothing.exit_code == 1 and "There is no file nowhere.txt" in nothing.output
    unknown = run_cli(home, "library", "show", "99")
    assert unknown.exit_code == 1 and "no book 99" in unknown.output
    assert "os1 library list" in unknown.output
    blank = run_cli(home, "library", "search", " ")
    assert blank.exit_code == 1 and "Say what to look for" in blank.output
    assert run_cli(home, "library", "show", "three").exit_code == 2
