"""Whether what a live connection was opened with still stands.

A socket or an MCP session is opened once, with an API key or a web sign-in, and may
then live for hours. It may go on speaking for its account only while that account is
the same person (the same id, name and creation time: a name deleted and given to
someone new is a new person), is enabled, and the credential it was opened with is
neither revoked nor signed out nor expired.

``lapsed`` answers that for any number of connections at once, fresh from the store
(never from a cache, since another process such as ``os1 users`` may have made the
change): a few indexed lookups per 500 connections, all in one hop to a reader thread,
which is what lets the server re-check ten thousand idle sockets every few seconds for
almost nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from os1.store.accounts import Account, digest
from os1.store.base import StoreBase
from os1.store.driver import sqlite

CHUNK = 500  # values per IN (...): well under SQLite's oldest limit on parameters


@dataclass(frozen=True)
class Credential:
    """What a connection was opened with: an API key or a web session, by digest only."""

    kind: Literal["key", "session"]
    digest: str

    @classmethod
    def key(cls, key: str) -> Credential:
        return cls("key", digest(key))

    @classmethod
    def session(cls, token: str) -> Credential:
        return cls("session", digest(token))


class Holder(Protocol):
    """Anything live that speaks for an account; ``credential`` is ``None`` when only the
    account itself is to be checked."""

    @property
    def account(self) -> Account: ...

    @property
    def credential(self) -> Credential | None: ...


H = TypeVar("H", bound=Holder)


async def lapsed(db: StoreBase, holders: Sequence[H]) -> list[H]:
    """The holders whose account or credential no longer stands, in their order."""
    if not holders:
        return []
    now = time.time()

    def check(conn: sqlite.Connection) -> list[H]:
        people = {
            row[0]: (row[1], row[2])
            for row in _rows_in(
                conn,
                "SELECT id, name, created_at FROM users WHERE disabled = 0 AND id IN ({})",
                sorted({h.account.id for h in holders}),
            )
        }
        keys = _owners(
            conn,
            holders,
            "key",
            "SELECT key_hash, user_id FROM api_keys WHERE revoked = 0 AND key_hash IN ({})",
        )
        sessions = _owners(
            conn,
            holders,
            "session",
            "SELECT token_hash, user_id FROM sessions"
            " WHERE kind = 'web' AND expires_at > ? AND token_hash IN ({})",
            now,
        )
        return [h for h in holders if not _stands(h, people, keys, sessions)]

    return await db.read(check)


def _stands(
    holder: Holder,
    people: dict[int, tuple[str, float]],
    keys: dict[str, int],
    sessions: dict[str, int],
) -> bool:
    account, credential = holder.account, holder.credential
    if people.get(account.id) != (account.name, account.created_at):
        return False
    if credential is None:
        return True
    owners = keys if credential.kind == "key" else sessions
    return owners.get(credential.digest) == account.id


def _owners(
    conn: sqlite.Connection,
    holders: Sequence[Holder],
    kind: str,
    sql: str,
    *first: Any,
) -> dict[str, int]:
    """Digest -> account id, for the credentials of ``kind`` that still stand."""
    wanted = sorted(
        {c.digest for h in holders if (c := h.credential) is not None and c.kind == kind}
    )
    return {row[0]: row[1] for row in _rows_in(conn, sql, wanted, *first)}


def _rows_in(
    conn: sqlite.Connection, sql: str, values: Sequence[Any], *first: Any
) -> Iterator[sqlite.Row]:
    """``sql`` with its ``IN ({})`` filled, run once per ``CHUNK`` of ``values``."""
    for start in range(0, len(values), CHUNK):
        part = values[start : start + CHUNK]
        yield from conn.execute(sql.format(",".join("?" * len(part))), (*first, *part))
