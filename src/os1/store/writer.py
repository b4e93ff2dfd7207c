"""The store's one writer thread, with group commit.

All writes go through one thread and one connection (after datasette's design), so they
never contend. Under load many people's turns want a write at the same moment; committing
each alone costs one fsync apiece, and the thread spends its life waiting on the disk.
So transactions that queue up while the thread is busy are run together, each inside its
own SAVEPOINT (one failing rolls back only itself), and committed with a single COMMIT:
one fsync for the group. Nobody is told "done" before that COMMIT returns, so a
``kill -9`` can never lose a write that was acknowledged. A lone write is a group of one,
exactly as before. (Group commit is how PostgreSQL and InnoDB amortize fsync; this is
the same idea at the scale of one SQLite file.)
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from os1.store.driver import sqlite

MAX_GROUP = 128


@dataclass
class _Job:
    fn: Callable[[], Any] | Callable[[sqlite.Connection], Any]
    in_transaction: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _deliver(job: _Job, result: Any = None, error: BaseException | None = None) -> None:
    def settle() -> None:
        if job.future.done():
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
        job.loop.call_soon_threadsafe(settle)


class Writer:
    """Runs plain jobs (``fn()``) and transactions (``fn(conn)``) on one thread."""

    def __init__(self, name: str = "os1-store") -> None:
        self.conn: sqlite.Connection | None = None
        self.commits = 0  # groups committed (each one fsync), for tests and benchmarks
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on the writer thread, alone (opening, closing, plain statements)."""
        return await self._submit(fn, in_transaction=False)

    async def transaction(self, fn: Callable[[sqlite.Connection], Any]) -> Any:
        """``fn(conn)`` inside a write transaction, possibly grouped with others."""
        return await self._submit(fn, in_transaction=True)

    async def _submit(self, fn: Callable[..., Any], *, in_transaction: bool) -> Any:
        loop = asyncio.get_running_loop()
        job = _Job(fn, in_transaction, loop, loop.create_future())
        self._jobs.put(job)
        return await job.future

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    def _work(self) -> None:
        carried: _Job | None = None
        while True:
            job = carried or self._jobs.get()
            carried = None
            if job is None:
                return
            if not job.in_transaction:
                self._alone(job)
                continue
            group = [job]
            while len(group) < MAX_GROUP:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None or not nxt.in_transaction:
                    carried = nxt  # runs after this group, keeping the order
                    if nxt is None:
                        self._jobs.put(None)
                    break
                group.append(nxt)
            self._commit(group)

    def _alone(self, job: _Job) -> None:
        try:
            _deliver(job, job.fn())  # type: ignore[call-arg]  # a job outside a transaction takes no connection
        except BaseException as exc:
            _deliver(job, error=exc)

    def _commit(self, group: list[_Job]) -> None:
        conn = self.conn
        if conn is None:
            error = sqlite.OperationalError("the database is closed")
            for job in group:
                _deliver(job, error=error)
            return
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in group:
                outcomes.append(self._one(conn, job))
            conn.execute("COMMIT")
            self.commits += 1
        except BaseException as exc:
            if conn.in_transaction:  # SQLite rolls back by itself on SQLITE_FULL
                conn.execute("ROLLBACK")
            # the group's work is gone: every job in it failed with this error, unless
            # it had already failed on its own
            for job in group:
                done = next((o for o in outcomes if o[0] is job), None)
                _deliver(job, error=done[2] if done and done[2] else exc)
            return
        for job, result, error in outcomes:
            _deliver(job, result, error)

    @staticmethod
    def _one(conn: sqlite.Connection, job: _Job) -> tuple[_Job, Any, BaseException | None]:
        conn.execute("SAVEPOINT job")
        try:
            result = job.fn(conn)  # type: ignore[call-arg]  # a transaction job takes the connection
        except sqlite.Error as exc:
            if not conn.in_transaction:
                raise  # the whole transaction was lost (e.g. the disk is full)
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return job, None, exc
        except BaseException as exc:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return job, None, exc
        conn.execute("RELEASE job")
        return job, result, None
