"""Carrying out a declutter plan, and undoing it: moves only, never a delete.

Before each move the file is looked at again (``lstat``) and must be the very file the
plan showed: same inode, size and mtime, still a regular file, still below the scanned
folder with no link on the way. For a duplicate, the copy that was to be kept must also
still be there unchanged, or the "extra" copy may be the last one and stays. Anything
else is skipped and named in the result. Files go to the os1 archive folder (the tree
below the scanned folder mirrored inside, plus a ``.jsonl`` list of every move written
as it happens, so even a crash mid-way leaves a record) or to the freedesktop trash
(``$XDG_DATA_HOME/Trash``, with the ``.trashinfo`` files that let any file manager
restore them). Empty folders are removed with ``rmdir``, which fails unless they are
still empty. Undo moves every file back unless something new took its place (then the
archived copy stays and is named) and recreates the removed folders.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from os1.skills.files.clutter import human_size
from os1.skills.files.moves import free_name, inside, place
from os1.skills.files.names import pack, readable, unpack


@dataclass
class Applied:
    moves: list[tuple[str, str]] = field(default_factory=list)  # (original, now at)
    folders: list[tuple[str, int]] = field(default_factory=list)  # (removed folder, mode)
    skipped: list[str] = field(default_factory=list)
    moved_bytes: int = 0

    def undo_data(self, to: str, destination: str) -> dict[str, Any]:
        return {
            "to": to,
            "destination": pack(destination),
            "moves": [[pack(a), pack(b)] for a, b in self.moves],
            "folders": [[pack(p), mode] for p, mode in self.folders],
        }

    def message(self, where: str) -> str:
        parts = [
            f"Moved {len(self.moves):,} file{'s' if len(self.moves) != 1 else ''}"
            f" ({human_size(self.moved_bytes)}) to {where}"
        ]
        if self.folders:
            parts.append(f"removed {len(self.folders)} empty folder(s)")
        text = "; ".join(parts) + ". Nothing was deleted; undo puts it all back."
        if self.skipped:
            text += f"\nLeft alone ({len(self.skipped)}): " + "; ".join(self.skipped[:10])
            if len(self.skipped) > 10:
                text += f"; and {len(self.skipped) - 10} more"
        return text


def trash_dir() -> str:
    """The person's trash, as the freedesktop spec places it."""
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(data, "Trash")


def _unchanged(path: str, item: dict[str, Any], root: str) -> str:
    """ "" if ``path`` is still the file the plan saw, else why not (in words)."""
    if not inside(path, root):
        return "not inside the scanned folder any more"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "gone since the scan"
    except OSError as exc:
        return f"cannot be looked at ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "now a link"
    if not stat.S_ISREG(st.st_mode):
        return "no longer a plain file"
    if st.st_ino != item["inode"] or st.st_size != item["size"]:
        return "changed since the scan"
    if st.st_mtime_ns != item["mtime_ns"]:
        return "changed since the scan"
    return ""


def apply_plan(args: dict[str, Any], destination: str, now: float) -> Applied:
    """Carry out ``args`` (``Survey.args``) into ``destination``: an archive folder made
    for this run, or the trash folder (when ``args["to"]`` is ``"trash"``)."""
    root = unpack(args["root"])
    to_trash = args["to"] == "trash"
    done = Applied()
    log = None if to_trash else open(destination + ".jsonl", "a", encoding="ascii")  # noqa: SIM115
    try:
        for item in args["items"]:
            path = unpack(item["path"])
            if item["kind"] == "empty_folder":
                continue
            why = _unchanged(path, item, root)
            keep = item.get("keep")
            if not why and keep is not None and _unchanged(unpack(keep["path"]), keep, root):
                why = "the copy to keep changed or is gone, so this may be the last one"
            if why:
                done.skipped.append(f"{readable(path)} ({why})")
                continue
            try:
                if to_trash:
                    target = _to_trash(path, destination, now)
                else:
                    target = _to_archive(path, root, destination)
            except OSError as exc:
                done.skipped.append(f"{readable(path)} (could not move: {exc.strerror or exc})")
                continue
            done.moves.append((path, target))
            done.moved_bytes += int(item["size"])
            if log is not None:
                log.write(json.dumps({"from": pack(path), "to": pack(target)}) + "\n")
                log.flush()
        _remove_empty(args["items"], root, done)
    finally:
        if log is not None:
            log.close()
    return done


