"""``os1 users``: the admin shows and sets which of the server's files a person's skills
may use, through the real CLI on a real store."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


def test_the_admin_gives_and_takes_a_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "users", "add", "alice").exit_code == 0
    shown = run_cli(home, "users", "files", "alice")
    assert shown.exit_code == 0 and "own folder" in shown.output

    shared = tmp_path / "alice-shared"
    shared.mkdir()
    given = run_cli(home, "users", "files", "alice", "--root", str(shared))
    assert given.exit_code == 0 and str(shared) in given.output
    assert str(shared) in run_cli(home, "users", "list").output

    for refused in ("/etc", str(home), "relative/folder", str(tmp_path / "missing")):
        answer = run_cli(home, "users", "files", "alice", "--root", refused)
        assert answer.exit_code == 1, (refused, answer.output)
    both = run_cli(home, "users", "files", "alice", "--own", "--anywhere")
    assert both.exit_code == 2 and "one of" in both.output

    assert "anywhere" in run_cli(home, "users", "files", "alice", "--anywhere").output
    assert "own folder" in run_cli(home, "users", "files", "alice", "--own").output
    missing = run_cli(home, "users", "files", "nobody")
    assert missing.exit_code == 1 and "no user called" in missing.output
