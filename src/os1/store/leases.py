"""Leases a process holds on work for a person (learning their facts), so that only one
process sharing the store does it at a time: the workers of a fleet, a CLI beside the
server, the next start after a crash.

A lease lapses ``seconds`` after it was last taken, which frees one held by a process on
another machine that died. On this machine a dead holder need not be waited for: the
holder names its host, process id and the process's start time, and a process that is
gone (or whose id now belongs to a newer process) is replaced at once. So the first turn
after a kill -9 learns what the killed process was learning.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

from os1.store.user import UserStore

HOST = socket.gethostname().replace("/", "_")


def _started(pid: int) -> str:
    """When process ``pid`` started, in clock ticks since boot ("" where unknown)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()  # after the name, which may hold spaces
    return fields[19] if len(fields) > 19 else ""


def new_holder() -> str:
    """A holder name for one piece of work in this process."""
    return f"{HOST}/{os.getpid()}/{_started(os.getpid())}/{uuid.uuid4().hex[:12]}"


def gone(holder: str) -> bool:
    """Whether ``holder`` was a process of this machine that no longer runs."""
    parts = holder.split("/")
    if len(parts) != 4 or parts[0] != HOST or not parts[1].isdigit():
        return False  # another machine's: its lease lapses by itself
    pid = int(parts[1])
    if pid == os.getpid():
        return parts[2] != _started(pid)  # an earlier process with this id
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it runs, as another user
    now = _started(pid)
    return bool(parts[2]) and bool(now) and now != parts[2]


async def take(store: UserStore, name: str, holder: str, seconds: float) -> bool:
    """Whether ``holder`` now holds ``name``: free, lapsed, its own, or held by a process
    of this machine that is gone."""
    if await store.take_lease(name, holder, seconds):
        return True
    held = await store.lease_holder(name)
    if held is None or not gone(held):
        return False
    return await store.take_lease(name, holder, seconds, replacing=held)
