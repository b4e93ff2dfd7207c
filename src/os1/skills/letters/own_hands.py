"""A person's own hands: fonts learned from their writing on the template, kept in their
store (the font's bytes, a few tens of kilobytes) so that every door and every worker
draws with them, and so that they go when the person goes.

Learning reads the scan (``scan``), builds the font (``handfont``) and keeps it under a
name of the person's choosing; learning again under the same name replaces the hand.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from os1.errors import LetterError
from os1.skills.letters.hands import KNOWN, Hand, load_hand, own_hand
from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements
from os1.store.user import Scoped

if TYPE_CHECKING:  # reading a scan needs OpenCV, loaded only when a hand is learned
    from os1.skills.letters.scan import Scanned

DEFAULT_NAME = "mine"
MAX_SCAN_BYTES = 40 * 1024 * 1024  # a picture larger than this is not a scan of one page
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


def _hands(conn: sqlite.Connection) -> None:
    run_statements(
        conn,
        """
        CREATE TABLE letter_hands (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            font BLOB NOT NULL,
            characters INTEGER NOT NULL,
            forms INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX letter_hands_name ON letter_hands(user_id, name);
        """,
    )


MIGRATIONS: list[Migration] = [("letters_0002_own_hands", _hands)]


def check_scan_size(size: int, what: str = "The scan") -> None:
    """A clear error for a picture of ``size`` bytes too large to be a scan of one page."""
    if size > MAX_SCAN_BYTES:
        raise LetterError(
            "scan_too_large",
            f"{what} is {size / 1e6:.0f} MB; os1 reads pictures up to"
            f" {MAX_SCAN_BYTES // 2**20} MB.",
            "Save it as a JPEG, or at a lower resolution (300 dpi is plenty).",
        )


@dataclass(frozen=True)
class Learned:
    """A hand learned from a scan: its name, what it can write, and what the reading did
    on the way (turned the page, left boxes blank)."""

    name: str
    characters: int  # distinct characters
    forms: int  # glyphs drawn, alternates included
    empty: list[str]
    notes: list[str]
    replaced: bool


def hand_name(name: str) -> str:
    """``name`` as a hand's name (lower case); a clear error for one that cannot be."""
    key = name.strip().lower()
    if not _NAME.fullmatch(key):
        raise LetterError(
            "hand_name",
            f"'{name}' cannot name a hand.",
            "Use up to 32 letters, digits and dashes, e.g. `--name mine`.",
        )
    if key in KNOWN:
        raise LetterError(
            "hand_name", f"'{key}' is the name of a packaged hand.", "Choose another name."
        )
    return key


def _learn(data: bytes, name: str) -> tuple[bytes, Scanned]:
    # OpenCV loads only when a hand is learned, not for every letter drawn
    from os1.skills.letters.handfont import build_font
    from os1.skills.letters.scan import read_scan

    scanned = read_scan(data)
    return build_font(name, scanned.cells), scanned


async def learn(store: UserStore, data: bytes, name: str = DEFAULT_NAME) -> Learned:
    """The hand written on the template in ``data`` (a PNG or JPEG), kept as ``name``.

    Raises:
        LetterError: a bad name, or a picture that cannot be read as a filled template
            (unreadable, too dark, no grid, nothing written); nothing is kept then.
    """
    key = hand_name(name)
    font, scanned = await asyncio.to_thread(_learn, data, key)
    characters, forms = len({c.char for c in scanned.cells}), len(scanned.cells)
    own_hand(key, font)  # the new font opens, or nothing is kept

    def write(db: Scoped) -> bool:
        replaced = bool(
            db.execute(
                "DELETE FROM letter_hands WHERE user_id = :user_id AND name = :n RETURNING id",
                {"n": key},
            )
        )
        db.execute(
            "INSERT INTO letter_hands (user_id, name, font, characters, forms, created_at)"
            " VALUES (:user_id, :n, :font, :chars, :forms, :at)",
            {"n": key, "font": font, "chars": characters, "forms": forms, "at": time.time()},
        )
        return replaced

    replaced = await store.transaction(write)
    return Learned(key, characters, forms, scanned.empty, scanned.notes, replaced)


async def listed(store: UserStore) -> list[tuple[str, int]]:
    """The person's own hands and how many characters each can write, by name."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT name, characters FROM letter_hands WHERE user_id = :user_id ORDER BY name"
        )
    )
    return [(str(r[0]), int(r[1])) for r in rows]


async def forget(store: UserStore, name: str) -> bool:
    """Remove the person's hand ``name``; False if they have none by that name."""
    rows = await store.transaction(
        lambda db: db.execute(
            "DELETE FROM letter_hands WHERE user_id = :user_id AND name = :n RETURNING id",
            {"n": name.strip().lower()},
        )
    )
    return bool(rows)


async def open_hand(store: UserStore, name: str) -> Hand:
    """The hand called ``name``: a packaged one, else the person's own.

    Raises:
        LetterError: no hand by that name (the message lists the ones there are).
    """
    key = name.strip().lower()
    if key in KNOWN:
        return load_hand(key)
    rows = await store.read(
        lambda db: db.execute(
            "SELECT font FROM letter_hands WHERE user_id = :user_id AND name = :n", {"n": key}
        )
    )
    if not rows:
        own = [n for n, _ in await listed(store)]
        known = ", ".join(sorted(KNOWN) + own)
        raise LetterError(
            "hand_unknown",
            f"There is no hand called '{name}'.",
            f"Hands: {known}. Learn your own with `os1 letters hand-learn`.",
        )
    return own_hand(key, bytes(rows[0][0]))
