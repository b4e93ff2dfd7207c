"""What every store engine shares: people and their ids, the settings cache, and the
scoped ``UserStore`` they hand out. An engine (``store.sqlite``, ``store.postgres``) runs
the statements; ``execute``, ``read`` and ``transaction`` are its whole contract."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from os1.errors import StoreError
from os1.store.user import UserStore

T = TypeVar("T")


@dataclass(frozen=True)
class User:
    id: int
    name: str


def usable_user_name(name: str) -> str:
    """``name`` trimmed, if it can name a person.

    Raises:
        StoreError: it is empty, longer than 64 characters, or holds control characters.
    """
    clean = name.strip()
    if not clean or len(clean) > 64 or any(ord(c) < 32 for c in clean):
        raise StoreError(
            "user_invalid",
            f"{name!r} is not a usable user name.",
            "Use 1-64 printable characters, e.g. --user alice.",
        )
    return clean


class SettingsCache:
    """A person's settings, read once and kept for a few seconds.

    A turn reads several settings (the companion's name, onboarding progress, what to
    call the person); on a busy server each read was a trip to the store's thread. Writes
    in this process update the cache at once; the short lifetime bounds how stale a value
    written by another process (a CLI beside the server) can be.
    """

    TTL = 5.0

    def __init__(self) -> None:
        self._entries: dict[int, tuple[float, dict[str, str]]] = {}

    def get(self, user_id: int) -> dict[str, str] | None:
        entry = self._entries.get(user_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, user_id: int, values: dict[str, str]) -> None:
        if len(self._entries) > 50_000:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
        self._entries[user_id] = (time.monotonic() + self.TTL, values)

    def update(self, user_id: int, key: str, value: str) -> None:
        entry = self._entries.get(user_id)
        if entry is not None:
            entry[1][key] = value

    def drop(self, user_id: int) -> None:
        self._entries.pop(user_id, None)


class StoreBase(ABC):
    """A store engine's common part. ``data_folder`` holds a person's files beside the
    database (their own folder for the file tools, letters, scans)."""

    data_folder: Path

    def __init__(self) -> None:
        # a person's id never changes, so it is looked up once per process
        self._users: dict[str, User] = {}
        self.settings_cache = SettingsCache()

    @abstractmethod
    async def execute(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] = (),
        *,
        write: bool = False,
        person: int | None = None,
    ) -> list[Any]:
        """Run one statement: a write in its own transaction (``person`` as for
        ``transaction``), a read on a reader."""

    @abstractmethod
    async def check(self) -> str:
        """``"ok"``, or the first problem the engine finds with the store."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close every connection; the store refuses work afterwards."""

    @abstractmethod
    async def read(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(connection)`` for reading."""

    @abstractmethod
    async def transaction(self, fn: Callable[[Any], T], *, person: int | None = None) -> T:
        """Run ``fn(connection)`` inside one write transaction, as if no other ran
        meanwhile.

        ``person``: the one user whose rows alone ``fn`` changes. An engine may then run it
        beside other people's transactions (PostgreSQL does); without it, the transaction
        runs alone, as every write does on SQLite.
        """

    async def user(self, name: str, create: bool = True) -> UserStore:
        """The store scoped to the person called ``name`` (created on first use).

        Raises:
            StoreError: ``create`` is false and no such user exists, or the name is unusable.
        """
        clean = usable_user_name(name)
        if (known := self._users.get(clean)) is not None:
            return UserStore(self, known)
        rows = await self.execute("SELECT id, name FROM users WHERE name = ?", (clean,))
        if not rows:
            if not create:
                raise StoreError("user_unknown", f"There is no user called {clean!r}.")
            await self.execute(
                "INSERT OR IGNORE INTO users (name, created_at) VALUES (?, ?)",
                (clean, time.time()),
                write=True,
            )
            rows = await self.execute("SELECT id, name FROM users WHERE name = ?", (clean,))
        user = User(rows[0]["id"], rows[0]["name"])
        if len(self._users) > 100_000:
            self._users.clear()
        self._users[clean] = user
        return UserStore(self, user)

    def forget_user(self, name: str) -> None:
        """Drop what this process remembers of a deleted person."""
        user = self._users.pop(name.strip(), None)
        if user is not None:
            self.settings_cache.drop(user.id)
