"""Real-world .ics files, imported and listed the way a person does it: no traceback,
whatever the file holds.

For every ``.ics`` file under the folder given (collect them from public test suites:
python-recurring-ical-events, icalendar, Radicale and ical.js hold several hundred odd
shapes between them), this imports it through the core API as the CLI does
(``Companion.propose("import_calendar")`` then the person's yes), then lists the calendar
on the days its first events start and over the next 10 days (which expands every
repeating event into today). Each file gets a person of its own.

An outcome is one of: imported (some events), refused (the file as a whole: the message
must name the file and say why), nothing to import (a file holding no events), or a
crash (any exception other than os1's own clear errors; it is printed with its
traceback). The baseline in the same run is a plain ``icalendar.Calendar.from_ical`` of
each file, counting how many files it raises on: the shapes a naive reader refuses.

Run: .venv/bin/python bench/ics_corpus.py PATH/TO/ICS-FOLDER [--show N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

import icalendar

from figures import save
from os1.companion import Companion
from os1.config import load_settings
from os1.errors import Os1Error
from os1.events import ActionSettled, ErrorEvent

_DAY = re.compile(r"DTSTART[^:\n]*:(\d{4})(\d{2})(\d{2})")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _days(text: str, most: int = 3) -> list[str]:
    """Up to ``most`` days the file's events start on, as a person names them."""
    days = []
    for year, month, day in _DAY.findall(text)[:most]:
        if 1 <= int(month) <= 12 and 1900 < int(year) < 2200:
            days.append(f"{int(day)} {MONTHS[int(month) - 1]} {year}")
    return list(dict.fromkeys(days))


def _naive(path: Path) -> bool:
    try:
        icalendar.Calendar.from_ical(path.read_bytes())
    except Exception:  # the baseline: any failure counts
        return False
    return True


async def _one(companion: Companion, user: str, path: Path) -> tuple[str, str]:
    """(outcome, detail) for one file."""
    try:
        proposed = await companion.propose(user, "import_calendar", {"path": str(path)})
    except Os1Error as exc:
        return "refused", str(exc)
    if isinstance(proposed, str):
        kind = "nothing" if "Nothing to import" in proposed else "refused"
        return kind, proposed.splitlines()[0]
    settled = [e async for e in companion.decide(user, proposed.proposal_id, confirm=True)]
    if not settled or not isinstance(settled[0], ActionSettled):
        err = settled[0] if settled and isinstance(settled[0], ErrorEvent) else None
        return "refused", err.message if err else "no answer"
    if settled[0].status != "done":
        return "refused", settled[0].message
    text = await asyncio.to_thread(path.read_text, "utf-8", "replace")
    for when in [*_days(text), "next 10 days"]:
        await companion.calendar.what_is_on(user, when)
    return "imported", proposed.title


def _ics_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".ics" and p.is_file())


async def main(folder: Path, show: int) -> int:
    files = await asyncio.to_thread(_ics_files, folder)
    if not files:
        print(f"No .ics files under {folder}.")
        return 2
    outcomes: Counter[str] = Counter()
    crashes: list[tuple[Path, str]] = []
    unnamed: list[Path] = []
    naive_ok = sum(_naive(p) for p in files)
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"home": home, "llm_backend": "scripted"})
        companion = await Companion.open(settings)
        started = time.perf_counter()
        try:
            for number, path in enumerate(files):
                try:
                    outcome, detail = await _one(companion, f"p{number}", path)
                except Exception:  # the figure this counts: nothing may escape
                    crashes.append((path, traceback.format_exc()))
                    outcomes["crash"] += 1
                    continue
                outcomes[outcome] += 1
                if outcome == "refused" and path.name not in detail:
                    unnamed.append(path)
                if outcome == "refused" and show:
                    print(f"refused  {path.name}: {detail[:160]}")
        finally:
            await companion.aclose()
        seconds = time.perf_counter() - started
    for path, trace in crashes[: max(show, 5)]:
        print(f"--- crash on {path}\n{trace}")
    print(f"files: {len(files)} in {seconds:.1f} s")
    for outcome in ("imported", "nothing", "refused", "crash"):
        print(f"  {outcome:<9} {outcomes[outcome]}")
    print(f"refusals not naming the file: {len(unnamed)}")
    print(
        f"baseline icalendar.Calendar.from_ical: reads {naive_ok}, raises on"
        f" {len(files) - naive_ok}"
    )
    print(f"tracebacks: os1 {len(crashes)}")
    save(
        "ics_corpus",
        {
            "files": len(files),
            "seconds": seconds,
            "outcomes": {o: outcomes[o] for o in ("imported", "nothing", "refused", "crash")},
            "refusals_not_naming_the_file": len(unnamed),
            "baseline_icalendar_reads": naive_ok,
            "baseline_icalendar_raises": len(files) - naive_ok,
        },
    )
    return 1 if crashes else 0


if __name__ == "__main__":
    # the test suites' files are odd on purpose; icalendar's warnings about them (in this
    # process and in the parsing pool's) would bury the figures
    os.environ["PYTHONWARNINGS"] = "ignore"
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="A folder of .ics files (searched deeply).")
    parser.add_argument("--show", type=int, default=0, help="Print refusals and N crashes.")
    options = parser.parse_args()
    raise SystemExit(asyncio.run(main(options.folder, options.show)))
