"""Which engine holds the store: SQLite in the data folder (the embedded default), or the
PostgreSQL database ``database_url`` names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from os1.store.base import StoreBase
from os1.store.migrations import Migration
from os1.store.sqlite import Database


def where(url: str) -> str:
    """A PostgreSQL URL as shown to a person: host, port and database, never the password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


def store_place(db_path: Path, database_url: str | None = None) -> str:
    """Where the store is, as a person reads it: ``PostgreSQL at host:5432/os1`` or
    ``SQLite at PATH``."""
    return f"PostgreSQL at {where(database_url)}" if database_url else f"SQLite at {db_path}"


async def open_store(
    db_path: Path, database_url: str | None = None, *, migrations: Sequence[Migration] = ()
) -> StoreBase:
    """Open and migrate the store: PostgreSQL at ``database_url`` when it is set (people's
    files still live beside ``db_path``), else SQLite at ``db_path``.

    Raises:
        StoreError: the store cannot be opened; the message says what to do.
    """
    if database_url:
        from os1.store.postgres import PostgresDatabase  # psycopg is loaded only when used

        return await PostgresDatabase.open(database_url, db_path.parent, migrations=migrations)
    return await Database.open(db_path, migrations=migrations)
