"""The calendar's table: each person's events and their CalDAV sync state.

Registered as os1's own skill's migration (``skills.builtin``); its name is the one it
shipped with when it was still in the core list, so a database made then is not migrated
twice.
"""

from __future__ import annotations

from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements


def _calendar(conn: sqlite.Connection) -> None:
    """Each person's calendar events: the iCalendar text as the truth, the fields lists
    and searches need beside it, the index window (first start, last end; NULL for a
    rule without end), and the CalDAV sync state (href, etag, dirty, deleted tombstone)."""
    run_statements(
        conn,
        """
        CREATE TABLE calendar_events (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            uid TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            dtstart TEXT NOT NULL,
            dtend TEXT NOT NULL DEFAULT '',
            rrule TEXT NOT NULL DEFAULT '',
            location TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            reminder_minutes INTEGER,
            first_start REAL NOT NULL,
            last_end REAL,
            ics TEXT NOT NULL,
            href TEXT NOT NULL DEFAULT '',
            etag TEXT NOT NULL DEFAULT '',
            dirty INTEGER NOT NULL DEFAULT 1,
            deleted INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX calendar_events_uid ON calendar_events(user_id, uid);
        CREATE INDEX calendar_events_window ON calendar_events(user_id, deleted, first_start)
        """,
    )


MIGRATIONS: list[Migration] = [("0008_calendar", _calendar)]
