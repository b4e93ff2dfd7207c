"""PostgreSQL store: the same store API on a database server many processes share.

A statement is written once, in SQLite's dialect, and translated (``store.dialect``). The
callables ``read`` and ``transaction`` take are handed a ``PgConnection`` whose
``execute`` looks like sqlite3's, so the code that runs them does not care which engine
is underneath.

Transactions are SERIALIZABLE: SQLite runs one writer at a time, so the code above was
written against serial execution, and PostgreSQL's serializable isolation gives the same
outcome to concurrent transactions, or fails one with a serialization error; that one is
run again (up to ``RETRIES`` times). A transaction's callable must therefore have no
effect outside the database, as they already do. Nobody hears "done" before COMMIT
returns, the same rule as on SQLite.

psycopg 3 is synchronous here, on a thread pool as wide as the connection pool, because
the callables are synchronous (they are SQLite's too).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel, errors
from psycopg.types.numeric import FloatLoader
from psycopg_pool import ConnectionPool, PoolTimeout

from os1.errors import StoreError
from os1.store.base import StoreBase
from os1.store.dialect import for_postgres
from os1.store.migrations import Migration, apply_migrations_postgres
from os1.store.opening import where

T = TypeVar("T")
POOL = 8
RETRIES = 8
WAIT = 5.0  # seconds a transaction waits for a connection before it is told to retry
_RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected)


class Row(tuple[Any, ...]):
    """A row read by position or by column name, as ``sqlite3.Row`` reads."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


class PgCursor:
    """What a statement gave back: its rows and how many rows it changed."""

    def __init__(self, cursor: psycopg.Cursor[Row]) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class PgConnection:
    """A PostgreSQL connection that reads os1's SQLite-dialect statements."""

    dialect = "postgresql"

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> PgCursor:
        cursor = self.raw.cursor()
        cursor.execute(for_postgres(sql), params)  # even empty: "%%" is then read as "%"
        return PgCursor(cursor)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any] | dict[str, Any]]) -> PgCursor:
        cursor = self.raw.cursor()
        cursor.executemany(for_postgres(sql), rows)
        return PgCursor(cursor)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


def pg_error(exc: Exception, url: str) -> StoreError:
    """A PostgreSQL failure as an error a person can act on."""
    place = where(url)
    if isinstance(exc, PoolTimeout):
        return StoreError(
            "store_busy",
            f"No connection to the PostgreSQL database {place} came free in time"
            " (all busy, or the server is away).",
            "Try again in a moment; if it lasts, check the server, or raise its max_connections.",
        )
    if isinstance(exc, psycopg.OperationalError) and not isinstance(exc, errors.QueryCanceled):
        return StoreError(
            "store_unavailable",
            f"Cannot reach the PostgreSQL database {place}: {str(exc).strip() or 'no answer'}.",
            "Check that PostgreSQL is running and that database_url names it.",
        )
    if isinstance(exc, errors.DiskFull):
        return StoreError(
            "disk_full",
            f"The disk holding the PostgreSQL database {place} is full.",
            "Free some space on the database server and try again; nothing saved earlier is lost.",
        )
    return StoreError("store_failed", f"The database failed: {str(exc).strip()}.")


