"""What counts as clutter, and which copy of a duplicate to keep, with the reason in words.

Every rule errs towards leaving things alone. Download leftovers, stale lock files and
installers count only once untouched for a while (a ``.part`` file written a minute ago
is a download in progress; a ``~$`` file is the lock of a document open right now).
Installers count only in a Downloads folder, where they are leftovers; elsewhere they
may be someone's careful collection. Large and old files are only ever suggestions of
the plan unless the person asks. Standard folders (Desktop, Music, ...) are never
"empty folders" to remove, even when empty.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from os1.skills.files.scan import Entry, Folder

DAY_NS = 86_400 * 10**9
DOWNLOAD_DIRS = frozenset(
    {"downloads", "download", "téléchargements", "descargas", "downloads (1)", "scaricati"}
)
INSTALLERS = frozenset(
    {".dmg", ".pkg", ".msi", ".msix", ".exe", ".deb", ".rpm", ".appimage", ".iso"}
)
PARTIAL = frozenset({".part", ".crdownload", ".partial", ".download", ".opdownload", ".tmp"})
SYSTEM_JUNK = frozenset({".ds_store", "thumbs.db", "ehthumbs.db"})
STANDARD_FOLDERS = frozenset(
    {"desktop", "documents", "downloads", "music", "pictures", "public", "templates", "videos"}
)
INSTALLER_MIN_DAYS = 7
LEFTOVER_MIN_DAYS = 1


@dataclass(frozen=True)
class Rules:
    """The person's thresholds (the defaults suit most people)."""

    now_ns: int
    large_bytes: int = 100 * 10**6
    old_days: int = 730


def human_size(size: float) -> str:
    """``size`` bytes in decimal units, as file managers show them: ``1.2 GB``."""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} TB"


def _age_days(entry: Entry, rules: Rules) -> float:
    return (rules.now_ns - entry.mtime_ns) / DAY_NS


def _in_downloads(path: str) -> bool:
    return any(part.casefold() in DOWNLOAD_DIRS for part in path.split(os.sep)[:-1])


def clutter_reason(entry: Entry, rules: Rules) -> str:
    """Why ``entry`` is clutter, or "" if it is not."""
    name = os.path.basename(entry.path)
    folded = name.casefold()
    ext = os.path.splitext(folded)[1]
    age = _age_days(entry, rules)
    if folded in SYSTEM_JUNK:
        return f"{name}: folder-view data the system remakes when needed"
    stale = age >= LEFTOVER_MIN_DAYS
    if stale and (folded.startswith("~$") or (folded.startswith(".~lock.") and ext.endswith("#"))):
        return f"stale office lock file, untouched for {_days(age)}"
    if stale and ext in PARTIAL:
        return f"unfinished download or temporary file, untouched for {_days(age)}"
    if ext in INSTALLERS and age >= INSTALLER_MIN_DAYS and _in_downloads(entry.path):
        return f"installer or disk image left in Downloads, untouched for {_days(age)}"
    return ""


def large_reason(entry: Entry, rules: Rules) -> str:
    if entry.size >= rules.large_bytes:
        return f"large file ({human_size(entry.size)})"
    return ""


def old_reason(entry: Entry, rules: Rules) -> str:
    age = _age_days(entry, rules)
    if age >= rules.old_days:
        return f"not changed for {_days(age)}"
    return ""


def _days(age: float) -> str:
    if age >= 730:
        return f"{age / 365.25:.0f} years"
    if age >= 60:
        return f"{age / 30.44:.0f} months"
    if age >= 14:
        return f"{age / 7:.0f} weeks"
    days = max(1, int(age))
    return f"{days} day{'s' if days != 1 else ''}"


_COPY_MARKS = (" copy", "copy of ", "(1)", "(2)", "(3)", " - copy", "_copy", "-copy")


def keep_choice(copies: Iterable[Entry]) -> tuple[Entry, str]:
    """Which of identical ``copies`` to keep, and why in words.

    The copy a person most likely filed on purpose: not in Downloads, not named like a
    copy ("report (1).pdf", "Copy of ..."), then the oldest (the original), then the one
    with the shortest path (the tidiest place), then by name so the choice is stable.
    """
    ordered = sorted(copies, key=_preference)
    kept, runner_up = ordered[0], ordered[1]
    a, b = _preference(kept), _preference(runner_up)
    if a[0] != b[0]:
        why = "not in Downloads"
    elif a[1] != b[1]:
        why = "not named like a copy"
    elif a[2] != b[2]:
        why = "the oldest copy"
    elif a[3] != b[3]:
        why = "the shortest path"
    else:
        why = "first by name"
    return kept, why


def _preference(entry: Entry) -> tuple[bool, bool, int, int, str]:
    stem = os.path.splitext(os.path.basename(entry.path))[0].casefold()
    named_copy = any(mark in stem for mark in _COPY_MARKS) or stem.startswith("copy ")
    return (_in_downloads(entry.path), named_copy, entry.mtime_ns, len(entry.path), entry.path)


def empty_folders(folders: Iterable[Folder], root: str) -> list[Folder]:
    """Folders holding nothing but (possibly) other empty folders, deepest first.

    The scanned folder itself, standard folders and folders that could not be read or
    were not looked into (their count is -1) are never among them.
    """
    known = {f.path: f for f in folders}
    children: dict[str, list[str]] = defaultdict(list)
    for path in known:
        if path != root:
            children[os.path.dirname(path)].append(path)
    empty: set[str] = set()
    for path in sorted(known, key=lambda p: p.count(os.sep), reverse=True):
        folder = known[path]
        if folder.entries < 0 or path == root:
            continue
        if os.path.basename(path).casefold() in STANDARD_FOLDERS:
            continue
        if folder.entries == sum(1 for c in children[path] if c in empty):
            empty.add(path)
    return sorted((known[p] for p in empty), key=lambda f: (-f.path.count(os.sep), f.path))
