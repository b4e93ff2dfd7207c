"""A small process pool for parsing what other people wrote: mails, calendar files, repeats.

Why processes: a regex or a parser busy with hostile text holds the GIL for as long as it
runs, so a worker *thread* still freezes every person the server answers (issue 24). In a
worker process the same work costs one core at most, runs at a lower priority than the
server, and can be stopped.

Design choices:

- One pool per process (``shared``), started on first use, with at most ``WORKERS``
  workers. Each worker is its own one-process ``ProcessPoolExecutor`` (a "slot"), so
  killing a worker whose task overran touches no other task.
- Workers start by ``forkserver`` (``spawn`` where there is none), never by ``fork``: the
  server holds llama.cpp's and the store's threads, which a forked child would inherit in
  whatever state they were in. The fork server imports the main script once (the
  default), so each worker is a cheap fork of it; a script that starts the pool needs
  the usual ``if __name__ == "__main__"`` guard.
- Every task has a time budget, counted from when it holds a worker (a worker coming up
  is not counted). A task that overruns is abandoned: its worker is killed and replaced,
  and the caller gets a ``ParsingError`` (code ``parse_timeout``) to turn into words
  ("this mail could not be read in time; skipped"). A caller that is cancelled abandons
  its task the same way.
- Callers wait for a free worker first come, first served, except that ``bulk`` tasks
  (a mail folder, a calendar file: seconds to minutes) hold at most ``WORKERS - 1``
  workers at once, and a quick task (a listing's repeats, an inbox's triage) may pass
  bulk tasks waiting for one: one person's big import never holds up another person's
  listing. Callers may run on different event loops in different threads (the
  server's, a CLI's), so the line is a lock and a short poll rather than an asyncio
  primitive bound to one loop.
- Inside a worker, ``time_limit`` bounds a part of a task (one mail, one event's repeats)
  with a timer signal, so one bad part is skipped without losing the rest; the budget is
  the backstop for code that never returns to Python.
- An ``Os1Error`` raised by a task comes back as itself (its class, code, message and
  hint): it would not survive pickling on its own, since its constructor takes three
  arguments.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any, TypeVar

from os1.errors import Os1Error

log = logging.getLogger(__name__)
T = TypeVar("T")

WORKERS = 2  # parsing is bursty (an import, an index run); two keep one person from queueing all
STARTUP_SECONDS = 60.0  # a worker coming up; not part of any task's budget
_POLL = 0.005  # seconds between looks at the line while waiting for a worker
_STALE = 10.0  # a waiter that stopped looking this long ago has left the line
_NICENESS = 10  # workers yield the CPU to the server process that answers people

_in_worker = False


class ParsingError(Os1Error):
    """Foreign input could not be parsed in time, or the process parsing it died."""


class OutOfTime(BaseException):
    """Raised inside a worker when a part of a task runs past its ``time_limit``.

    A ``BaseException`` so that the broad ``except Exception`` of parsing libraries (the
    iCalendar parser records errors that way) cannot swallow it.
    """


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``OutOfTime`` in the block once it has run ``seconds``.

    Only in a pool worker's main thread (a timer signal is process-wide, and the server
    has its own uses for signals); elsewhere the block simply runs. Not nestable.
    """
    usable = (
        _in_worker
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise OutOfTime(f"ran past its {seconds:.1f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _enter_worker(lifeline: Connection | None = None) -> None:
    """Set up a new worker: marked as one, nicer than the server, deaf to the terminal's
    Ctrl-C (the server shuts its pool down itself), and gone when the server is."""
    global _in_worker
    _in_worker = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(_NICENESS)
    if lifeline is not None:
        threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()


def _exit_with_parent(lifeline: Connection) -> None:
    """Wait for the process that started this worker to end, then end too.

    Without this a worker outlived a server killed with kill -9: it waits on its task
    queue, whose writing end it holds itself, so it never sees the end of it (and a
    caller reading the dead server's output waits on the worker's copy of it)."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()
    os._exit(0)


def _ready() -> int:
    return os.getpid()


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
    """Run a task in a worker; an ``Os1Error`` travels back as plain values."""
    try:
        return True, fn(*args)
    except Os1Error as exc:
        return False, (type(exc), exc.code, exc.message, exc.hint)


def _rebuilt(parts: tuple[type[Os1Error], str, str, str]) -> Os1Error:
    kind, code, message, hint = parts
    try:
        return kind(code, message, hint)
    except TypeError:  # a subclass with a constructor of its own
        return ParsingError(code, message, hint)


def _context() -> multiprocessing.context.BaseContext:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


@dataclass
class _Slot:
    """One worker process, in its own executor so that it can be killed alone."""

    executor: concurrent.futures.ProcessPoolExecutor | None = None
    ready: concurrent.futures.Future[int] | None = None
    busy: bool = False
    bulk: bool = False


@dataclass(eq=False)
class _Waiter:
    bulk: bool
    seen: float = field(default_factory=time.monotonic)


def _stop(executor: concurrent.futures.ProcessPoolExecutor, *, kill: bool) -> None:
    if kill:
        # the executor keeps no public handle on its processes (3.14 adds kill_workers)
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError, ValueError):
                process.kill()
    executor.shutdown(wait=not kill, cancel_futures=True)


class ParsingPool:
    """At most ``workers`` worker processes for CPU-heavy parsing, each task on a budget.

    Args:
        workers: how many tasks may run at once (each in its own process).
    """

    def __init__(self, workers: int = WORKERS) -> None:
        self._lock = threading.Lock()
        self._slots = [_Slot() for _ in range(max(1, workers))]
        self._bulk_limit = max(1, len(self._slots) - 1)
        self._line: list[_Waiter] = []
        self._context = _context()
        # only this process holds the writing end: when it dies, even by kill -9, the
        # workers read the end of the line and go too (``_exit_with_parent``)
        self._lifeline, self._lifeline_holder = self._context.Pipe(duplex=False)

    async def run(self, budget: float, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker process, abandoned after ``budget`` seconds.

        ``fn`` and its arguments and result must pickle (``fn`` a module-level function).
        For work that may take seconds or more, use ``run_bulk``.

        Raises:
            ParsingError: ``parse_timeout`` when the task overran its budget,
                ``parse_crashed`` when its worker died, ``parse_unavailable`` when no
                worker could be started.
            Os1Error: what ``fn`` raised, as it raised it (other exceptions too).
        """
        return await self._run(False, budget, fn, args)

    async def run_bulk(self, budget: float, fn: Callable[..., T], *args: Any) -> T:
        """Like ``run``, for big work (a batch of mails, a calendar file), which never
        takes every worker: quick tasks always have one."""
        return await self._run(True, budget, fn, args)

    async def _run(
        self, bulk: bool, budget: float, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> T:
        slot = await self._take_slot(bulk)
        try:
            return await self._run_in(slot, budget, fn, args)
        finally:
            with self._lock:
                slot.busy = slot.bulk = False

    def close(self) -> None:
        """Stop every worker (running tasks are abandoned); the pool starts them again
        if it is used after this."""
        with self._lock:
            slots = [(s, s.executor, s.busy) for s in self._slots]
            for slot in self._slots:
                slot.executor, slot.ready = None, None
        for _, executor, busy in slots:
            if executor is not None:
                _stop(executor, kill=busy)

    async def _take_slot(self, bulk: bool) -> _Slot:
        waiter = _Waiter(bulk)
        with self._lock:
            self._line.append(waiter)
        try:
            # a poll, not an asyncio.Event: waiters may be on other loops in other threads
            while (slot := self._try_take(waiter)) is None:  # noqa: ASYNC110
                await asyncio.sleep(_POLL)
        except BaseException:
            with self._lock:
                if waiter in self._line:
                    self._line.remove(waiter)
            raise
        return slot

    def _try_take(self, waiter: _Waiter) -> _Slot | None:
        """A free worker for ``waiter`` if it may have one now: no one ahead of it in the
        line could take one, and a bulk task only while bulk work has workers to spare."""
        now = time.monotonic()
        with self._lock:
            waiter.seen = now
            # callers that went away without leaving the line
            self._line = [w for w in self._line if w is waiter or now - w.seen <= _STALE]
            free = [slot for slot in self._slots if not slot.busy]
            bulk_free = sum(slot.bulk for slot in self._slots) < self._bulk_limit
            for ahead in self._line:
                if ahead is waiter:
                    break
                if not ahead.bulk or bulk_free:
                    return None  # it goes first
            if not free or waiter not in self._line or (waiter.bulk and not bulk_free):
                return None
            slot = free[0]
            slot.busy, slot.bulk = True, waiter.bulk
            self._line.remove(waiter)
            return slot

    def _start(self, slot: _Slot) -> tuple[concurrent.futures.ProcessPoolExecutor, Any]:
        with self._lock:
            if slot.executor is None or slot.ready is None:
                slot.executor = concurrent.futures.ProcessPoolExecutor(
                    1,
                    mp_context=self._context,
                    initializer=_enter_worker,
                    initargs=(self._lifeline,),
                )
                slot.ready = slot.executor.submit(_ready)
            return slot.executor, slot.ready

    def _discard(self, slot: _Slot, executor: concurrent.futures.ProcessPoolExecutor) -> None:
        """Kill ``slot``'s worker (its task is abandoned); a new one starts on next use."""
        with self._lock:
            if slot.executor is executor:
                slot.executor, slot.ready = None, None
        _stop(executor, kill=True)

    async def _submit(
        self, slot: _Slot, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> tuple[concurrent.futures.ProcessPoolExecutor, concurrent.futures.Future[Any]]:
        """The task handed to ``slot``'s worker once it is up (started again, once, if
        it died while idle)."""
        for attempt in (1, 2):
            executor, ready = self._start(slot)
            # never cancelled from here: a caller that gives up leaves the worker starting
            starting = asyncio.wrap_future(ready)
            starting.add_done_callback(_quiet)
            done, _ = await asyncio.wait({starting}, timeout=STARTUP_SECONDS)
            if not done or starting.cancelled() or starting.exception() is not None:
                self._discard(slot, executor)
                raise ParsingError(
                    "parse_unavailable",
                    "The process that reads mail and calendar files could not be started.",
                    "Try again; if it keeps failing, the server's log says why.",
                )
            try:
                return executor, executor.submit(_call, fn, args)
            except (BrokenProcessPool, RuntimeError) as exc:  # it died or was closed meanwhile
                self._discard(slot, executor)
                if attempt == 2:
                    raise _crashed() from exc
        raise AssertionError("unreachable")

    async def _run_in(
        self, slot: _Slot, budget: float, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> T:
        executor, task = await self._submit(slot, fn, args)
        waiter = asyncio.wrap_future(task)
        try:
            done, _ = await asyncio.wait({waiter}, timeout=budget)
        except BaseException:  # the caller was cancelled: nobody wants this work any more
            waiter.cancel()
            self._discard(slot, executor)
            raise
        if not done:
            waiter.cancel()
            self._discard(slot, executor)
            log.warning("parsing task %s overran its %.1f s budget", _name(fn), budget)
            raise ParsingError(
                "parse_timeout",
                f"This could not be read within {budget:.0f} seconds, so I stopped.",
                "It is probably malformed or built to be slow; it was skipped.",
            )
        try:
            ok, value = waiter.result()
        except BrokenProcessPool as exc:
            self._discard(slot, executor)
            raise _crashed() from exc
        if ok:
            result: T = value
            return result
        raise _rebuilt(value)


def _quiet(future: asyncio.Future[Any]) -> None:
    """Take a failed start's exception, so that no one is told it was never retrieved."""
    if not future.cancelled():
        future.exception()


def _crashed() -> ParsingError:
    return ParsingError(
        "parse_crashed",
        "The process reading this stopped unexpectedly (it may have run out of memory).",
        "It was skipped; the rest goes on.",
    )


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"


_shared: ParsingPool | None = None
_shared_lock = threading.Lock()
_exit_hook = False


def shared() -> ParsingPool:
    """The process's parsing pool (made on first use; its workers start on first task)."""
    global _shared, _exit_hook
    with _shared_lock:
        if _shared is None:
            _shared = ParsingPool()
            if not _exit_hook:
                atexit.register(close_shared)
                _exit_hook = True
        return _shared


def close_shared() -> None:
    """Stop the shared pool's workers (the companion's close and interpreter exit call it)."""
    global _shared
    with _shared_lock:
        pool, _shared = _shared, None
    if pool is not None:
        pool.close()


async def parse(budget: float, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the shared pool within ``budget`` seconds (see ``ParsingPool.run``)."""
    return await shared().run(budget, fn, *args)


async def parse_bulk(budget: float, fn: Callable[..., T], *args: Any) -> T:
    """Big work in the shared pool (see ``ParsingPool.run_bulk``)."""
    return await shared().run_bulk(budget, fn, *args)
