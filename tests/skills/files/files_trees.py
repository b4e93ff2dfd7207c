"""Real folder trees for the files skill's tests, and a fingerprint to prove nothing moved."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

DAY = 86400


def write(path: Path | str, data: bytes | str, *, days_old: float = 0) -> Path:
    """A file with ``data``, modified ``days_old`` days ago."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    if days_old:
        when = time.time() - days_old * DAY
        os.utime(path, (when, when))
    return path


def fingerprint(root: Path | str) -> dict[bytes, tuple[str, int, str]]:
    """Every entry below ``root`` by raw relative path: kind, mtime and content hash
    (or link target), walked without following links."""
    root_b = os.fsencode(str(root))
    found: dict[bytes, tuple[str, int, str]] = {}
    for folder, dirs, files in os.walk(root_b):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root_b)
            st = os.lstat(path)
            if os.path.islink(path):
                found[rel] = ("link", 0, os.fsdecode(os.readlink(path)))
            elif os.path.isdir(path):
                found[rel] = ("dir", 0, "")
            else:
                digest = hashlib.blake2b(Path(os.fsdecode(path)).read_bytes()).hexdigest()
                found[rel] = ("file", st.st_mtime_ns, digest)
    return found


def messy_tree(root: Path) -> Path:
    """A home-like folder: duplicates, clutter, an old file, empty folders, links."""
    report = os.urandom(300_000)
    write(root / "Documents" / "report.pdf", report, days_old=400)
    write(root / "Downloads" / "report (1).pdf", report, days_old=20)
    write(root / "Pictures" / "cat.jpg", b"cat" * 1000, days_old=30)
    write(root / "Pictures" / "backup" / "cat.jpg", b"cat" * 1000, days_old=10)
    write(root / "Pictures" / "dog.jpg", b"dog" * 1000, days_old=30)  # same size, other bytes
    write(root / "Downloads" / "setup-tool.dmg", b"installer" * 100, days_old=60)
    write(root / "Downloads" / "movie.mkv.part", b"partial", days_old=3)
    write(root / "Downloads" / "fresh.part", b"downloading now")  # still downloading
    write(root / "Documents" / ".DS_Store", b"\0\0\0\1Bud1")
    write(root / "Documents" / "taxes-2019.txt", "old taxes", days_old=1500)
    write(root / "Documents" / "notes.txt", "keep me")
    (root / "Old" / "empty" / "deeper").mkdir(parents=True)
    (root / "Music").mkdir()  # a standard folder: never removed even when empty
    (root / "Pictures" / "loop").symlink_to(root / "Pictures")
    return root
