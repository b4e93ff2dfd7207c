"""The calendar skill's views and set-up for every door: what is on, export, reminders,
the person's time zone, and the CalDAV account to sync with.

Each is the skill's own code (``skills.calendar``) called once here. Adding, cancelling
and importing change the calendar, so they are actions: a door proposes them with
``Companion.propose`` (tools ``add_event``, ``cancel_event``, ``import_calendar``) and
they run on the person's yes. The types a door renders are re-exported from here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass

from os1.core.base import Core
from os1.skills.calendar.adding import split_title_and_time
from os1.skills.calendar.agenda import due_reminders
from os1.skills.calendar.clock import (
    ZONE_SETTING,
    clock_words,
    person_zone,
    span_words,
    zone_label,
    zone_named,
)
from os1.skills.calendar.ics import write_calendar
from os1.skills.calendar.listing import ListEvents, ListEventsArgs
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.sync import Account, SyncReport, connect, load_account, sync

__all__ = ["Account", "Calendar", "DueReminder", "Exported", "SyncReport"]


@dataclass(frozen=True)
class DueReminder:
    """A reminder as a person reads it: when it fires, what, and when the event is."""

    at: str  # "9:45 am"
    summary: str
    when: str  # "today from 10:00 to 11:00 am"


@dataclass(frozen=True)
class Exported:
    ics: str
    count: int


class Calendar:
    def __init__(self, core: Core) -> None:
        self.core = core

    @staticmethod
    def split_request(text: str) -> tuple[str, str, str]:
        """ "lunch with Amy next Thursday at one at Café Rose" as (title, when, where)."""
        return split_title_and_time(text)

    async def what_is_on(self, user: str, when: str = "today") -> str:
        """What is on the calendar over ``when`` ("today", "this week", "Friday", ...),
        in words and the person's time zone; a span it cannot read is said, not raised."""
        ctx = await self.core.tool_context(await self.core.store(user))
        answer = await ListEvents().plan(ctx, ListEventsArgs(when=when[:100] or "today"))
        return answer if isinstance(answer, str) else answer.preview

    async def export(self, user: str) -> Exported:
        """Every event as one .ics text any calendar program imports."""
        store = await self.core.store(user)
        records = [e.record for e in await CalendarStore(store).all()]
        return Exported(await asyncio.to_thread(write_calendar, records), len(records))

    async def reminders(self, user: str, within_minutes: int = 60) -> list[DueReminder]:
        """The reminders due in the next ``within_minutes``, earliest first."""
        store = await self.core.store(user)
        tz = await person_zone(store)
        now = dt.datetime.fromtimestamp(time.time(), tz)
        ahead = dt.timedelta(minutes=within_minutes)
        due = await due_reminders(CalendarStore(store), now, ahead, tz)
        return [
            DueReminder(
                clock_words(r.at),
                r.occurrence.summary,
                span_words(r.occurrence.start, r.occurrence.end, tz, now=now),
            )
            for r in due
        ]

    async def timezone(self, user: str, name: str = "") -> str:
        """The person's calendar zone in words, after setting it to ``name`` if given.

        Raises:
            InputError: ``name`` is no time zone.
        """
        store = await self.core.store(user)
        if name:
            await store.set_setting(ZONE_SETTING, zone_named(name).key)
        return zone_label(await person_zone(store))

    async def account(self, user: str) -> Account | None:
        """The CalDAV account the person's calendar syncs with, if any."""
        return await load_account(await self.core.store(user))

    async def connect(self, user: str, account: Account) -> Account:
        """Check the server, make the calendar there if missing, and keep the account.

        Raises:
            SyncError: the server cannot be reached, refuses the login, or is no CalDAV.
        """
        return await connect(await self.core.store(user), account)

    async def sync(self, user: str) -> SyncReport:
        """Bring both sides in step; the report says what went where."""
        return await sync(await self.core.store(user))
