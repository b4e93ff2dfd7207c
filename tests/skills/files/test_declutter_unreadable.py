"""Unreadable files and folders: reported, left alone, never a crash.

Tests run as root here, and root reads through ``chmod 000``. So when root, the scan runs
in a child process that ``setpriv`` stripped of the two capabilities that let root ignore
permission bits: it then meets ``chmod 000`` as any person's process would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from files_trees import write

SCRIPT = """
import json, sys, time
from os1.skills.files.apply import apply_plan
from os1.skills.files.clutter import Rules
from os1.skills.files.plan import survey
root, archive = sys.argv[1], sys.argv[2]
found = survey(root, Rules(now_ns=time.time_ns()))
done = apply_plan(found.args("archive"), archive, time.time())
print(json.dumps({
    "files": sorted(e.path for e in found.scan.files),
    "problems": found.problems(),
    "moved": [a for a, _ in done.moves],
    "skipped": done.skipped,
}))
"""


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("as root, testing unreadable files needs setpriv to drop DAC capabilities")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_unreadable_files_and_folders_are_reported_and_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "home"
    write(root / "a.txt", "twin")
    locked = write(root / "b.txt", "twin")  # a duplicate of a.txt no one may read
    write(root / "private" / "diary.txt", "dear diary")
    write(root / "c.txt", "also twin")
    write(root / "d.txt", "also twin")
    locked.chmod(0o000)
    (root / "private").chmod(0o000)
    archive = tmp_path / "archive"
    archive.mkdir()
    try:
        done = subprocess.run(
            [*_unprivileged(), sys.executable, "-c", SCRIPT, str(root), str(archive)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        (root / "private").chmod(0o755)
        locked.chmod(0o644)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)

    problems = "\n".join(result["problems"])
    assert "1 could not be read (left alone): " in problems and "private" in problems
    assert "could not be compared" in problems and "b.txt (could not read" in problems
    assert result["moved"] == [str(root / "d.txt")]  # the readable pair still works
    assert (root / "a.txt").read_text() == "twin" and locked.read_text() == "twin"
    assert (root / "private" / "diary.txt").read_text() == "dear diary"
