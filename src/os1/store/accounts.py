"""Accounts: who may talk to a shared os1, and how they prove it.

A person signs in with an API key (``os1_…``, 256 random bits) or a password. Keys are
stored as SHA-256 digests: they are random, so a fast hash is as good as a slow one and
lets a request be checked in microseconds. Passwords are people-chosen, so they get
scrypt with a per-password salt (stdlib, memory-hard), verified off the event loop. Web
sessions and one-time sign-in codes are random tokens, likewise stored only as digests,
so a copy of the database signs nobody in.

This is administration, not a person's data, so it works on ``Database`` directly rather
than through a ``UserStore``; deleting an account removes every row that carries its
``user_id``, in every table, vector indexes included.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from os1.errors import InputError, StoreError
from os1.store.base import StoreBase, usable_user_name
from os1.store.dialect import is_postgres
from os1.store.driver import sqlite

KEY_PREFIX = "os1_"
FILES_ANYWHERE = "*"  # every file the server process can reach: the owner's (skills.reach)
SessionKind = Literal["web", "signin"]
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_CACHE_SECONDS = 10.0  # a disabled or deleted account is dropped at once in this process
EndListener = Callable[[int], Awaitable[None]]  # told an account id whose access narrowed


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    is_admin: bool = False
    disabled: bool = False
    created_at: float = 0.0
    has_password: bool = False
    keys: int = 0
    files: str = ""  # file reach: "" own folder, "*" anywhere, else one folder

    @property
    def files_in_words(self) -> str:
        if self.files == FILES_ANYWHERE:
            return "anywhere"
        return self.files or "own folder"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(derived).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = hashlib.scrypt(
            password.encode("utf-8", "replace"), salt=base64.b64decode(salt), dklen=32, **_SCRYPT
        )
        return hmac.compare_digest(derived, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


def _account(row: sqlite.Row) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        is_admin=bool(row["is_admin"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        has_password=bool(row["password_hash"]),
        keys=row["keys"],
        files=row["files"],
    )


_SELECT = (
    "SELECT u.id, u.name, u.is_admin, u.disabled, u.created_at, u.password_hash, u.files,"
    " (SELECT count(*) FROM api_keys k WHERE k.user_id = u.id AND k.revoked = 0) AS keys"
    " FROM users u"
)


def _check_password_rules(password: str) -> None:
    if len(password) < 8 or len(password) > 1024:
        raise InputError(
            "password_invalid",
            "A password must be 8 to 1,024 characters long.",
            "Choose a longer password, or sign in with an API key instead.",
        )


class Accounts:
    """Create, check, disable and delete accounts in ``db``."""

    def __init__(self, db: StoreBase) -> None:
        self.db = db
        self._by_key: dict[str, tuple[Account, float]] = {}
        self._on_end: list[EndListener] = []

    def on_end(self, listener: EndListener) -> None:
        """Have ``listener(account_id)`` called after every change in this process that
        may end what is open for an account: disabling, revoking its keys, a new
        password, signing out, deleting. The server closes that person's sockets and
        sessions there; a change made by another process is found by its re-checks."""
        self._on_end.append(listener)

    async def _ended(self, account_id: int) -> None:
        self._by_key.clear()
        for listener in self._on_end:
            await listener(account_id)

    def drop_cached(self) -> None:
        """Forget the keys checked lately (someone found an account changed elsewhere)."""
        self._by_key.clear()

    async def get(self, name: str) -> Account:
        rows = await self.db.execute(f"{_SELECT} WHERE u.name = ?", (name.strip(),))
        if not rows:
            raise StoreError(
                "user_unknown", f"There is no user called {name!r}.", "See `os1 users list`."
            )
        return _account(rows[0])

    async def everyone(self) -> list[Account]:
        return [_account(r) for r in await self.db.execute(f"{_SELECT} ORDER BY u.name")]

    async def add(
        self, name: str, *, password: str | None = None, admin: bool = False
    ) -> tuple[Account, str]:
        """A new account and its first API key (shown once; only its digest is kept).

        An existing name is taken over only if nobody can sign in to it yet (the local
        person who has been chatting in the terminal before the server was set up).

        Raises:
            StoreError: the name is taken or unusable.
            InputError: the password is too short or too long.
        """
        if password is not None:
            _check_password_rules(password)
        store = await self.db.user(name)  # validates and creates the name
        current = await self.get(store.user.name)
        if current.has_password or current.keys:
            raise StoreError(
                "user_exists",
                f"There is already a user called {current.name!r}.",
                f"Choose another name, or make a new key with `os1 users key {current.name}`.",
            )
        hashed = await asyncio.to_thread(hash_password, password) if password else ""
        await self.db.execute(
            "UPDATE users SET password_hash = ?, is_admin = ? WHERE id = ?",
            (hashed, int(admin), current.id),
            write=True,
        )
        key = await self.new_key(current.name)
        return await self.get(current.name), key

    async def add_many(self, names: list[str]) -> list[tuple[Account, str]]:
        """New accounts (no password, not admins) with one API key each, in order.

        One transaction for all of them: ``add`` costs a few fsync'd writes per person,
        which makes seeding thousands of people (a benchmark, an import) take minutes.
        The same takeover rule as ``add`` applies; if any name fails, none is added.

        Raises:
            StoreError: a name is unusable, repeated, or taken.
        """
        clean = [usable_user_name(name) for name in names]
        if len(set(clean)) != len(clean):
            raise StoreError("user_exists", "The same name is given twice.", "Give each once.")
        keys = [KEY_PREFIX + secrets.token_urlsafe(32) for _ in clean]

        def insert(conn: sqlite.Connection) -> list[int]:
            now, ids = time.time(), []
            for name, key in zip(clean, keys, strict=True):
                conn.execute(
                    "INSERT OR IGNORE INTO users (name, created_at) VALUES (?, ?)", (name, now)
                )
                row = conn.execute(f"{_SELECT} WHERE u.name = ?", (name,)).fetchone()
                if row["password_hash"] or row["keys"]:
                    raise StoreError(
                        "user_exists",
                        f"There is already a user called {name!r}.",
                        "Choose another name; nobody was added.",
                    )
                conn.execute(
                    "INSERT INTO api_keys (user_id, key_hash, prefix, label, created_at)"
                    " VALUES (?, ?, ?, '', ?)",
                    (row["id"], digest(key), key[:10], now),
                )
                ids.append(row["id"])
            return ids

        ids = await self.db.transaction(insert)
        found = {
            row["id"]: _account(row)
            for start in range(0, len(ids), 500)  # SQLite caps the number of parameters
            for row in await self.db.execute(
                f"{_SELECT} WHERE u.id IN ({','.join('?' * len(ids[start : start + 500]))})",
                ids[start : start + 500],
            )
        }
        return [(found[i], key) for i, key in zip(ids, keys, strict=True)]

    async def new_key(self, name: str, label: str = "") -> str:
        account = await self.get(name)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        await self.db.execute(
            "INSERT INTO api_keys (user_id, key_hash, prefix, label, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (account.id, digest(key), key[:10], label, time.time()),
            write=True,
        )
        return key

    async def revoke_keys(self, name: str) -> int:
        account = await self.get(name)
        rows = await self.db.execute(
            "UPDATE api_keys SET revoked = 1 WHERE user_id = ? AND revoked = 0 RETURNING id",
            (account.id,),
            write=True,
        )
        await self._ended(account.id)
        return len(rows)

    async def set_password(self, name: str, password: str) -> None:
        """A new password; every web sign-in made with the old one ends."""
        _check_password_rules(password)
        account = await self.get(name)
        hashed = await asyncio.to_thread(hash_password, password)

        def change(conn: sqlite.Connection) -> None:
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hashed, account.id))
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (account.id,))

        await self.db.transaction(change)
        await self._ended(account.id)

    async def set_disabled(self, name: str, disabled: bool) -> Account:
        account = await self.get(name)
        await self.db.execute(
            "UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), account.id), write=True
        )
        if disabled:
            await self.db.execute(
                "DELETE FROM sessions WHERE user_id = ?", (account.id,), write=True
            )
            await self._ended(account.id)
        self._by_key.clear()
        return await self.get(name)

    async def set_admin(self, name: str, admin: bool) -> Account:
        account = await self.get(name)
        await self.db.execute(
            "UPDATE users SET is_admin = ? WHERE id = ?", (int(admin), account.id), write=True
        )
        self._by_key.clear()
        return await self.get(name)

    async def set_files(self, name: str, files: str) -> Account:
        """Which of the server's files NAME's tools may reach: ``""`` their own folder
        under os1's data (uploads), ``"*"`` anywhere (the owner), or one folder.

        Raises:
            InputError: the folder is not usable: not an absolute, existing folder, part
                of the operating system, or holding (or inside) os1's own data.
        """
        account = await self.get(name)
        value = files if files in ("", FILES_ANYWHERE) else _grantable(files, self.db.data_folder)
        await self.db.execute(
            "UPDATE users SET files = ? WHERE id = ?", (value, account.id), write=True
        )
        self._by_key.clear()
        return await self.get(name)

    async def delete(self, name: str) -> Account:
        """Remove the account and every row of its data, in one transaction, then its
        folders in os1's data (uploads, skills' files, kept recordings).

        Where someone listens (the server), the account is disabled and what is open for
        it ended first, so no turn of it is still writing when its rows go."""
        account = await self.get(name)
        if self._on_end:
            await self.db.execute(
                "UPDATE users SET disabled = 1 WHERE id = ?", (account.id,), write=True
            )
            await self._ended(account.id)
        await self.db.transaction(lambda conn: _delete_everything(conn, account.id))
        await asyncio.to_thread(_delete_folders, self.db.data_folder, account.id)
        self.db.forget_user(account.name)
        self._by_key.clear()
        return account

    async def by_key(self, key: str) -> Account | None:
        """The enabled account this API key belongs to, or ``None``."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        hashed = digest(key)
        cached = self._by_key.get(hashed)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        rows = await self.db.execute(
            f"{_SELECT} JOIN api_keys k2 ON k2.user_id = u.id"
            " WHERE k2.key_hash = ? AND k2.revoked = 0 AND u.disabled = 0",
            (hashed,),
        )
        if not rows:
            return None
        account = await self._current(_account(rows[0]))
        if len(self._by_key) > 100_000:
            self._by_key.clear()
        self._by_key[hashed] = (account, time.monotonic() + _CACHE_SECONDS)
        return account

    async def by_password(self, name: str, password: str) -> Account | None:
        rows = await self.db.execute(f"{_SELECT} WHERE u.name = ?", (name.strip(),))
        if not rows or not rows[0]["password_hash"] or rows[0]["disabled"]:
            # same work either way, so timing does not tell which names exist
            await asyncio.to_thread(check_password, password, hash_password("x"))
            return None
        ok = await asyncio.to_thread(check_password, password, rows[0]["password_hash"])
        return await self._current(_account(rows[0])) if ok else None

    async def _current(self, account: Account) -> Account:
        """``account``, just signed in, after making sure this process's store resolves
        its name to it: ``Database.user`` keeps name -> id for the process's life, and
        another process (``os1 users``) may have deleted the name and given it to
        someone new, whose id is new (ids are never reused)."""
        try:
            known = await self.db.user(account.name, create=False)
        except StoreError:  # deleted this very moment
            known = None
        if known is None or known.user.id != account.id:
            self.db.forget_user(account.name)
        return account

    async def start_session(self, account: Account, kind: SessionKind, ttl: float) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        await self.db.execute(
            "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (digest(token), account.id, kind, now, now + ttl),
            write=True,
        )
        return token

    async def by_session(self, token: str, kind: SessionKind = "web") -> Account | None:
        if not token or len(token) > 200:
            return None
        rows = await self.db.execute(
            f"{_SELECT} JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = ?"
            " AND s.kind = ? AND s.expires_at > ? AND u.disabled = 0",
            (digest(token), kind, time.time()),
        )
        return await self._current(_account(rows[0])) if rows else None

    async def redeem_signin(self, code: str) -> Account | None:
        """Use a one-time sign-in code: it works once, then never again."""
        account = await self.by_session(code, "signin")
        if account is not None:
            gone = await self.db.execute(
                "DELETE FROM sessions WHERE token_hash = ? AND kind = 'signin' RETURNING 1",
                (digest(code),),
                write=True,
            )
            if not gone:  # someone else redeemed it a moment earlier
                return None
        return account

    async def end_session(self, token: str) -> None:
        ended = await self.db.execute(
            "DELETE FROM sessions WHERE token_hash = ? RETURNING user_id",
            (digest(token),),
            write=True,
        )
        if ended:
            await self._ended(int(ended[0][0]))

    async def ensure_owner(self, name: str) -> Account:
        """The local owner of a personal install: an admin account called ``name``."""
        await self.db.user(name)
        account = await self.get(name)
        if not account.is_admin:  # made the owner once; an admin may narrow it later
            await self.set_files(name, FILES_ANYWHERE)
            account = await self.set_admin(name, True)
        return account


