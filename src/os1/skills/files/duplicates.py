"""Exact duplicates: same size, then the same first and last 64 KiB, then the same bytes.

Each stage only looks at what the previous one could not tell apart, so most files are
never opened (a unique size settles it) and most of the rest are told apart by 128 KiB
(the partial hash; for files that small it *is* the whole file). Only then is the whole
file hashed, streamed with BLAKE2b in a few threads (hashlib releases the GIL while it
hashes, so threads use both cores and overlap the disk).

Hard links are one file under two names: moving one frees nothing, so copies are
counted by (device, inode). Empty files are never duplicates worth a word. A file is
opened without following a link and checked against what the scan saw (same inode,
size and mtime); one that changed or cannot be read is left out and reported, never
guessed about.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from os1.skills.files.names import readable
from os1.skills.files.scan import Entry

EDGE = 64 * 1024  # bytes read at each end for the partial hash
CHUNK = 1024 * 1024
WORKERS = 4
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class DuplicateGroup:
    """Files with identical bytes (distinct inodes), as the scan saw them."""

    size: int
    digest: str
    files: tuple[Entry, ...]


@dataclass
class Duplicates:
    groups: list[DuplicateGroup] = field(default_factory=list)
    hashed_bytes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def mb_per_s(self) -> float:
        """Bytes read and hashed per second, in MB (10^6)."""
        return self.hashed_bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    @property
    def wasted(self) -> int:
        """Bytes held by the extra copies (what keeping one of each would free)."""
        return sum(g.size * (len(g.files) - 1) for g in self.groups)


class _Changed(Exception):
    """The file is not the one the scan saw."""


def _open(entry: Entry) -> int:
    fd = os.open(entry.path, _OPEN_FLAGS)
    st = os.fstat(fd)
    if (
        not stat.S_ISREG(st.st_mode)
        or (st.st_dev, st.st_ino) != (entry.dev, entry.inode)
        or st.st_size != entry.size
        or st.st_mtime_ns != entry.mtime_ns
    ):
        os.close(fd)
        raise _Changed(entry.path)
    return fd


def _partial(entry: Entry) -> tuple[bytes, int]:
    """BLAKE2b of the first and last ``EDGE`` bytes (all of a small file); bytes read."""
    fd = _open(entry)
    try:
        digest = hashlib.blake2b(digest_size=32)
        if entry.size <= 2 * EDGE:
            data = os.pread(fd, entry.size, 0)
            digest.update(data)
            return digest.digest(), len(data)
        head = os.pread(fd, EDGE, 0)
        tail = os.pread(fd, EDGE, entry.size - EDGE)
        digest.update(head)
        digest.update(tail)
        return digest.digest(), len(head) + len(tail)
    finally:
        os.close(fd)


def _full(entry: Entry) -> tuple[bytes, int]:
    """BLAKE2b of the whole file, streamed; bytes read."""
    fd = _open(entry)
    digest = hashlib.blake2b(digest_size=32)
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    total = 0
    try:
        with open(fd, "rb", buffering=0, closefd=False) as stream:
            while count := stream.readinto(view):
                digest.update(view[:count])
                total += count
    finally:
        os.close(fd)
    if total != entry.size:
        raise _Changed(entry.path)
    return digest.digest(), total


def _distinct(entries: Iterable[Entry]) -> list[Entry]:
    """One name per (device, inode): hard links are not copies."""
    seen: dict[tuple[int, int], Entry] = {}
    for entry in entries:
        seen.setdefault((entry.dev, entry.inode), entry)
    return list(seen.values())


def find_duplicates(
    files: Iterable[Entry], *, progress: Callable[[int], None] | None = None
) -> Duplicates:
    """Groups of files with identical contents among ``files`` (see the module docstring).

    Args:
        files: regular files from a scan.
        progress: called with the bytes hashed so far, now and then.
    """
    started = time.perf_counter()
    result = Duplicates()
    by_size: dict[int, list[Entry]] = defaultdict(list)
    for entry in files:
        if entry.size > 0:
            by_size[entry.size].append(entry)
    candidates = [
        group for same in by_size.values() if len(same) > 1 and len(group := _distinct(same)) > 1
    ]
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="os1-hash") as pool:

        def stage(
            groups: list[list[Entry]], hasher: Callable[[Entry], tuple[bytes, int]]
        ) -> dict[tuple[int, bytes], list[Entry]]:
            flat = [e for g in groups for e in g]
            split: dict[tuple[int, bytes], list[Entry]] = defaultdict(list)
            for entry, outcome in zip(flat, pool.map(_guarded(hasher), flat), strict=True):
                if isinstance(outcome, str):
                    result.problems.append(outcome)
                    continue
                digest, count = outcome
                result.hashed_bytes += count
                split[(entry.size, digest)].append(entry)
                if progress is not None:
                    progress(result.hashed_bytes)
            return split

        partial = stage(candidates, _partial)
        settled = {k: v for k, v in partial.items() if len(v) > 1 and k[0] <= 2 * EDGE}
        undecided = [v for k, v in partial.items() if len(v) > 1 and k[0] > 2 * EDGE]
        full = stage(undecided, _full)
    for (size, digest), same in [*settled.items(), *full.items()]:
        if len(same) > 1:
            ordered = tuple(sorted(same, key=lambda e: e.path))
            result.groups.append(DuplicateGroup(size, digest.hex(), ordered))
    result.groups.sort(key=lambda g: (-g.size * (len(g.files) - 1), g.files[0].path))
    result.seconds = time.perf_counter() - started
    return result


def _guarded(
    hasher: Callable[[Entry], tuple[bytes, int]],
) -> Callable[[Entry], tuple[bytes, int] | str]:
    """``hasher`` that turns a file it cannot vouch for into a sentence, not an error."""

    def work(entry: Entry) -> tuple[bytes, int] | str:
        try:
            return hasher(entry)
        except _Changed:
            return f"{readable(entry.path)} (changed while looking; left out)"
        except FileNotFoundError:
            return f"{readable(entry.path)} (vanished while looking)"
        except OSError as exc:
            return f"{readable(entry.path)} (could not read: {exc.strerror or exc})"

    return work
