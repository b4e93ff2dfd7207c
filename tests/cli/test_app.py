"""The top-level command: its help page lists every command without importing any of
them (so ``os1 --help`` starts at once), and each line there is the command's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import run_cli
from os1.cli.app import COMMANDS, load_command


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


def test_each_listed_line_is_the_commands_own_help() -> None:
    for name, (_, _, listed) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert _first_paragraph(command.help or "") == listed, name


def test_the_help_page_loads_no_command() -> None:
    probe = (
        "import sys\n"
        "from os1.cli.app import main\n"
        "sys.argv = ['os1', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('os1.companion', 'os1.server.mcp', 'numpy') if m in sys.modules]\n"
        "print('loaded:', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "chat" in done.stdout and "calendar" in done.stdout
    assert "loaded: []" in done.stdout


def test_a_command_runs_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    listed = run_cli(tmp_path, "memory", "list")
    assert listed.exit_code == 0 and "Nothing found." in listed.output, listed.output
    unknown = run_cli(tmp_path, "nosuch")
    assert unknown.exit_code == 2 and "No such command 'nosuch'" in unknown.output