# folders whose whole or parts are never given to a person: the system's own
_SYSTEM = ("/proc", "/sys", "/dev", "/etc", "/boot", "/run")
_TOO_WIDE = ("/", "/usr", "/var", "/home", "/root", "/srv", "/opt", "/tmp", "/mnt", "/media")


def _grantable(folder: str, data: Path) -> str:
    """``folder`` as a real path, if it may be a person's own."""
    if not os.path.isabs(folder):
        raise InputError(
            "files_not_absolute",
            f"{folder!r} is not an absolute path.",
            "Give e.g. /srv/os1/alice.",
        )
    real = os.path.realpath(folder)
    if not os.path.isdir(real):
        raise InputError(
            "files_not_folder", f"There is no folder {folder}.", "Create it first, then grant it."
        )
    inside = any(real == top or real.startswith(top + "/") for top in _SYSTEM)
    if inside or real in _TOO_WIDE:
        raise InputError(
            "files_system",
            f"{real} belongs to the system or spans everyone's files; it cannot be given.",
            "Give a folder of the person's own, e.g. /srv/os1/alice.",
        )
    home = os.path.realpath(data)
    if home == real or home.startswith(real + "/") or real.startswith(home + "/"):
        raise InputError(
            "files_os1_data",
            f"{real} holds os1's own data (every person's conversations and secrets).",
            "Give a folder outside os1's data folder.",
        )
    return real


