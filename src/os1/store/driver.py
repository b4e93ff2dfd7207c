"""The SQLite driver: ``sqlean`` (the standard ``sqlite3`` API on a bundled, recent SQLite
that can load extensions; many Python builds cannot) with sqlite-vec loaded for vectors.

Everything in the store imports ``sqlite`` from here, so the driver is one choice in one
place; a PostgreSQL store will sit beside this one, not inside it.
"""

from __future__ import annotations

from pathlib import Path

import sqlean as sqlite
import sqlite_vec

__all__ = ["connect", "sqlite"]


def connect(path: Path | str) -> sqlite.Connection:
    """An autocommit connection (transactions are explicit) with sqlite-vec loaded."""
    conn = sqlite.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.enable_load_extension(False)
    return conn
