"""Exact duplicates on real files: the same bytes only, hard links and empty files aside."""

from __future__ import annotations

import os
from pathlib import Path

from files_trees import write

from os1.skills.files.duplicates import EDGE, find_duplicates
from os1.skills.files.scan import scan


def _names(groups: list[tuple[str, ...]]) -> list[list[str]]:
    return sorted(sorted(os.path.basename(p) for p in g) for g in groups)


def test_same_bytes_are_duplicates_same_size_is_not(tmp_path: Path) -> None:
    big = os.urandom(3 * EDGE)
    middle_differs = bytearray(big)
    middle_differs[len(big) // 2] ^= 0xFF  # same head, tail and size: only the full hash tells
    write(tmp_path / "big-a.bin", big)
    write(tmp_path / "sub" / "big-b.bin", big)
    write(tmp_path / "big-c.bin", bytes(middle_differs))
    write(tmp_path / "small-a.txt", "hello world")
    write(tmp_path / "small-b.txt", "hello world")
    write(tmp_path / "small-c.txt", "hello WORLD")  # same size, other bytes
    write(tmp_path / "empty-a", b"")
    write(tmp_path / "empty-b", b"")
    os.link(tmp_path / "small-c.txt", tmp_path / "hardlink-to-c.txt")  # one file, two names

    found = find_duplicates(scan(str(tmp_path)).files)

    groups = [tuple(e.path for e in g.files) for g in found.groups]
    assert _names(groups) == [["big-a.bin", "big-b.bin"], ["small-a.txt", "small-b.txt"]]
    assert found.wasted == len(big) + len("hello world")
    assert found.hashed_bytes > 0 and found.mb_per_s > 0
    assert not found.problems


def test_a_file_changed_before_hashing_is_left_out_and_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "same text")
    write(tmp_path / "b.txt", "same text")
    write(tmp_path / "c.txt", "same text")
    files = scan(str(tmp_path)).files
    write(tmp_path / "c.txt", "SAME TEXT")  # same size, new bytes, after the scan

    found = find_duplicates(files)
    assert _names([tuple(e.path for e in g.files) for g in found.groups]) == [["a.txt", "b.txt"]]
    assert len(found.problems) == 1 and "c.txt (changed while looking" in found.problems[0]


def test_a_file_replaced_by_a_link_is_never_read_through(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "same text")
    write(tmp_path / "b.txt", "same text")
    write(tmp_path / "elsewhere.txt", "same text")
    files = [e for e in scan(str(tmp_path)).files if "elsewhere" not in e.path]
    os.unlink(tmp_path / "b.txt")
    os.symlink(tmp_path / "elsewhere.txt", tmp_path / "b.txt")

    found = find_duplicates(files)
    assert found.groups == []
    assert "b.txt (could not read" in found.problems[0]  # O_NOFOLLOW refused the link
