"""Real parts for the calendar tests: a store with a fixed zone and clock, and a real
Radicale CalDAV server on loopback (started per test, stopped at teardown)."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import caldav
import pytest

from os1.skills.base import ToolContext
from os1.skills.calendar.clock import ZONE_SETTING
from os1.skills.registry import builtin_skills
from os1.store import Database, UserStore

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 23 November 2026, 15:20 in Berlin: the tests' "now"
NOW = dt.datetime(2026, 11, 23, 15, 20, tzinfo=BERLIN)


def context(store: UserStore, now: dt.datetime = NOW) -> ToolContext:
    return ToolContext(store, now=lambda: now.timestamp())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[UserStore]:
    db = await Database.open(tmp_path / "os1.db", migrations=builtin_skills().migrations)
    person = await db.user("ada")
    await person.set_setting(ZONE_SETTING, "Europe/Berlin")
    yield person
    await db.aclose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[str]:
    """The URL of a real Radicale server with its own storage folder (any user name
    with any password is let in: auth type none)."""
    port = _free_port()
    config = tmp_path / "radicale.conf"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        "[auth]\ntype = none\n"
        f"[storage]\nfilesystem_folder = {tmp_path / 'radicale-store'}\n"
        "[logging]\nlevel = error\n"
    )
    log = (tmp_path / "radicale.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "radicale.log").read_text())
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def server_calendar(url: str, name: str = "os1", user: str = "ada") -> caldav.Calendar:
    """The calendar as another program sees it (the caldav library, directly)."""
    principal = caldav.DAVClient(url=url, username=user, password="secret").principal()
    for calendar in principal.calendars():
        if calendar.get_display_name() == name:
            return calendar
    raise LookupError(name)


def server_titles(calendar: caldav.Calendar) -> set[str]:
    return {str(e.icalendar_component.get("SUMMARY")) for e in calendar.events()}
