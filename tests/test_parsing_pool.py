"""The parsing pool: work runs in another process, an error comes back as itself, a task
that overruns its budget is abandoned with a clear error and its worker replaced, a
cancelled caller takes its task down with it, and bulk work never takes every worker.
Only real functions are sent (a stdlib sleep, os1's own parsers): the workers import
them by name."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import icalendar
import pytest

from os1.companion import Companion
from os1.config import Settings
from os1.errors import InputError
from os1.models.scripted import ScriptedLLM
from os1.parsing_pool import ParsingError, ParsingPool, close_shared, parse, shared
from os1.skills.calendar.events import calendar_text, record_of
from os1.skills.calendar.ics import decode
from os1.skills.calendar.repeats import EVENT_SECONDS, expand_within


@pytest.fixture
async def pool() -> AsyncIterator[ParsingPool]:
    made = ParsingPool(workers=1)
    yield made
    await asyncio.to_thread(made.close)


async def test_work_runs_in_another_process(pool: ParsingPool) -> None:
    assert await pool.run(30, os.getpid) != os.getpid()


async def test_an_os1_error_comes_back_as_itself(pool: ParsingPool) -> None:
    with pytest.raises(InputError) as refused:
        await pool.run(30, decode, b"", "empty.ics")
    assert refused.value.code == "empty_calendar" and refused.value.hint


async def test_an_overrun_is_abandoned_and_the_worker_replaced(pool: ParsingPool) -> None:
    first = await pool.run(30, os.getpid)
    started = time.monotonic()
    with pytest.raises(ParsingError) as stopped:
        await pool.run(0.5, time.sleep, 60)
    assert stopped.value.code == "parse_timeout" and "could not be read" in stopped.value.message
    assert time.monotonic() - started < 10  # not the task's 60 s
    assert await pool.run(30, os.getpid) not in (first, os.getpid())  # a new worker


async def test_a_worker_that_died_while_idle_is_replaced(pool: ParsingPool) -> None:
    first = await pool.run(30, os.getpid)
    os.kill(first, signal.SIGKILL)
    await asyncio.sleep(0.5)  # the executor notices
    assert await pool.run(30, os.getpid) not in (first, os.getpid())


async def test_a_cancelled_caller_abandons_its_task(pool: ParsingPool) -> None:
    first = await pool.run(30, os.getpid)
    task = asyncio.create_task(pool.run(60, time.sleep, 60))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    assert await pool.run(30, os.getpid) != first  # the sleeper's worker was killed
    assert time.monotonic() - started < 10


async def test_callers_queue_for_the_workers_first_come_first_served(pool: ParsingPool) -> None:
    await pool.run(30, os.getpid)  # the worker is up
    started = time.monotonic()
    await asyncio.gather(*(pool.run(30, time.sleep, 0.3) for _ in range(3)))
    assert 0.85 < time.monotonic() - started < 10  # one worker: one after another


async def test_bulk_work_always_leaves_a_worker_for_quick_work() -> None:
    """One person's big import or mail folder never holds up another's listing."""
    pool = ParsingPool(workers=2)
    try:
        await asyncio.gather(pool.run(30, os.getpid), pool.run(30, os.getpid))  # both up
        first = asyncio.create_task(pool.run_bulk(30, time.sleep, 2))
        await asyncio.sleep(0.3)
        second = asyncio.create_task(pool.run_bulk(30, time.sleep, 2))  # one bulk at a time
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await pool.run(30, os.getpid)  # passes the bulk task waiting in line
        assert time.monotonic() - started < 1.0
        assert not first.done() and not second.done()
        await asyncio.gather(first, second)
    finally:
        await asyncio.to_thread(pool.close)


async def test_a_part_of_a_task_that_overruns_is_cut_in_the_worker() -> None:
    """``time_limit`` inside a worker: an event whose repeats would take seconds to work
    out (a daily rule that never happens runs to the year 9999) is cut after its second."""
    ics = calendar_text(
        [
            "BEGIN:VEVENT\r\nUID:never@x\r\nDTSTART:20260101T090000Z\r\n"
            "DTEND:20260101T100000Z\r\nSUMMARY:Never\r\n"
            "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\nEND:VEVENT\r\n"
        ]
    )
    record = record_of(icalendar.Calendar.from_ical(ics).walk("VEVENT"), ics)
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    began = time.monotonic()
    found = await parse(30, expand_within, [record], start, start + dt.timedelta(days=1), dt.UTC)
    assert found.not_shown == ("Never",) and not found.occurrences
    assert time.monotonic() - began < EVENT_SECONDS + 5


async def test_the_shared_pool_starts_again_after_closing() -> None:
    pid = await parse(30, os.getpid)
    await asyncio.to_thread(close_shared)
    assert await parse(30, os.getpid) != pid
    assert shared() is shared()


async def test_closing_the_companion_stops_the_workers(
    settings: Settings, scripted: ScriptedLLM
) -> None:
    companion = await Companion.start(settings, llm=scripted)
    worker = await parse(30, os.getpid)
    await companion.aclose()
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # gone, not only idle


_KILLED_SERVER = """
import asyncio, os, signal
from os1 import parsing_pool

async def main():
    print(await parsing_pool.parse(30, os.getpid), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 would, or the kernel's OOM killer

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_worker_does_not_outlive_a_process_killed_with_sigkill(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(_KILLED_SERVER)
    # the worker held the dead process's output open too: this run did not end before
    run = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()
    worker = int(run.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
