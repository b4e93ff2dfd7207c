"""``os1 files declutter`` and ``os1 files find`` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from files_trees import fingerprint, messy_tree, write
from typer.testing import CliRunner

from os1.cli.app import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "OS1_HOME": str(tmp_path / "os1"),
        "OS1_LLM_BACKEND": "scripted",
        "OS1_EMBEDDERS": "none",
        "COLUMNS": "200",
    }


def _os1(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_plan_only_shows_reasons_and_bytes_and_moves_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    root = messy_tree(tmp_path / "me")
    before = fingerprint(root)
    code, output = _os1(env, "files", "declutter", str(root))
    assert code == 0, output
    assert "Downloads/report (1).pdf" in output and "kept: not in Downloads" in output
    assert "303.9 kB" in output and "nothing moved" in output
    assert fingerprint(root) == before

    code, output = _os1(env, "files", "declutter", str(root), "--json")
    plan = json.loads(output)
    assert plan["bytes_freed"] == 303_915 and plan["totals"]["duplicate"]["count"] == 2
    assert {i["path"] for i in plan["suggestions"]} == {"Documents/taxes-2019.txt"}


def test_apply_yes_is_journaled_and_os1_undo_puts_it_back(
    env: dict[str, str], tmp_path: Path
) -> None:
    root = messy_tree(tmp_path / "me")
    before = fingerprint(root)
    code, output = _os1(env, "files", "declutter", str(root), "--apply", "--yes")
    assert code == 0, output
    assert "Moved 5 files (303.9 kB)" in output and "os1 undo 1" in output
    assert not (root / "Downloads" / "setup-tool.dmg").exists()

    code, output = _os1(env, "actions")
    assert code == 0 and "Tidy" in output and "done" in output
    code, output = _os1(env, "undo", "1")
    assert code == 0, output
    assert "Put back 5 files and 3 folders." in output
    assert fingerprint(root) == before


def test_apply_without_a_terminal_or_yes_only_proposes(env: dict[str, str], tmp_path: Path) -> None:
    root = messy_tree(tmp_path / "me")
    before = fingerprint(root)
    code, output = _os1(env, "files", "declutter", str(root), "--apply")
    assert code == 0 and "os1 actions confirm 1" in output
    assert fingerprint(root) == before


def test_wrong_paths_and_options_say_what_to_do(env: dict[str, str], tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "x")
    code, output = _os1(env, "files", "declutter", str(tmp_path / "nope"))
    assert code == 1 and "There is no folder" in output
    code, output = _os1(env, "files", "declutter", str(tmp_path / "a.txt"))
    assert code == 1 and "is a file, not a folder" in output
    code, output = _os1(env, "files", "declutter", "/usr")
    assert code == 1 and "belongs to the operating system" in output
    code, output = _os1(env, "files", "declutter", str(tmp_path), "--to", "bin")
    assert code == 2 and "use --to archive or --to trash" in output


def test_find_answers_in_words_and_json(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "me"
    write(root / "Work" / "Jane_Resume.docx", b"docx")
    write(root / "Work" / "[draft] budget.xlsx", b"xlsx")
    code, output = _os1(env, "files", "find", "my CV", "--in", str(root))
    assert code == 0 and "Jane_Resume.docx" in output
    code, output = _os1(env, "files", "find", "the budget spreadsheet", "--in", str(root))
    assert code == 0 and "[draft] budget.xlsx" in output  # brackets are not markup
    code, output = _os1(env, "files", "find", "my CV", "--in", str(root), "--json")
    found = json.loads(output)
    assert found["matches"][0]["path"].endswith("Jane_Resume.docx")
