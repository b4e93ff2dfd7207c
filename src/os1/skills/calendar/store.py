"""One person's events in the database, with what CalDAV sync needs beside them.

Every statement names ``:user_id`` (``Scoped`` refuses any that does not), so one
person's calendar can never show in another's. A deleted event that the server knows
stays as a tombstone (``deleted``) until sync has removed it there too; ``dirty``
marks local changes the server has not seen yet.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from os1.skills.calendar.events import EventRecord
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.user import Scoped

_MARGIN = 86400.0  # dates and floating times are indexed as UTC: widen windows by a day


@dataclass(frozen=True)
class StoredEvent:
    record: EventRecord
    href: str
    etag: str
    dirty: bool
    deleted: bool
    updated_at: float


def _parse(text: str) -> dt.datetime | dt.date:
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


def _stored(row: sqlite.Row) -> StoredEvent:
    record = EventRecord(
        uid=row["uid"],
        summary=row["summary"],
        start=_parse(row["dtstart"]),
        end=_parse(row["dtend"]) if row["dtend"] else None,
        rrule=row["rrule"],
        location=row["location"],
        description=row["description"],
        reminder_minutes=row["reminder_minutes"],
        last_modified=row["updated_at"],
        ics=row["ics"],
    )
    return StoredEvent(
        record,
        row["href"],
        row["etag"],
        bool(row["dirty"]),
        bool(row["deleted"]),
        row["updated_at"],
    )


def _row(record: EventRecord, **sync: Any) -> dict[str, Any]:
    first, last = record.index_span()
    return {
        "uid": record.uid,
        "summary": record.summary,
        "dtstart": record.start.isoformat(),
        "dtend": record.end.isoformat() if record.end is not None else "",
        "rrule": record.rrule,
        "location": record.location,
        "description": record.description,
        "reminder": record.reminder_minutes,
        "first": first,
        "last": last,
        "ics": record.ics,
        "updated": record.last_modified or time.time(),
        **sync,
    }


_UPSERT = (
    "INSERT INTO calendar_events (user_id, uid, summary, dtstart, dtend, rrule, location,"
    " description, reminder_minutes, first_start, last_end, ics, href, etag, dirty, deleted,"
    " updated_at) VALUES (:user_id, :uid, :summary, :dtstart, :dtend, :rrule, :location,"
    " :description, :reminder, :first, :last, :ics, :href, :etag, :dirty, 0, :updated)"
    " ON CONFLICT (user_id, uid) DO UPDATE SET summary = excluded.summary,"
    " dtstart = excluded.dtstart, dtend = excluded.dtend, rrule = excluded.rrule,"
    " location = excluded.location, description = excluded.description,"
    " reminder_minutes = excluded.reminder_minutes, first_start = excluded.first_start,"
    " last_end = excluded.last_end, ics = excluded.ics, dirty = excluded.dirty, deleted = 0,"
    " updated_at = excluded.updated_at,"
    " href = CASE WHEN excluded.href = '' THEN calendar_events.href ELSE excluded.href END,"
    " etag = CASE WHEN excluded.href = '' THEN calendar_events.etag ELSE excluded.etag END"
)


class CalendarStore:
    """One person's events."""

    def __init__(self, store: UserStore) -> None:
        self.store = store

    async def put(
        self, record: EventRecord, *, dirty: bool = True, href: str = "", etag: str = ""
    ) -> None:
        """Add or replace the event with ``record.uid`` (it stops being deleted)."""
        await self.put_many([record], dirty=dirty, href=href, etag=etag)

    async def put_many(
        self, records: Iterable[EventRecord], *, dirty: bool = True, href: str = "", etag: str = ""
    ) -> int:
        rows = [_row(r, href=href, etag=etag, dirty=int(dirty)) for r in records]
        if not rows:
            return 0
        return await self.store.transaction(lambda db: db.executemany(_UPSERT, rows))

    async def get(self, uid: str, *, deleted: bool = False) -> StoredEvent | None:
        rows = await self.store.read(
            lambda db: db.execute(
                "SELECT * FROM calendar_events WHERE user_id = :user_id AND uid = :uid"
                " AND deleted <= :deleted",
                {"uid": uid, "deleted": int(deleted)},
            )
        )
        return _stored(rows[0]) if rows else None

    async def between(self, start: float, end: float) -> list[StoredEvent]:
        """Events that may have an occurrence between the two moments (seconds since
        the epoch): a coarse filter, ``agenda`` expands and checks exactly."""
        rows = await self.store.read(
            lambda db: db.execute(
                "SELECT * FROM calendar_events WHERE user_id = :user_id AND deleted = 0"
                " AND first_start < :end AND (last_end IS NULL OR last_end > :start)",
                {"start": start - _MARGIN, "end": end + _MARGIN},
            )
        )
        return [_stored(r) for r in rows]

    async def all(self, *, deleted: bool = False) -> list[StoredEvent]:
        """Every event (tombstones too if ``deleted``), oldest first."""
        rows = await self.store.read(
            lambda db: db.execute(
                "SELECT * FROM calendar_events WHERE user_id = :user_id AND deleted <= :deleted"
                " ORDER BY first_start, id",
                {"deleted": int(deleted)},
            )
        )
        return [_stored(r) for r in rows]

    async def count(self) -> int:
        rows = await self.store.read(
            lambda db: db.execute(
                "SELECT count(*) FROM calendar_events WHERE user_id = :user_id AND deleted = 0"
            )
        )
        return int(rows[0][0])

    async def remove(self, uid: str, now: float) -> bool:
        """Delete the event; one the server knows becomes a tombstone for sync to carry
        over. False if there was none."""

        def work(db: Scoped) -> bool:
            gone = db.execute(
                "DELETE FROM calendar_events WHERE user_id = :user_id AND uid = :uid"
                " AND href = '' RETURNING id",
                {"uid": uid},
            )
            marked = db.execute(
                "UPDATE calendar_events SET deleted = 1, dirty = 1, updated_at = :now"
                " WHERE user_id = :user_id AND uid = :uid AND deleted = 0 RETURNING id",
                {"uid": uid, "now": now},
            )
            return bool(gone or marked)

        return await self.store.transaction(work)

    async def forget(self, uid: str) -> None:
        """Drop the row entirely (the server no longer has it either)."""
        await self.store.transaction(
            lambda db: db.execute(
                "DELETE FROM calendar_events WHERE user_id = :user_id AND uid = :uid", {"uid": uid}
            )
        )

    async def synced(self, uid: str, href: str, etag: str) -> None:
        """The server now holds exactly our version, at ``href`` with ``etag``."""
        await self.store.transaction(
            lambda db: db.execute(
                "UPDATE calendar_events SET href = :href, etag = :etag, dirty = 0"
                " WHERE user_id = :user_id AND uid = :uid",
                {"uid": uid, "href": href, "etag": etag},
            )
        )

    async def unlink_all(self) -> int:
        """Forget every server link (a different server or calendar was chosen): all
        events are pushed afresh at the next sync; tombstones go."""

        def work(db: Scoped) -> int:
            db.execute("DELETE FROM calendar_events WHERE user_id = :user_id AND deleted = 1")
            rows = db.execute(
                "UPDATE calendar_events SET href = '', etag = '', dirty = 1"
                " WHERE user_id = :user_id RETURNING id"
            )
            return len(rows)

        return await self.store.transaction(work)
