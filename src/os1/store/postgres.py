"""PostgreSQL store: the same store API on a database server many processes share.

A statement is written once, in SQLite's dialect, and translated (``store.dialect``). The
callables ``read`` and ``transaction`` take are handed a ``PgConnection`` whose
``execute`` looks like sqlite3's, so the code that runs them does not care which engine
is underneath.

Writes run as if one at a time, as on SQLite, where the code above was written against
one writer: a transaction that changes one person's rows (``person``) first takes that
person's advisory lock, so two of theirs never interleave while different people's run
side by side; any other write takes the whole store's lock, which waits for every
person's to finish. Under those locks READ COMMITTED is enough, and nothing fails for
another's sake. (SERIALIZABLE was tried first: on a young store PostgreSQL reads small
tables whole, so a thousand people signing up at once failed each other's transactions
again and again.) A read runs REPEATABLE READ, READ ONLY: one snapshot, no locks; a
read of a single statement needs no transaction around it at all. A deadlock is run
again (up to ``RETRIES`` times), so a transaction's callable must have no effect outside
the database, as they already do. Nobody hears "done" before COMMIT returns, the same
rule as on SQLite.

psycopg 3 is synchronous here, on a thread pool as wide as the connection pool, because
the callables are synchronous (they are SQLite's too).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import errors
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
LOCK_WAIT = "10s"  # how long a transaction waits for another's lock before it gives up
_RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected)
_LOCKS = 7302  # advisory lock namespace (two-key form; migrations use one key, 7301)
_WHOLE_STORE = 0  # no user has id 0: the key of the lock every write takes
_ONE_STATEMENT = -1  # in place of a lock: a read of one statement, run outside a transaction


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
        # whether the statement returns rows, without building its description again
        self._returns = bool(cursor.pgresult and cursor.pgresult.nfields)

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._returns else []

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._returns else None

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
    if isinstance(exc, errors.LockNotAvailable):
        return StoreError(
            "store_busy",
            f"The PostgreSQL database {place} was held by other work for too long.",
            "Try again in a moment.",
        )
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
            # no check on every checkout (a round trip each time): a connection the server
            # dropped is found by the transaction's first statement instead (see _attempts)
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
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] = (),
        *,
        write: bool = False,
        person: int | None = None,
    ) -> list[Any]:
        def statement(conn: PgConnection) -> list[Row]:
            return conn.execute(sql, params).fetchall()

        if write:
            return await self.transaction(statement, person=person)
        # one statement sees one snapshot by itself: no BEGIN and COMMIT (one round trip
        # instead of three, on the path every request's account and settings take)
        return await self._run(statement, _ONE_STATEMENT)

    async def transaction(self, fn: Callable[[Any], T], *, person: int | None = None) -> T:
        if person is not None and person <= 0:
            raise ValueError(f"not a user id: {person!r}")
        return await self._run(fn, _WHOLE_STORE if person is None else int(person))

    async def read(self, fn: Callable[[Any], T]) -> T:
        return await self._run(fn, None)

    async def _run(self, fn: Callable[[PgConnection], T], lock: int | None) -> T:
        if self._pool.closed:
            raise StoreError("store_closed", "The database is closed.")
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._threads, self._attempts, fn, lock
            )
        except RuntimeError as exc:  # aclose shut the threads down meanwhile
            raise StoreError("store_closed", "The database is closed.") from exc

    def _attempts(self, fn: Callable[[PgConnection], T], lock: int | None) -> T:
        """Run ``fn`` in one transaction: a write (``lock`` given) under its lock, a read
        (``lock`` None) in one snapshot. A deadlock is run again; so is a connection
        found dead before anything was asked of it."""
        if self._away:
            self._still_away()
        for attempt in range(RETRIES):
            held: psycopg.Connection[Any] | None = None
            started = False
            try:
                with self._pool.connection() as held:
                    if lock == _ONE_STATEMENT:
                        return fn(PgConnection(held))
                    held.execute(_begin(lock))
                    started = True
                    try:
                        result = fn(PgConnection(held))
                        held.execute("COMMIT")
                    except BaseException:
                        if not held.broken:
                            with contextlib.suppress(psycopg.Error):
                                held.execute("ROLLBACK")
                        raise
                    return result
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
                # a pooled connection the server dropped (a restart, a failover) breaks at
                # the first statement; nothing was asked of it, so the pool's other idle
                # connections are checked and this is tried again (a read may be at any
                # point: it changed nothing)
                reading = lock is None or lock == _ONE_STATEMENT
                dropped = held is not None and held.broken and (not started or reading)
                if dropped and attempt < 2:
                    self._pool.check()
                    continue
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
    conn.execute(f"SET lock_timeout = '{LOCK_WAIT}'")
    conn.commit()
    # transactions are begun and ended by hand (_begin), so that BEGIN and a write's
    # locks reach the server in one round trip
    conn.autocommit = True
    _as_sqlite_reads(conn)


def _begin(lock: int | None) -> str:
    """What starts a transaction: a read in one snapshot; a write under the whole store's
    lock, shared by every person's transaction and held alone by any other write, then
    the person's own. The statements run in order, so the locks are always taken in
    that order (no deadlock between them)."""
    if lock is None:
        return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    begin = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock"
    if lock == _WHOLE_STORE:
        return f"{begin}({_LOCKS}, {_WHOLE_STORE})"
    key = 1 + (lock - 1) % (2**31 - 1)  # an int4 other than the whole store's
    return (
        f"{begin}_shared({_LOCKS}, {_WHOLE_STORE}); SELECT pg_advisory_xact_lock({_LOCKS}, {key})"
    )


def _as_sqlite_reads(conn: psycopg.Connection[Any]) -> None:
    """Numbers come back as SQLite gives them: ``numeric`` (what SUM of integers is on
    PostgreSQL) as a float, never a ``Decimal`` that float arithmetic refuses."""
    conn.adapters.register_loader("numeric", FloatLoader)
