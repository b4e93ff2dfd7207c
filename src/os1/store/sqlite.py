"""SQLite store: one connection, one worker thread, WAL, per-user scoping.

All access goes through a single-thread executor (after datasette's one-writer design), so
the event loop never blocks on disk and writes never contend. ``synchronous=FULL`` plus WAL
means a committed turn survives ``kill -9`` and power loss alike.

Isolation is structural: the only way to reach a person's rows is a ``UserStore``, which
you get from ``Database.user(name)``, and every statement it runs must filter on
``user_id`` (checked at run time, so a forgotten filter fails loudly in tests).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from os1.errors import StoreError
from os1.store.base import SettingsCache, StoreBase, User, usable_user_name
from os1.store.driver import connect, sqlite
from os1.store.migrations import Migration, apply_migrations
from os1.store.writer import Writer

__all__ = ["Database", "SettingsCache", "User", "store_error", "usable_user_name"]

T = TypeVar("T")
READERS = 3


def _make_private(path: Path) -> None:
    """The data folder readable by its owner alone (0700) and the database file too
    (0600): it holds every conversation, and the mail and calendar passwords. SQLite
    gives the WAL and shared-memory files the database file's own mode. Best effort: on
    a read-only folder SQLite itself then says what is wrong."""
    try:
        folder = path.parent.stat()
        mine = folder.st_uid == os.geteuid()
        if folder.st_mode & 0o077 and mine and path.parent != Path.home():
            path.parent.chmod(0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _disk_nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        return False


def store_error(exc: sqlite.Error, path: Path) -> StoreError:
    """Turn an SQLite error into one a person can act on.

    A full disk shows up as SQLITE_FULL, or as a plain I/O error when the WAL file cannot
    grow; the free space tells the two apart.
    """
    text = str(exc).lower()
    if "i/o error" in text and _disk_nearly_full(path.parent):
        text = "disk full"
    where = f"the data folder {path.parent}"
    if "readonly" in text or "read-only" in text:
        return StoreError(
            "store_readonly",
            f"Cannot write to {where}: it is read-only.",
            "Set OS1_HOME to a writable folder, or fix the folder's permissions.",
        )
    if "full" in text:
        return StoreError(
            "disk_full",
            f"The disk holding {where} is full; nothing more can be saved.",
            "Free some space (or set OS1_HOME elsewhere) and try again;"
            " nothing saved earlier is lost.",
        )
    if "malformed" in text or "not a database" in text:
        return StoreError(
            "store_corrupt",
            f"The database {path} is damaged: {exc}.",
            "Move it aside to start afresh; `os1 doctor` can check it.",
        )
    if "unable to open" in text:
        return StoreError(
            "store_unavailable",
            f"Cannot open the database in {where}.",
            "Check that the folder exists and is writable, or set OS1_HOME.",
        )
    return StoreError("store_failed", f"The database failed: {exc}.")


class Database(StoreBase):
    """The whole store. Open with ``await Database.open(path)``; close with ``aclose``."""

    def __init__(self, path: Path, migrations: Sequence[Migration] = ()) -> None:
        self.path = path
        self.data_folder = path.parent
        self._migrations = tuple(migrations)
        self._writer = Writer()
        self._conn: sqlite.Connection | None = None
        # Readers on connections of their own: WAL lets them run beside the writer and
        # beside each other, so the parts of one search can overlap.
        self._readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="os1-read")
        self._reader_local = threading.local()
        self._reader_conns: list[sqlite.Connection] = []
        self._reader_lock = threading.Lock()
        super().__init__()

    @classmethod
    async def open(cls, path: Path, *, migrations: Sequence[Migration] = ()) -> Database:
        """Open (creating if needed) and migrate the database at ``path``: the core's
        tables, then ``migrations`` (the skills' and plugins', ``SkillRegistry.migrations``).

        Raises:
            StoreError: the folder cannot be created or written, the disk is full, or the
                file is not a usable database.
        """
        db = cls(path, migrations)
        try:
            await db._run(db._connect)
        except BaseException:
            db._writer.stop()
            raise
        return db

    def _connect(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                "store_unavailable",
                f"Cannot create the data folder {self.path.parent}: {exc.strerror}.",
                "Set OS1_HOME to a writable folder, or fix the folder's permissions.",
            ) from exc
        try:
            _make_private(self.path)
            conn = connect(self.path)
            conn.row_factory = sqlite.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            try:
                apply_migrations(conn, self._migrations)
            except StoreError:
                conn.close()
                raise
        except sqlite.Error as exc:
            raise store_error(exc, self.path) from exc
        self._conn = self._writer.conn = conn

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        result: T = await self._writer.run(lambda: fn(*args))
        return result

    def _conn_or_raise(self) -> sqlite.Connection:
        if self._conn is None:
            raise StoreError("store_closed", "The database is closed.")
        return self._conn

    async def execute(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] = (),
        *,
        write: bool = False,
        person: int | None = None,
    ) -> list[sqlite.Row]:
        """Run one statement: a write in its own transaction on the writer, a read on a
        reader connection."""

        def statement(conn: sqlite.Connection) -> list[sqlite.Row]:
            rows: list[sqlite.Row] = conn.execute(sql, params).fetchall()
            return rows

        return await (self.transaction if write else self.read)(statement)

    async def transaction(
        self, fn: Callable[[sqlite.Connection], T], *, person: int | None = None
    ) -> T:
        """Run ``fn(connection)`` on the store's thread inside one write transaction; one
        writer at a time, whoever ``person`` is."""

        self._conn_or_raise()
        try:
            result: T = await self._writer.transaction(fn)
        except sqlite.Error as exc:
            raise store_error(exc, self.path) from exc
        return result

    async def read(self, fn: Callable[[sqlite.Connection], T]) -> T:
        """Run ``fn(connection)`` for reading on one of the reader threads, off the writer's:
        several reads (and the writer) proceed at once, and WAL readers see every
        committed write without waiting for the writer."""

        def work() -> T:
            conn = getattr(self._reader_local, "conn", None)
            if conn is None:
                if self._conn is None:
                    raise StoreError("store_closed", "The database is closed.")
                conn = connect(self.path)
                conn.row_factory = sqlite.Row
                self._reader_local.conn = conn
                with self._reader_lock:
                    self._reader_conns.append(conn)
            try:
                return fn(conn)
            except sqlite.Error as exc:
                raise store_error(exc, self.path) from exc

        self._conn_or_raise()
        try:
            reading = asyncio.get_running_loop().run_in_executor(self._readers, work)
        except RuntimeError as exc:  # aclose shut the readers down meanwhile
            raise StoreError("store_closed", "The database is closed.") from exc
        return await reading

    async def check(self) -> str:
        """SQLite's quick integrity check: ``"ok"`` or the first problem found."""
        rows = await self.execute("PRAGMA quick_check")
        return str(rows[0][0]) if rows else "no answer"

    async def aclose(self) -> None:
        self._readers.shutdown(wait=True)
        for reader in self._reader_conns:
            reader.close()
        self._reader_conns.clear()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._run(conn.close)
            self._writer.conn = None
        await asyncio.to_thread(self._writer.stop)
