"""The metadata pass over a folder tree: every regular file's size, mtime and identity.

Design choices, each for a real hard drive:

- ``os.scandir`` with an explicit stack, not recursion: any depth works, and the type of
  each entry comes from the directory listing itself, so only regular files cost an
  ``lstat`` (which is also what lets the pass run at hundreds of thousands of files a
  second on a warm cache).
- Nothing is ever followed. A symbolic link is counted as a link and left alone; it is
  never entered and never treated as a file, so loops and links leading out of the tree
  cannot matter. The walk also stays on the starting folder's drive (like ``find
  -xdev``): another drive mounted inside is named in the report, to be tidied on its own.
- Folders a person did not make by hand are not entered: hidden folders (``.git``,
  ``.cache``, ``.local``, the trash), software folders (``node_modules``, virtual
  environments, ``__pycache__``) and any folder that is a version-controlled project.
  Moving a "duplicate" out of one of those breaks a program; they are named in the report.
- Problems never stop the walk: an unreadable folder, a file that vanished between the
  listing and its ``lstat``, a name that is not valid text are recorded in ``ScanReport``
  and the walk goes on.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from os1.errors import InputError
from os1.skills.files.names import plural, readable

# folders that belong to programs, not to the person (matched by exact name)
SOFTWARE_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "bower_components"})
# an entry with one of these names marks a folder as a version-controlled project
PROJECT_MARKERS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", "pyvenv.cfg"})
# system folders a declutter must never start in (a person's own folders are elsewhere)
SYSTEM_ROOTS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/sbin",
    "/snap",
    "/sys",
    "/usr",
    "/var/lib",
    "/var/cache",
    "/var/log",
    "/System",
    "/Library",
    "/Applications",
    "/private/var",
)
PROGRESS_EVERY = 2048


class Entry(NamedTuple):
    """One regular file as it was at scan time (a NamedTuple: a million of them are cheap)."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    dev: int


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder seen by the walk; ``entries`` is how many names it held (-1: unreadable)."""

    path: str
    entries: int
    mtime_ns: int
    inode: int
    dev: int
    mode: int


@dataclass
class ScanReport:
    """What the walk could not or would not look at, for a clear report to the person."""

    unreadable: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    odd_names: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (folder, why)
    other_drives: list[str] = field(default_factory=list)
    special: int = 0  # sockets, pipes, devices: never touched

    def lines(self, limit: int = 3) -> list[str]:
        """A few readable sentences, with up to ``limit`` examples each."""

        def some(paths: Iterable[str]) -> str:
            items = list(paths)
            shown = ", ".join(readable(p) for p in items[:limit])
            return shown + (f", and {len(items) - limit} more" if len(items) > limit else "")

        out = []
        if self.unreadable:
            out.append(
                f"{len(self.unreadable)} could not be read (left alone): {some(self.unreadable)}"
            )
        if self.vanished:
            out.append(f"{len(self.vanished)} vanished while scanning: {some(self.vanished)}")
        if self.odd_names:
            out.append(
                f"{len(self.odd_names)} with names that are not plain text: {some(self.odd_names)}"
            )
        if self.links:
            out.append(f"{plural(len(self.links), 'symbolic link')}, never followed or moved")
        if self.skipped:
            out.append(
                f"{len(self.skipped)} program or hidden folders not looked into: "
                + some(f"{p} ({why})" for p, why in self.skipped)
            )
        if self.other_drives:
            out.append(f"other drives mounted inside, not scanned: {some(self.other_drives)}")
        return out


@dataclass
class Scan:
    root: str
    files: list[Entry]
    folders: list[Folder]
    report: ScanReport
    seconds: float

    @property
    def rate(self) -> float:
        """Files per second of the metadata pass."""
        return len(self.files) / self.seconds if self.seconds > 0 else 0.0


def check_root(path: str, *, system: bool = True) -> str:
    """The real, absolute folder to scan for what the person typed; ``system`` refuses
    the operating system's folders (off for a folder the admin gave a person).

    Raises:
        InputError: it does not exist, is not a folder, or is a system folder.
    """
    expanded = os.path.expanduser(path.strip() or "~")
    real = os.path.realpath(expanded)
    shown = readable(expanded)
    if not os.path.lexists(expanded):
        raise InputError("no_such_folder", f"There is no folder {shown}.", "Check the path.")
    if not os.path.isdir(real):
        raise InputError(
            "not_a_folder",
            f"{shown} is a file, not a folder.",
            "Give the folder that holds it, e.g. its parent.",
        )
    if system and (
        real == os.path.sep
        or any(real == top or real.startswith(top + os.path.sep) for top in SYSTEM_ROOTS)
    ):
        raise InputError(
            "system_folder",
            f"{readable(real)} belongs to the operating system; I will not tidy it.",
            "Pick one of your own folders, e.g. ~/Downloads or ~/Documents.",
        )
    return real


def _skip_reason(name: str) -> str:
    if name.startswith("."):
        return "hidden"
    if name in SOFTWARE_DIRS or name.endswith(".app"):
        return "program files"
    return ""


def scan(
    root: str,
    *,
    progress: Callable[[int], None] | None = None,
    exclude: Iterable[str] = (),
    skip_software: bool = True,
) -> Scan:
    """Walk ``root`` (see the module docstring for what is and is not looked at).

    Args:
        root: an absolute folder (``check_root`` makes one from a person's words).
        progress: called with the number of files so far after each folder is listed
            (before its files are looked at) and every few thousand files.
        exclude: real paths of folders never to enter (os1's own data, the trash).
        skip_software: skip hidden, program and project folders below the root.
    """
    started = time.perf_counter()
    files: list[Entry] = []
    folders: list[Folder] = []
    report = ScanReport()
    excluded = set()
    for path in exclude:
        try:
            st = os.stat(path)
        except OSError:
            continue
        excluded.add((st.st_dev, st.st_ino))
    root_st = os.lstat(root)
    walk = _Walk(root_st.st_dev, excluded, skip_software, report)
    stack = [(root, root_st)]
    append = files.append
    next_tick = PROGRESS_EVERY
    while stack:
        folder, folder_st = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except FileNotFoundError:
            report.vanished.append(folder)
            continue
        except OSError as exc:
            report.unreadable.append(f"{folder} ({exc.strerror or exc})")
            folders.append(_folder(folder, folder_st, -1))
            continue
        if skip_software and folder != root and any(e.name in PROJECT_MARKERS for e in entries):
            report.skipped.append((folder, "a software project"))
            folders.append(_folder(folder, folder_st, -1))
            continue
        folders.append(_folder(folder, folder_st, len(entries)))
        if progress is not None:
            progress(len(files))
        for entry in entries:
            if not entry.name.isprintable():
                report.odd_names.append(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    walk.enter(entry, stack)
                    continue
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                report.vanished.append(entry.path)
                continue
            except OSError as exc:
                report.unreadable.append(f"{entry.path} ({exc.strerror or exc})")
                continue
            mode = st.st_mode
            if stat.S_ISREG(mode):
                append(Entry(entry.path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev))
            elif stat.S_ISLNK(mode):
                report.links.append(entry.path)
            else:
                report.special += 1
        if progress is not None and len(files) >= next_tick:
            next_tick = len(files) + PROGRESS_EVERY
            progress(len(files))
    if progress is not None:
        progress(len(files))
    return Scan(root, files, folders, report, time.perf_counter() - started)


def _folder(path: str, st: os.stat_result, entries: int) -> Folder:
    return Folder(path, entries, st.st_mtime_ns, st.st_ino, st.st_dev, stat.S_IMODE(st.st_mode))


@dataclass(frozen=True)
class _Walk:
    """Which sub-folders the walk enters (``enter``) and why it leaves others alone."""

    device: int
    excluded: set[tuple[int, int]]
    skip_software: bool
    report: ScanReport

    def enter(self, entry: os.DirEntry[str], stack: list[tuple[str, os.stat_result]]) -> None:
        st = entry.stat(follow_symlinks=False)
        path = entry.path
        if st.st_dev != self.device:
            self.report.other_drives.append(path)
        elif (st.st_dev, st.st_ino) in self.excluded:
            self.report.skipped.append((path, "os1's own files"))
        elif self.skip_software and (why := _skip_reason(entry.name)):
            self.report.skipped.append((path, why))
        else:
            stack.append((path, st))