def _to_archive(path: str, root: str, archive: str) -> str:
    target = free_name(os.path.join(archive, os.path.relpath(path, root)))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    place(path, target)
    return target


def _to_trash(path: str, trash: str, now: float) -> str:
    """Move ``path`` into the trash with its ``.trashinfo`` (written first, claiming the
    name, as the freedesktop trash spec asks)."""
    files, info = os.path.join(trash, "files"), os.path.join(trash, "info")
    os.makedirs(files, mode=0o700, exist_ok=True)
    os.makedirs(info, mode=0o700, exist_ok=True)
    stem, ext = os.path.splitext(os.path.basename(path))
    when = dt.datetime.fromtimestamp(now).strftime("%Y-%m-%dT%H:%M:%S")
    body = f"[Trash Info]\nPath={urllib.parse.quote(os.fsencode(path))}\nDeletionDate={when}\n"
    number = 1
    while True:
        name = stem + ext if number == 1 else f"{stem}.{number}{ext}"
        info_path = os.path.join(info, name + ".trashinfo")
        try:
            fd = os.open(info_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            number += 1
            continue
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(body)
        target = os.path.join(files, name)
        if os.path.lexists(target):  # a stray file without its info: leave it, next name
            os.unlink(info_path)
            number += 1
            continue
        try:
            place(path, target)
        except OSError:
            os.unlink(info_path)
            raise
        return target


def _remove_empty(items: list[dict[str, Any]], root: str, done: Applied) -> None:
    folders = [i for i in items if i["kind"] == "empty_folder"]
    folders.sort(key=lambda i: unpack(i["path"]).count(os.sep), reverse=True)
    for item in folders:
        path = unpack(item["path"])
        try:
            st = os.lstat(path)
            if not inside(path, root) or not stat.S_ISDIR(st.st_mode) or st.st_ino != item["inode"]:
                done.skipped.append(f"{readable(path)} (folder changed since the scan)")
                continue
            os.rmdir(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            done.skipped.append(f"{readable(path)} (folder kept: {exc.strerror or exc})")
            continue
        done.folders.append((path, stat.S_IMODE(st.st_mode)))


def undo_plan(undo: dict[str, Any]) -> str:
    """Put back everything ``apply_plan`` moved (see the module docstring); a report."""
    back, kept = 0, []
    folders = sorted(
        ((unpack(p), int(m)) for p, m in undo["folders"]), key=lambda f: f[0].count(os.sep)
    )
    for path, mode in folders:
        if not os.path.isdir(path):
            os.makedirs(path, exist_ok=True)
            os.chmod(path, mode)
    for original_text, now_at_text in undo["moves"]:
        original, now_at = unpack(original_text), unpack(now_at_text)
        if not os.path.lexists(now_at):
            kept.append(f"{readable(original)} (no longer at {readable(now_at)})")
            continue
        if os.path.lexists(original):
            kept.append(
                f"{readable(original)} (a new file is there;"
                f" the old one stays at {readable(now_at)})"
            )
            continue
        parent = os.path.dirname(original)
        try:
            os.makedirs(parent, exist_ok=True)
            if os.path.realpath(parent) != parent:
                kept.append(
                    f"{readable(original)} (its folder is now a link; left at {readable(now_at)})"
                )
                continue
            place(now_at, original)
        except OSError as exc:
            kept.append(
                f"{readable(original)} (could not move back: {exc.strerror or exc};"
                f" it is at {readable(now_at)})"
            )
            continue
        back += 1
        if undo["to"] == "trash":
            info = os.path.join(os.path.dirname(os.path.dirname(now_at)), "info")
            _quietly_remove(os.path.join(info, os.path.basename(now_at) + ".trashinfo"))
    if undo["to"] == "archive" and not kept:
        _prune(unpack(undo["destination"]))
    text = f"Put back {back:,} file{'s' if back != 1 else ''}"
    if folders:
        text += f" and {len(folders)} folder{'s' if len(folders) != 1 else ''}"
    text += "."
    if kept:
        text += f"\nNot put back ({len(kept)}): " + "; ".join(kept[:10])
        if len(kept) > 10:
            text += f"; and {len(kept) - 10} more"
    return text


def _quietly_remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _prune(archive: str) -> None:
    """Remove the emptied archive folders of an undone run (only folders left empty)."""
    for folder, _subdirs, _files in os.walk(archive, topdown=False):
        try:
            os.rmdir(folder)
        except OSError:
            return
    _quietly_remove(archive + ".jsonl")
