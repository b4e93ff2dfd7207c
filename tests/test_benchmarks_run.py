"""The benchmarks the README cites keep running as the code under them changes.

They are not part of the suite (they take minutes and want a quiet machine), so a change
that broke one went unnoticed: ``bench/skills.py`` failed with "no such table" for days
after the skills took their own migrations. Here the quick form of the benchmarks that
need no model runs end to end (about 15 seconds); its figures are not judged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_the_skills_benchmark_runs_without_the_model() -> None:
    done = subprocess.run(
        [sys.executable, "bench/skills.py", "--quick", "--only", "files,calendar,mail"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("declutter scan: os1", "duplicate detection:", "ICS import: os1", "mail index:"):
        assert line in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def test_the_letters_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, "bench/letters.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "identical neighbours" in done.stdout and "caveat" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def test_the_library_benchmark_runs(tmp_path: Path) -> None:
    words = [
        "harbour",
        "lantern",
        "keeper",
        "orchard",
        "meadow",
        "whistle",
        "pebble",
        "thunder",
        "saddle",
        "cobbler",
    ]
    for n in range(12):  # a small shelf of made-up books, each long enough to be sampled
        lines = [
            f"{words[(n + i) % 10]} and the {words[(3 * i + n) % 10]} went by" for i in range(900)
        ]
        lines[450] = f"a singular word{n}xyzzy here"
        (tmp_path / f"book{n}.txt").write_text("\n\n".join(lines))
    done = subprocess.run(
        [
            sys.executable,
            "bench/library.py",
            str(tmp_path),
            "--quick",
            "--ask",
            "0",
            "--other-words",
            "0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "os1 library add" in done.stdout and "raw bulk insert" in done.stdout, done.stdout
    assert "phrase" in done.stdout and "Traceback" not in done.stderr
    assert "then the meanings of 12 books" in done.stdout, done.stdout
