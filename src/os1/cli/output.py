"""Noticing that the reader of stdout went away (issue 22).

A script drives ``os1 chat`` through a pipe and may stop reading at any moment: ``head``
has its lines, an editor closed its buffer. A write then fails with BrokenPipeError, but
only at the next write; while the model reads a long prompt nothing is written for many
seconds. So a small thread waits on the pipe itself: the kernel reports an error on a
pipe's write end as soon as its last reader closes, with no data sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

from os1.companion import Companion
from os1.errors import InputError

_GONE = select.POLLERR | select.POLLHUP | select.POLLNVAL
GRACE_S = 1.0  # for the stopped work, then closing, once the reader is gone (a turn stops
# within one 32-token prompt batch, ~0.6 s; what cannot stop by then is left)

T = TypeVar("T")


class StillBusy(Exception):
    """The reader went away and the work could not stop within ``GRACE_S``: the model
    deep in a prompt, or a thread blocked reading a silent stdin."""


def watch_stdout(loop: asyncio.AbstractEventLoop) -> asyncio.Event:
    """An event set once stdout's reader goes away; never set when stdout is a terminal
    or a file (they have no reader to lose)."""
    gone = asyncio.Event()
    try:
        fd = sys.stdout.fileno()
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            return gone
        fd = os.dup(fd)  # the pipe itself: a door may point descriptor 1 elsewhere (MCP does)
    except (OSError, ValueError):
        return gone

    def watch() -> None:
        poller = select.poll()
        poller.register(fd, 0)  # errors and hang-ups are reported whatever is asked for
        while True:
            if any(flags & _GONE for _, flags in poller.poll()):
                with contextlib.suppress(RuntimeError):  # the loop has already closed
                    loop.call_soon_threadsafe(gone.set)
                return

    threading.Thread(target=watch, name="os1-stdout-watch", daemon=True).start()
    return gone


def silence_stdout(ended: str = "the conversation ended") -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail a second time, and say
    why it ended on stderr, if anyone still reads that."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"os1: the output was closed, so {ended}.\n")
        sys.stderr.flush()


STDIO = "-"  # as a file name: stdout when writing, stdin when reading


def _write_bytes(target: Path, raw: bytes) -> None:
    target.expanduser().write_bytes(raw)


async def write_file_or_stdout(target: Path, data: str | bytes) -> str:
    """Write ``data`` (text as UTF-8) to the file ``target``, or to stdout if it is ``-``;
    the name to report it by. A vanished reader raises BrokenPipeError, as any write would.

    Raises:
        InputError: the file cannot be written.
    """
    raw = data.encode() if isinstance(data, str) else data
    if str(target) == STDIO:
        sys.stdout.flush()  # what was printed before comes first
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return "stdout"
    try:
        await asyncio.to_thread(_write_bytes, target, raw)
    except OSError as exc:
        raise InputError(
            "cannot_write",
            f"Could not write {target}: {exc.strerror or exc}.",
            "Check the path, and that its folder exists and is yours to write.",
        ) from exc
    return str(target)


async def unless_output_closed(
    work: asyncio.Task[T], stop: Callable[[], object], gone: asyncio.Event
) -> T:
    """The work's result; if the reader goes away first, the work is stopped (``stop``:
    a turn's ``CancelToken.cancel``, or the task's own ``cancel``) and given ``GRACE_S``
    to save what was said.

    Raises:
        BrokenPipeError: the reader went away (the work ended cleanly).
        StillBusy: the reader went away and the work did not stop in time.
    """
    closed = asyncio.create_task(gone.wait())
    await asyncio.wait({work, closed}, return_when=asyncio.FIRST_COMPLETED)
    closed.cancel()
    if not gone.is_set():
        return work.result()
    stop()
    await asyncio.wait({work}, timeout=GRACE_S)
    if not work.done():
        raise StillBusy
    with contextlib.suppress(BrokenPipeError, asyncio.CancelledError):
        work.result()
    raise BrokenPipeError


class ReaderWatch:
    """Around a door's whole life: ``gone`` is set when stdout's reader goes away.

    The door sets ``companion`` once it has one. A reader that leaves while it starts is
    noticed once it is up, so that what was already written to stdin is still taken in
    and kept. On the way out the companion is closed as usual, or, if the work raised
    BrokenPipeError or StillBusy, stdout is silenced, the exception swallowed (the door
    goes on after its ``async with``) and the companion closed within ``GRACE_S``, or at
    once when still busy.

    Some work cannot be stopped (a transcription, a thread blocked on a silent stdin)
    and nobody is there to wait for it. Leaving without waiting loses nothing: what was
    said is committed, and unlearned lines stay queued for the next start. Only the
    model's socket folder needs removing by hand."""

    def __init__(self, ended: str = "the conversation ended") -> None:
        self.ended = ended
        self.companion: Companion | None = None
        self.gone = watch_stdout(asyncio.get_running_loop())

    async def __aenter__(self) -> ReaderWatch:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: object, tb: object) -> bool:
        if self.companion is None:
            return False
        if not isinstance(exc, BrokenPipeError | StillBusy):
            await self.companion.aclose()
            return False
        silence_stdout(self.ended)
        if isinstance(exc, StillBusy):
            _exit_now(self.companion)
        try:
            await asyncio.wait_for(self.companion.aclose(), GRACE_S)
        except TimeoutError:
            _exit_now(self.companion)
        return True


def _exit_now(companion: Companion) -> NoReturn:
    companion.release_now()
    os._exit(1)
