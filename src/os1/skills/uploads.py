"""Files a person brings by upload, kept in the one folder their tools may use.

On a shared server a person other than the owner never names the server's own files;
they upload theirs (the web UI's paperclip, ``PUT /api/files/NAME``, MCP's
``upload_file``) into their folder (``skills.reach``) and name them there: ``/proofread
letter.txt``. A name is a plain file name (no folders, no leading dot, no control
characters), a file is written to a temporary name, flushed and renamed over the old one
(a crash leaves the old file or the new one), readable by the server's user alone, and
a person's own folder under os1's data holds at most ``quota`` bytes.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from os1.errors import InputError

MAX_NAME = 200


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    modified: float
    path: str  # how the person names it in a request, e.g. "~/letter.txt"


def checked_name(name: str) -> str:
    """``name`` if it can name an uploaded file.

    Raises:
        InputError: it is empty, too long, a folder path, hidden, or not plain text.
    """
    clean = name.strip()
    if (
        not clean
        or len(clean) > MAX_NAME
        or "/" in clean
        or "\\" in clean
        or clean.startswith(".")
        or not clean.isprintable()
    ):
        raise InputError(
            "bad_file_name",
            f"{name[:80]!r} cannot name an uploaded file.",
            f"Use a plain file name of up to {MAX_NAME} characters, e.g. letter.txt.",
        )
    return clean


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as listing:
            return [
                e
                for e in listing
                if not e.name.startswith(".") and e.is_file(follow_symlinks=False)
            ]
    except FileNotFoundError:
        return []


def listing(folder: Path) -> list[tuple[str, int, float]]:
    """(name, size, modified) of the files directly in ``folder``, by name."""
    found = []
    for entry in _entries(folder):
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        found.append((entry.name, st.st_size, st.st_mtime))
    return sorted(found)


def save(folder: Path, name: str, data: bytes, quota: int | None) -> Path:
    """Write ``data`` as ``folder/name`` in one step, replacing a file of that name.

    Args:
        quota: the most bytes the folder may hold afterwards (None: no limit).

    Raises:
        InputError: the name is unusable or names a folder, or the quota would be passed.
        OSError: the disk is full or the folder not writable (nothing is half written).
    """
    clean = checked_name(name)
    target = folder / clean
    if target.is_dir() and not target.is_symlink():
        raise InputError("bad_file_name", f"{clean} is a folder.", "Choose another name.")
    if quota is not None:
        used = sum(size for entry_name, size, _ in listing(folder) if entry_name != clean)
        if used + len(data) > quota:
            raise InputError(
                "quota_exceeded",
                f"Your files would take {(used + len(data)) / 1e6:.1f} MB; you may keep"
                f" {quota / 1e6:.0f} MB.",
                "Delete files you no longer need (DELETE /api/files/NAME), then try again.",
            )
    fd, temp = tempfile.mkstemp(prefix=".upload-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, target)  # replaces a link itself, never what it points to
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def remove(folder: Path, name: str) -> None:
    """Delete ``folder/name``.

    Raises:
        InputError: there is no such file.
    """
    target = folder / checked_name(name)
    if not target.is_file() or target.is_symlink():
        raise InputError("not_found", f"You have no file called {name[:80]!r}.")
    target.unlink()
