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

_GONE = select.POLLERR | select.POLLHUP | select.POLLNVAL


def watch_stdout(loop: asyncio.AbstractEventLoop) -> asyncio.Event:
    """An event set once stdout's reader goes away; never set when stdout is a terminal
    or a file (they have no reader to lose)."""
    gone = asyncio.Event()
    try:
        fd = sys.stdout.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError):
        return gone
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
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


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail a second time, and say
    why the conversation ended on stderr, if anyone still reads that."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write("os1: the output was closed, so the conversation ended.\n")
        sys.stderr.flush()
