"""Applying a declutter plan and undoing it, on real trees: nothing is ever lost."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from pathlib import Path

import pytest
from files_trees import fingerprint, messy_tree, write

from os1.skills.files.apply import apply_plan, undo_plan
from os1.skills.files.clutter import Rules
from os1.skills.files.plan import Survey, survey


def _survey(root: Path, **options: bool) -> Survey:
    return survey(os.path.realpath(root), Rules(now_ns=time.time_ns()), **options)


def _journal(data: dict[str, object]) -> dict[str, object]:
    """What the journal keeps and gives back (JSON text)."""
    result: dict[str, object] = json.loads(json.dumps(data))
    return result


def _by_name(found: Survey) -> dict[str, str]:
    return {os.path.relpath(i.path, found.scan.root): i.reason for i in found.items}


def test_plan_names_reasons_and_bytes_then_apply_and_undo_restore_everything(
    tmp_path: Path,
) -> None:
    root = messy_tree(tmp_path / "home")
    outside = write(tmp_path / "elsewhere" / "precious.txt", "not in the tree")
    (root / "Documents" / "link-out").symlink_to(outside)
    before, outside_before = fingerprint(root), fingerprint(outside.parent)

    found = _survey(root)
    reasons = _by_name(found)
    assert set(reasons) == {
        "Downloads/report (1).pdf",
        "Pictures/backup/cat.jpg",
        "Downloads/setup-tool.dmg",
        "Downloads/movie.mkv.part",
        "Documents/.DS_Store",
        "Old/empty/deeper",
        "Old/empty",
        "Old",
    }
    assert reasons["Downloads/report (1).pdf"] == (
        "duplicate of Documents/report.pdf (kept: not in Downloads)"
    )
    assert (
        reasons["Pictures/backup/cat.jpg"]
        == "duplicate of Pictures/cat.jpg (kept: the oldest copy)"
    )
    assert "installer" in reasons["Downloads/setup-tool.dmg"]
    assert [os.path.basename(i.path) for i in found.suggestions] == ["taxes-2019.txt"]
    assert found.freed == 300_000 + 3000 + 900 + len("partial") + len(b"\0\0\0\1Bud1")
    assert found.totals()["duplicate"] == (2, 303_000)

    archive = tmp_path / "os1" / "archive" / "run"
    archive.mkdir(parents=True)
    done = apply_plan(_journal(found.args("archive")), str(archive), time.time())

    assert not done.skipped and len(done.moves) == 5 and len(done.folders) == 3
    assert (archive / "Downloads" / "report (1).pdf").exists()
    assert (root / "Documents" / "report.pdf").exists()  # the kept copy stays
    assert not (root / "Old").exists() and (root / "Music").is_dir()
    assert (root / "Downloads" / "fresh.part").exists()  # a download in progress stays
    assert len((tmp_path / "os1" / "archive" / "run.jsonl").read_text().splitlines()) == 5
    assert fingerprint(outside.parent) == outside_before

    message = undo_plan(_journal(done.undo_data("archive", str(archive))))
    assert message == "Put back 5 files and 3 folders."
    assert fingerprint(root) == before  # byte-identical, same mtimes, same folders
    assert not archive.exists()


def test_files_changed_after_the_scan_are_not_touched(tmp_path: Path) -> None:
    root = messy_tree(tmp_path / "home")
    found = _survey(root)
    with open(root / "Downloads" / "setup-tool.dmg", "ab") as out:
        out.write(b"more")
    os.unlink(root / "Downloads" / "movie.mkv.part")
    write(root / "Pictures" / "cat.jpg", b"CAT" * 1000)  # the copy to keep changed

    archive = tmp_path / "archive"
    archive.mkdir()
    done = apply_plan(_journal(found.args("archive")), str(archive), time.time())

    skipped = "\n".join(done.skipped)
    assert "setup-tool.dmg (changed since the scan)" in skipped
    assert "movie.mkv.part (gone since the scan)" in skipped
    assert "backup/cat.jpg (the copy to keep changed" in skipped
    assert (root / "Downloads" / "setup-tool.dmg").read_bytes().endswith(b"more")
    assert (root / "Pictures" / "backup" / "cat.jpg").read_bytes() == b"cat" * 1000
    assert "Left alone (3)" in done.message("the archive")


def test_a_folder_swapped_for_a_link_after_the_scan_is_not_followed(tmp_path: Path) -> None:
    root = messy_tree(tmp_path / "home")
    found = _survey(root)
    # same files, same inodes, but now reached through a link: must be refused
    os.rename(root / "Downloads", tmp_path / "moved-away")
    (root / "Downloads").symlink_to(tmp_path / "moved-away")

    archive = tmp_path / "archive"
    archive.mkdir()
    done = apply_plan(_journal(found.args("archive")), str(archive), time.time())
    assert sum("not inside the scanned folder" in s for s in done.skipped) == 3
    assert sorted(os.listdir(tmp_path / "moved-away")) == [
        "fresh.part",
        "movie.mkv.part",
        "report (1).pdf",
        "setup-tool.dmg",
    ]


def test_undo_never_overwrites_a_file_that_appeared_since(tmp_path: Path) -> None:
    root = tmp_path / "home"
    write(root / "a.txt", "original")
    write(root / "b.txt", "original")
    archive = tmp_path / "archive"
    archive.mkdir()
    done = apply_plan(_journal(_survey(root).args("archive")), str(archive), time.time())
    [(moved_from, moved_to)] = done.moves
    write(moved_from, "a new file with the same name")

    message = undo_plan(_journal(done.undo_data("archive", str(archive))))
    assert "Put back 0 files." in message and "a new file is there" in message
    assert Path(moved_from).read_text() == "a new file with the same name"
    assert Path(moved_to).read_text() == "original"  # the archived copy is kept


def test_trash_mode_follows_the_freedesktop_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    root = messy_tree(tmp_path / "home")
    before = fingerprint(root)
    trash = tmp_path / "data" / "Trash"
    write(trash / "files" / "setup-tool.dmg", "already in the trash")
    write(trash / "info" / "setup-tool.dmg.trashinfo", "[Trash Info]\n")

    done = apply_plan(_journal(_survey(root).args("trash")), str(trash), time.time())

    assert len(done.moves) == 5 and not done.skipped
    info = (trash / "info" / "setup-tool.2.dmg.trashinfo").read_text()
    assert info.startswith("[Trash Info]\nPath=")
    original = urllib.parse.unquote(info.splitlines()[1].removeprefix("Path="))
    assert original == str(root / "Downloads" / "setup-tool.dmg")
    assert "DeletionDate=" in info
    assert (trash / "files" / "report (1).pdf").exists()

    message = undo_plan(_journal(done.undo_data("trash", str(trash))))
    assert message.startswith("Put back 5 files")
    assert fingerprint(root) == before
    assert sorted(os.listdir(trash / "info")) == ["setup-tool.dmg.trashinfo"]


def test_odd_names_survive_plan_journal_apply_and_undo(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    for raw in (b"caf\xe9.txt", b"copy of caf\xe9.txt", b"\xff\xfe-dir/x\nname.txt"):
        path = os.path.join(os.fsencode(str(root)), raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(b"same bytes in odd names")
    before = fingerprint(root)
    found = _survey(root)
    assert len(found.items) == 2 and json.dumps(found.args("archive")).isascii()

    archive = tmp_path / "archive"
    archive.mkdir()
    done = apply_plan(_journal(found.args("archive")), str(archive), time.time())
    assert len(done.moves) == 2 and not done.skipped
    assert undo_plan(_journal(done.undo_data("archive", str(archive)))) == "Put back 2 files."
    assert fingerprint(root) == before


def test_moves_across_drives_copy_verify_then_remove(small_disk: Path, tmp_path: Path) -> None:
    root = small_disk / "usb"
    write(root / "photo.jpg", os.urandom(50_000), days_old=5)
    write(root / "photo copy.jpg", (root / "photo.jpg").read_bytes(), days_old=1)
    write(root / "Downloads" / "tool.iso", b"iso" * 100, days_old=30)
    before = fingerprint(root)
    archive = tmp_path / "archive"  # another drive than the tmpfs
    archive.mkdir()

    done = apply_plan(_journal(_survey(root).args("archive")), str(archive), time.time())

    assert len(done.moves) == 2 and not done.skipped
    assert (archive / "photo copy.jpg").read_bytes() == (root / "photo.jpg").read_bytes()
    assert not (root / "photo copy.jpg").exists()
    undo_plan(_journal(done.undo_data("archive", str(archive))))
    assert fingerprint(root) == before
