"""ICS import speed: events/s for os1's reader (split into events, parse and check each,
group by UID, extract the fields) against a plain ``icalendar.Calendar.from_ical`` of
the same file in the same run (parsing alone, nothing extracted or checked), so the
ratio shows os1's overhead for reading events one by one (what lets one broken event
be skipped instead of failing the file). Also the same reader as an import runs it, in
the parsing pool (a worker process: the file pickled there and the events back), and the
store: events written per second.

The calendar: 20,000 events (``quick``: 3,000) over two years in two zones, a tenth of
them repeating, some with alarms, locations and overrides of one occurrence.

Run: .venv/bin/python bench/skills_calendar.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import icalendar

from os1 import parsing_pool
from os1.skills.calendar.ics import read_calendar, read_off_loop
from os1.skills.calendar.store import CalendarStore
from os1.skills.registry import builtin_skills
from os1.store import Database

REPEATS = 3


def _calendar(events: int, rng: random.Random) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
    for n in range(events):
        zone = "Europe/Berlin" if n % 3 else "America/New_York"
        day = 20260101 + (n * 7919) % 28 + 100 * ((n // 28) % 12) + 10000 * (n % 2)
        hour = 8 + n % 10
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{n}@bench",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID={zone}:{day}T{hour:02}{rng.choice(['00', '30'])}00",
            f"DTEND;TZID={zone}:{day}T{hour + 1:02}0000",
            f"SUMMARY:Meeting {n} about topic {rng.randrange(1000)}",
        ]
        if n % 10 == 0:
            lines.append("RRULE:FREQ=WEEKLY;COUNT=20")
        if n % 4 == 0:
            lines.append(f"LOCATION:Room {rng.randrange(100)}")
        if n % 5 == 0:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM"]
        lines.append("END:VEVENT")
        if n % 50 == 0:  # a moved occurrence of a repeating event
            lines += [
                "BEGIN:VEVENT",
                f"UID:event-{n}@bench",
                "DTSTAMP:20260101T000000Z",
                f"RECURRENCE-ID;TZID={zone}:{day}T{hour:02}0000",
                f"DTSTART;TZID={zone}:{day}T{hour + 2:02}0000",
                f"DTEND;TZID={zone}:{day}T{hour + 3:02}0000",
                "SUMMARY:Moved",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _median_seconds(work: object, repeats: int = REPEATS) -> float:
    assert callable(work)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _pool_seconds(data: bytes, repeats: int = REPEATS) -> float:
    """Median seconds of an import's read: the same reader in the parsing pool (a worker
    process), pickling the file there and the events back included."""
    await read_off_loop(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")  # the worker is up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await read_off_loop(data)
        times.append(time.perf_counter() - started)
    await asyncio.to_thread(parsing_pool.close_shared)
    return statistics.median(times)


async def _store_rate(records: list[object]) -> float:
    with tempfile.TemporaryDirectory(prefix="os1-bench-calendar-") as tmp:
        db = await Database.open(Path(tmp) / "os1.db", migrations=builtin_skills().migrations)
        try:
            calendar = CalendarStore(await db.user("bench"))
            started = time.perf_counter()
            await calendar.put_many(records)  # type: ignore[arg-type]  # EventRecords
            seconds = time.perf_counter() - started
            assert await calendar.count() == len(records)
        finally:
            await db.aclose()
    return len(records) / seconds


def report(quick: bool = False) -> dict[str, float]:
    """Build the calendar, time both readers and the store; print and return figures."""
    events = 3_000 if quick else 20_000
    data = _calendar(events, random.Random(7))
    result = read_calendar(data)
    assert len(result.records) == events and not result.skipped, result.skipped[:3]
    os1_seconds = _median_seconds(lambda: read_calendar(data))
    plain_seconds = _median_seconds(lambda: icalendar.Calendar.from_ical(data))
    os1_rate, plain_rate = events / os1_seconds, events / plain_seconds
    pool_rate = events / asyncio.run(_pool_seconds(data))
    store_rate = asyncio.run(_store_rate(list(result.records)))
    print(
        f"ICS import: os1 {os1_rate:,.0f} events/s, plain icalendar parse {plain_rate:,.0f}"
        f" events/s, ratio {os1_rate / plain_rate:.2f} ({events:,} events,"
        f" {len(data) / 1e6:.1f} MB, median of {REPEATS}); in the parsing pool"
        f" {pool_rate:,.0f} events/s; store {store_rate:,.0f} events/s"
    )
    return {
        "ics_events_per_s": os1_rate,
        "ics_pool_events_per_s": pool_rate,
        "icalendar_events_per_s": plain_rate,
        "ics_ratio": os1_rate / plain_rate,
        "store_events_per_s": store_rate,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smaller calendar, for a smoke run")
    report(quick=parser.parse_args().quick)
