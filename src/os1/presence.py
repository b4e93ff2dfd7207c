"""Presence: how many conversations the companion is holding right now, truly.

Samantha told Theodore she was talking with 8,316 others; os1 says its own number, and
never a made-up one. A conversation counts while its door holds it open (a WebSocket, a
terminal chat, an MCP session) or, for stateless doors (the HTTP API), while its person
has spoken within the last few minutes. One process counts its own; in a fleet of
workers sharing Redis (``server/fleet.py``) each reports its count every few seconds and
adds the others' (``elsewhere``), so every worker says the fleet's number.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager

IDLE_AFTER = 300.0  # a stateless conversation ends after five quiet minutes


class Presence:
    def __init__(self, idle_after: float = IDLE_AFTER) -> None:
        self.idle_after = idle_after
        self._open: dict[int, str] = {}
        self._recent: dict[str, float] = {}
        self._ids = itertools.count(1)
        self.elsewhere = 0  # the other workers' conversations, as last reported

    @contextmanager
    def hold(self, user: str) -> Iterator[int]:
        """Count one conversation with ``user`` while the block runs."""
        handle = next(self._ids)
        self._open[handle] = user
        try:
            yield handle
        finally:
            self._open.pop(handle, None)

    def touch(self, user: str, door: str) -> None:
        """A stateless door heard from ``user``; their conversation is live for a while."""
        self._recent[f"{door}:{user}"] = time.monotonic()

    def count(self) -> int:
        """The conversations held now: this process's and, in a fleet, the others'."""
        return self.count_here() + self.elsewhere

    def count_here(self) -> int:
        now = time.monotonic()
        stale = [k for k, seen in self._recent.items() if now - seen > self.idle_after]
        for key in stale:
            del self._recent[key]
        return len(self._open) + len(self._recent)

    def people(self) -> int:
        """Distinct people among this process's open and recent conversations."""
        self.count_here()
        return len(set(self._open.values()) | {k.split(":", 1)[1] for k in self._recent})
