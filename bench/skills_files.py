"""Declutter speed: the metadata scan against ``find PATH -type f | wc -l``, and duplicate
detection MB/s, in one run on synthetic trees in a temp dir (warm page cache, as a
second declutter of the same folder would see).

Scan: a tree of 50,000 files (``quick``: 10,000) in 500 folders; os1's scan (an
``lstat`` per file, which ``find -type f`` does not need) and ``find`` each run several
times, and the medians are compared. Duplicates: about 200 MB (``quick``: 40 MB) of
files where a third are exact copies and some pairs share size, head and tail but not
their middle, so every stage (size, partial hash, full hash) has work to do.

Run: .venv/bin/python bench/skills_files.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from os1.skills.files.duplicates import find_duplicates
from os1.skills.files.scan import scan

REPEATS = 5


def _scan_tree(root: Path, files: int) -> None:
    per_folder = max(1, files // 500)
    for n in range(files):
        folder = root / f"d{n // per_folder // 50:02}" / f"s{n // per_folder:03}"
        if n % per_folder == 0:
            folder.mkdir(parents=True)
        (folder / f"file{n}.txt").write_bytes(b"x" * (n % 97))


def _duplicate_tree(root: Path, total_mb: int, rng: random.Random) -> int:
    """Files of 0.5–3 MB; every third one copied elsewhere, every fifth given a twin of
    the same size whose middle differs. Returns the bytes written."""
    written, n = 0, 0
    while written < total_mb * 10**6:
        size = rng.randrange(500_000, 3_000_000)
        data = bytearray(rng.randbytes(size))
        path = root / f"set{n % 7}" / f"file{n}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += size
        if n % 3 == 0:
            (root / "copies").mkdir(exist_ok=True)
            (root / "copies" / f"copy-of-file{n}.bin").write_bytes(data)
            written += size
        elif n % 5 == 1:
            data[size // 2] ^= 0xFF
            (root / "twins").mkdir(exist_ok=True)
            (root / "twins" / f"twin{n}.bin").write_bytes(data)
            written += size
        n += 1
    return written


def _find_rate(root: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        f"find {root} -type f | wc -l", shell=True, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, int(done.stdout.strip())


def report(quick: bool = False) -> dict[str, float]:
    """Build the trees, time both scans and the duplicate search; print and return figures."""
    files = 10_000 if quick else 50_000
    total_mb = 40 if quick else 200
    with tempfile.TemporaryDirectory(prefix="os1-bench-files-") as tmp:
        tree = Path(tmp) / "scan"
        _scan_tree(tree, files)
        scan(str(tree))  # warm the cache for both sides
        _find_rate(tree)
        os1_times, find_times = [], []
        for _ in range(REPEATS):
            found = scan(str(tree))
            assert len(found.files) == files, len(found.files)
            os1_times.append(found.seconds)
            seconds, counted = _find_rate(tree)
            assert counted == files, counted
            find_times.append(seconds)
        os1_rate = files / statistics.median(os1_times)
        find_rate = files / statistics.median(find_times)
        print(
            f"declutter scan: os1 {os1_rate:,.0f} files/s, find {find_rate:,.0f} files/s,"
            f" ratio {os1_rate / find_rate:.2f} ({files:,} files, median of {REPEATS})"
        )

        dupes_root = Path(tmp) / "dupes"
        written = _duplicate_tree(dupes_root, total_mb, random.Random(7))
        entries = scan(str(dupes_root)).files
        result = find_duplicates(entries)
        throughput = written / 1e6 / result.seconds
        print(
            f"duplicate detection: {result.mb_per_s:,.0f} MB/s hashed, {throughput:,.0f} MB/s"
            f" of files looked at ({written / 1e6:,.0f} MB in {len(entries):,} files,"
            f" {len(result.groups)} duplicate groups, {result.wasted / 1e6:,.0f} MB freeable,"
            f" {result.seconds:.2f} s)"
        )
    return {
        "scan_files_per_s": os1_rate,
        "find_files_per_s": find_rate,
        "scan_ratio": os1_rate / find_rate,
        "dup_hash_mb_per_s": result.mb_per_s,
        "dup_tree_mb_per_s": throughput,
        "dup_groups": float(len(result.groups)),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller trees, for a smoke run")
    report(quick=parser.parse_args().quick)