class PostgresDatabase(StoreBase):
    """The whole store on PostgreSQL. Open with ``await PostgresDatabase.open(url, home)``."""

    def __init__(self, url: str, data_folder: Path, migrations: Sequence[Migration] = ()) -> None:
        super().__init__()
        self.url = url
        self.data_folder = data_folder  # people's files stay on this machine's disk
        self._migrations = tuple(migrations)
        self._away = False  # the server was found unreachable (see _still_away)
        self._threads = ThreadPoolExecutor(max_workers=POOL, thread_name_prefix="os1-pg")
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL,
            open=False,
            timeout=WAIT,
            kwargs={"row_factory": _rows, "connect_timeout": 10},
            configure=_configure,
            # a connection the server dropped (a restart, a failover) is found out and
            # replaced before a transaction is handed it: the store recovers by itself
            check=ConnectionPool.check_connection,
            name="os1",
        )

    @classmethod
    async def open(
        cls, url: str, data_folder: Path, *, migrations: Sequence[Migration] = ()
    ) -> PostgresDatabase:
        """Connect to and migrate the database at ``url``.

        Raises:
            StoreError: the server cannot be reached, or its schema is a newer os1's.
        """
        db = cls(url, data_folder, migrations)
        try:
            await asyncio.get_running_loop().run_in_executor(db._threads, db._connect)
        except BaseException:
            await db.aclose()
            raise
        return db

    def _connect(self) -> None:
        try:
            # one connection of its own first: a server that is away says why at once,
            # where a pool would only time out
            with psycopg.connect(
                self.url, autocommit=True, connect_timeout=10, row_factory=_rows
            ) as conn:
                _as_sqlite_reads(conn)
                apply_migrations_postgres(PgConnection(conn), self._migrations)
            self._pool.open(wait=True, timeout=15)
        except StoreError:
            raise
        except (psycopg.Error, PoolTimeout) as exc:
            raise pg_error(exc, self.url) from exc

    async def execute(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *, write: bool = False
    ) -> list[Any]:
        def statement(conn: PgConnection) -> list[Row]:
            return conn.execute(sql, params).fetchall()

        return await (self.transaction if write else self.read)(statement)

    async def transaction(self, fn: Callable[[Any], T]) -> T:
        return await self._run(fn)

    async def read(self, fn: Callable[[Any], T]) -> T:
        return await self._run(fn)

    async def _run(self, fn: Callable[[PgConnection], T]) -> T:
        if self._pool.closed:
            raise StoreError("store_closed", "The database is closed.")
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._threads, self._attempts, fn
            )
        except RuntimeError as exc:  # aclose shut the threads down meanwhile
            raise StoreError("store_closed", "The database is closed.") from exc

    def _attempts(self, fn: Callable[[PgConnection], T]) -> T:
        if self._away:
            self._still_away()
        for attempt in range(RETRIES):
            try:
                with self._pool.connection() as conn, conn.transaction():
                    return fn(PgConnection(conn))
            except _RETRYABLE:
                if attempt == RETRIES - 1:
                    raise StoreError(
                        "store_busy",
                        "The database stayed too busy to finish this change.",
                        "Try again in a moment.",
                    ) from None
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # jitter, not a secret
            except StoreError:
                raise
            except (psycopg.Error, PoolTimeout) as exc:
                error = pg_error(exc, self.url)
                self._away = error.code == "store_unavailable" or isinstance(exc, PoolTimeout)
                raise error from exc
        raise AssertionError("unreachable")  # the loop returns or raises

    def _still_away(self) -> None:
        """While the server is away, each transaction is told so at once (one quick
        connection attempt) instead of waiting ``WAIT`` for the pool; once one attempt
        succeeds, the pool is used again.

        Raises:
            StoreError: the server still cannot be reached.
        """
        try:
            psycopg.connect(self.url, connect_timeout=2).close()
        except psycopg.Error as exc:
            raise pg_error(exc, self.url) from exc
        self._away = False

    async def check(self) -> str:
        rows = await self.execute("SELECT 1")
        return "ok" if rows and rows[0][0] == 1 else "no answer"

    async def aclose(self) -> None:
        await asyncio.to_thread(self._pool.close)
        self._threads.shutdown(wait=True)


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.isolation_level = IsolationLevel.SERIALIZABLE
    _as_sqlite_reads(conn)


def _as_sqlite_reads(conn: psycopg.Connection[Any]) -> None:
    """Numbers come back as SQLite gives them: ``numeric`` (what SUM of integers is on
    PostgreSQL) as a float, never a ``Decimal`` that float arithmetic refuses."""
    conn.adapters.register_loader("numeric", FloatLoader)