# os1's per-person folders in its data folder, each named by the person's id (never
# reused, so a newcomer of the same name finds nothing of theirs)
PERSON_FOLDERS = ("files", "skills", "recordings", "library")


def _delete_folders(home: Path, user_id: int) -> None:
    for kind in PERSON_FOLDERS:
        shutil.rmtree(home / kind / str(user_id), ignore_errors=True)


def _delete_everything(conn: sqlite.Connection, user_id: int) -> None:
    """Delete every row carrying ``user_id``: ordinary tables (their delete triggers keep
    the text indexes in step), then vec0 indexes, then the account itself. On
    PostgreSQL the text indexes are the tables' own columns, and there is no vec0."""
    if is_postgres(conn):
        tables = conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'user_id'"
            " AND table_schema = current_schema() AND table_name != 'users' ORDER BY 1"
        )
        for (table,) in tables:
            conn.execute(f'DELETE FROM "{table}" WHERE user_id = ?', (user_id,))
        conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return
    virtual = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
    ]
    shadows = tuple(f"{name}_" for name in virtual)  # the virtual tables' own storage
    tables = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if row[0] != "users" and row[0] not in virtual and not row[0].startswith(shadows)
    ]
    for table in tables:
        columns = {c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')}
        if "user_id" in columns:
            conn.execute(f'DELETE FROM "{table}" WHERE user_id = ?', (user_id,))
    for table in virtual:
        if "USING vec0" not in _sql(conn, table):
            continue  # text indexes follow their tables through triggers
        conn.execute(f'DELETE FROM "{table}" WHERE user_id = ?', (user_id,))
    conn.execute("DELETE FROM users WHERE id = ?", (user_id,))


def _sql(conn: sqlite.Connection, table: str) -> str:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return str(row[0]) if row else ""
