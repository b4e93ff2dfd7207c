"""Introductions between people on the same os1, only with both people's consent.

How it goes, and what keeps it safe:

1. **Consent first.** A person opts in (``os1 people introduce-me on``) and chooses which
   fields of a small card others may see: their name, their city, their interests (the
   likes in their profile), a line about themselves, what they are looking for. The card
   is built when they opt in and shown to them as others will see it; nothing else of
   theirs is ever read for an introduction, so a match can reveal nothing they did not
   choose to share. Opting out withdraws every introduction not yet opened, on both sides.
2. **Proposals, to each person separately.** Two people who both opted in are proposed
   to each other when their shared cards meet (an interest in common, or what one is
   looking for among the other's interests), each with the reasons in words.
3. **Both yeses.** Only when both accept are they introduced: each side gets a thread
   in which the companion introduces the other (in code's words, the other's card
   quoted as data) and what either writes reaches the other. A decline is silent: the
   other's proposal simply stays unanswered.

The rows are one per side (``introductions``, ``introduction_lines``), each scoped to
its owner like every other row; only the steps that join two people (proposing, the
second yes, passing a line on) touch both sides, inside one transaction.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from os1.core.base import Core
from os1.errors import InputError
from os1.memory.profile import build_profile
from os1.persona.onboarding import person_name
from os1.stopwords import STOPWORDS
from os1.store import Scoped
from os1.store.driver import sqlite
from os1.turn.perceive import clean_input

__all__ = ["FIELDS", "Card", "Consent", "Introduction", "Introductions", "Line"]

FIELDS = ("name", "city", "interests", "about", "looking_for")
DEFAULT_FIELDS = ("name", "interests")
CONSENT = "introduce_me"  # the person's setting: {"on", "fields", "card"}
LONGEST = 300  # characters of "about" and "looking for"
LONGEST_LINE = 4_000  # characters of a line written to the other
MOST_INTERESTS = 12
NEW_AT_ONCE = 3  # proposals made at most per look


@dataclass(frozen=True)
class Card:
    """What one person agreed to show others: only the fields they chose."""

    name: str | None = None
    city: str | None = None
    interests: tuple[str, ...] = ()
    about: str | None = None
    looking_for: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "city": self.city, "interests": list(self.interests),
                "about": self.about, "looking_for": self.looking_for}  # fmt: skip

    @classmethod
    def from_dict(cls, raw: Any) -> Card:
        if not isinstance(raw, dict):
            return cls()
        text = {k: raw.get(k) if isinstance(raw.get(k), str) else None for k in FIELDS}
        likes = raw.get("interests")
        interests = tuple(str(x) for x in likes) if isinstance(likes, list) else ()
        return cls(text["name"], text["city"], interests, text["about"], text["looking_for"])

    def label(self) -> str:
        """How the other is called: their name if shared, else by what they shared."""
        if self.name:
            return self.name
        if self.interests:
            return f"someone who likes {self.interests[0]}"
        return f"someone from {self.city}" if self.city else "someone on this os1"


@dataclass(frozen=True)
class Consent:
    on: bool = False
    fields: tuple[str, ...] = DEFAULT_FIELDS
    card: Card = field(default_factory=Card)

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on, "fields": list(self.fields), "card": self.card.as_dict()}


@dataclass(frozen=True)
class Line:
    """One line of an opened introduction: from the companion, from me, or from them."""

    sender: str
    text: str
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {"sender": self.sender, "text": self.text, "at": self.at}


@dataclass(frozen=True)
class Introduction:
    """A proposal as one side sees it: the other's card and why, my answer (never
    theirs), and, once both said yes, the thread."""

    id: int
    other: Card
    reasons: tuple[str, ...]
    answer: str | None  # "yes", "no", or None (not yet)
    opened: bool
    created_at: float
    lines: tuple[Line, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "other": self.other.as_dict(), "label": self.other.label(),
            "reasons": list(self.reasons), "answer": self.answer, "opened": self.opened,
            "created_at": self.created_at, "lines": [x.as_dict() for x in self.lines],
        }  # fmt: skip


class Introductions:
    """Consent, proposals, answers and the threads of opened introductions."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def consent(self, user: str) -> Consent:
        """Whether ``user`` may be introduced, which fields, and the card others see."""
        store = await self.core.store(user)
        return _consent(await store.get_setting(CONSENT))

    async def set_consent(
        self,
        user: str,
        on: bool,
        fields: list[str] | None = None,
        about: str | None = None,
        looking_for: str | None = None,
    ) -> Consent:
        """Opt in (the card built now from the chosen fields) or out (every introduction
        not yet opened withdrawn, on both sides). A changed card withdraws them too: their
        reasons may quote what is no longer shared; the next look proposes them anew.

        Raises:
            InputError: ``introduce_field`` for a field that does not exist;
                ``introduce_too_long`` for an "about" or "looking for" over ``LONGEST``.
        """
        store = await self.core.store(user)
        before = _consent(await store.get_setting(CONSENT))
        chosen = tuple(dict.fromkeys(before.fields if fields is None else _fields(fields)))
        if not on:
            await self.core.db.transaction(lambda conn: _withdraw(conn, store.user.id))
            now = Consent(False, chosen, Card())
        else:
            old = before.card
            now = Consent(True, chosen, await self._card(
                user, chosen,
                _text(about, "about") if about is not None else old.about,
                _text(looking_for, "looking for") if looking_for is not None else old.looking_for,
            ))  # fmt: skip
            if before.on and now.card != before.card:  # proposals may quote the old card
                await self.core.db.transaction(lambda conn: _withdraw(conn, store.user.id))
        await store.set_setting(CONSENT, now.as_dict())
        return now

    async def proposals(self, user: str) -> list[Introduction]:
        """The person's introductions, newest first, opened ones with their threads; if
        they opted in, up to ``NEW_AT_ONCE`` new ones are proposed first, from the cards
        of others who did."""
        store = await self.core.store(user)
        mine = _consent(await store.get_setting(CONSENT))
        if mine.on:
            me, now = store.user.id, time.time()
            await self.core.db.transaction(lambda conn: _propose(conn, me, mine.card, now))
        rows, lines = await store.read(lambda db: (_rows(db), _lines(db)))
        return [_introduction(r, lines.get(int(r[0]), [])) for r in rows]

    async def show(self, user: str, number: int) -> Introduction:
        """One introduction, with its thread once opened (``not_found`` otherwise)."""
        store = await self.core.store(user)
        row, lines = await store.read(lambda db: (_one(db, number), _lines(db, number)))
        return _introduction(row, lines.get(number, []))

    async def answer(self, user: str, number: int, yes: bool) -> Introduction:
        """Say yes or no to an introduction; with both yeses, it opens on both sides.
        An answer given stands (asking again changes nothing)."""
        store = await self.core.store(user)
        consent = _consent(await store.get_setting(CONSENT))
        if yes and not consent.on:
            raise InputError(
                "introduce_off",
                "You are not open to introductions right now.",
                "Turn them on first: os1 people introduce-me on",
            )
        me, now = store.user.id, time.time()
        await self.core.db.transaction(lambda conn: _answer(conn, me, number, yes, now))
        return await self.show(user, number)

    async def write(self, user: str, number: int, text: str) -> Line:
        """Write to the other person of an opened introduction: the line goes into both
        threads.

        Raises:
            InputError: ``not_found`` for no such introduction; ``introduce_not_open``
                before both said yes; ``introduce_empty`` / ``introduce_too_long``.
        """
        words = clean_input(text).strip()
        if not words:
            raise InputError("introduce_empty", "There is nothing to send.", "Write a line.")
        if len(words) > LONGEST_LINE:
            raise InputError(
                "introduce_too_long",
                f"That is {len(words):,} characters; a line holds at most {LONGEST_LINE:,}.",
                "Send it in shorter parts.",
            )
        store = await self.core.store(user)
        me, now = store.user.id, time.time()
        await self.core.db.transaction(lambda conn: _write(conn, me, number, words, now))
        return Line("me", words, now)

    async def _card(self, user: str, fields: tuple[str, ...], about: str | None,
                    looking_for: str | None) -> Card:  # fmt: skip
        """The card of the chosen fields, from the person's profile and own words."""
        store = await self.core.store(user)
        name = await person_name(store)
        profile = await build_profile(store, person=name)
        city = next((x.text for x in profile.who if _is_home(x.text)), None)
        likes = tuple(dict.fromkeys(_liked(x.text) for x in profile.likes))[:MOST_INTERESTS]
        return Card(
            name if "name" in fields else None,
            _place(city) if city and "city" in fields else None,
            likes if "interests" in fields else (),
            about if "about" in fields else None,
            looking_for if "looking_for" in fields else None,
        )


def _consent(raw: Any) -> Consent:
    if not isinstance(raw, dict):
        return Consent()
    listed = raw.get("fields")
    fields = tuple(f for f in listed if f in FIELDS) if isinstance(listed, list) else DEFAULT_FIELDS
    return Consent(raw.get("on") is True, fields, Card.from_dict(raw.get("card")))


def _fields(asked: list[str]) -> list[str]:
    out = []
    for raw in asked:
        name = raw.strip().lower().replace("-", "_").replace(" ", "_")
        if name not in FIELDS:
            raise InputError(
                "introduce_field",
                f"There is no field called {raw!r} to share.",
                f"Choose from: {', '.join(FIELDS)}.",
            )
        out.append(name)
    return out


def _text(value: str, what: str) -> str | None:
    words = " ".join(clean_input(value).split())
    if len(words) > LONGEST:
        raise InputError(
            "introduce_too_long",
            f"The {what} line is {len(words)} characters; it holds at most {LONGEST}.",
            "Say it in a sentence or two.",
        )
    return words or None


_HOME = re.compile(r"\blives? in (.+?)\.?$", re.IGNORECASE)


def _is_home(text: str) -> bool:
    return _HOME.search(text) is not None


def _place(text: str) -> str | None:
    found = _HOME.search(text)
    return found.group(1).strip() if found else None


def _liked(text: str) -> str:
    """ "Ada likes sailing." -> "sailing": the thing liked, as the profile line says it."""
    found = re.search(r"\b(?:likes?|loves?|enjoys?|is into)\s+(.+?)\.?$", text, re.IGNORECASE)
    return (found.group(1) if found else text).strip().rstrip(".").lower()


def _words(text: str | None) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", (text or "").lower()) if w not in STOPWORDS}


def _reasons(mine: Card, theirs: Card) -> list[str]:
    """Why two cards meet, told to the holder of ``mine``, from shared fields only."""
    reasons = []
    common = sorted(set(mine.interests) & set(theirs.interests))
    if common:
        reasons.append(f"you both like {', '.join(common[:3])}")
    liked = {w for x in theirs.interests for w in _words(x)}
    wanted = sorted(_words(mine.looking_for) & liked)
    if wanted:
        reasons.append(f"you are looking for “{mine.looking_for}”, and {theirs.label()} "
                       f"likes {wanted[0]}")  # fmt: skip
    offered = sorted(_words(theirs.looking_for) & {w for x in mine.interests for w in _words(x)})
    if offered:
        reasons.append(f"{theirs.label()} is looking for “{theirs.looking_for}”, and you "
                       f"like {offered[0]}")  # fmt: skip
    return reasons


def _not_found(number: int) -> InputError:
    return InputError(
        "not_found", f"There is no introduction {number}.",
        "See yours with: os1 people introductions",
    )  # fmt: skip


def _opted_in(conn: sqlite.Connection) -> dict[int, Card]:
    """The cards of everyone open to introductions, by user id (accounts not disabled)."""
    rows = conn.execute(
        "SELECT s.user_id, s.value FROM settings s JOIN users u ON u.id = s.user_id"
        " WHERE s.key = ? AND u.disabled = 0",
        (CONSENT,),
    )
    cards = {}
    for user_id, value in rows:
        try:
            consent = _consent(json.loads(value))
        except ValueError:
            continue
        if consent.on:
            cards[int(user_id)] = consent.card
    return cards


def _propose(conn: sqlite.Connection, me: int, mine: Card, now: float) -> None:
    cards = _opted_in(conn)
    if me not in cards:
        return
    known = {r[0] for r in conn.execute(
        "SELECT other_id FROM introductions WHERE user_id = ?"
        " UNION SELECT user_id FROM introductions WHERE other_id = ?", (me, me),
    )}  # fmt: skip
    scored = []
    for other, theirs in cards.items():
        if other == me or other in known:
            continue
        mine_why, their_why = _reasons(mine, theirs), _reasons(theirs, mine)
        if mine_why and their_why:
            scored.append((-(len(mine_why) + len(their_why)), other, theirs, mine_why, their_why))
    scored.sort(key=lambda found: (found[0], found[1]))  # most reasons first, then oldest
    for _, other, theirs, mine_why, their_why in scored[:NEW_AT_ONCE]:
        sides = ((me, other, theirs, mine_why), (other, me, mine, their_why))
        for owner, about, card, why in sides:
            conn.execute(
                "INSERT OR IGNORE INTO introductions (user_id, other_id, card, reasons,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (owner, about, json.dumps(card.as_dict()), json.dumps(why), now),
            )


def _withdraw(conn: sqlite.Connection, me: int) -> None:
    """Consent withdrawn: every introduction of theirs not yet opened goes, both sides."""
    conn.execute(
        "DELETE FROM introductions WHERE opened_at IS NULL AND (user_id = ? OR other_id = ?)",
        (me, me),
    )


def _own_row(conn: sqlite.Connection, me: int, number: int) -> sqlite.Row:
    """The person's own side of introduction ``number``: other_id, answer, card,
    opened_at. Raises the not-found error a door shows."""
    row = conn.execute(
        "SELECT other_id, answer, card, opened_at FROM introductions WHERE id = ? AND user_id = ?",
        (number, me),
    ).fetchone()
    if row is None:
        raise _not_found(number)
    return row


def _answer(conn: sqlite.Connection, me: int, number: int, yes: bool, now: float) -> None:
    row = _own_row(conn, me, number)
    other, answered, card = int(row[0]), row[1], Card.from_dict(json.loads(row[2]))
    if answered is not None:
        return  # an answer given stands
    conn.execute(
        "UPDATE introductions SET answer = ? WHERE id = ? AND user_id = ?",
        ("yes" if yes else "no", number, me),
    )
    theirs = conn.execute(
        "SELECT id, answer, card FROM introductions WHERE user_id = ? AND other_id = ?",
        (other, me),
    ).fetchone()
    if not yes or theirs is None or theirs[1] != "yes":
        return  # a no, or waiting for theirs: nothing shows on the other side
    their_card = Card.from_dict(json.loads(theirs[2]))  # what I shared, as they see it
    sides = ((me, number, card, their_card), (other, int(theirs[0]), their_card, card))
    for owner, intro, other_card, mine_card in sides:
        conn.execute(
            "UPDATE introductions SET opened_at = ? WHERE id = ? AND user_id = ?",
            (now, intro, owner),
        )
        conn.execute(
            "INSERT INTO introduction_lines (user_id, introduction_id, sender, text, created_at)"
            " VALUES (?, ?, 'companion', ?, ?)",
            (owner, intro, _introducing(other_card, mine_card), now),
        )


def _introducing(other: Card, shown: Card) -> str:
    """The companion's introduction, in code's words: the other's card quoted as data."""
    parts = [f"{other.label()} said yes too, so let me introduce you."]
    shared = []
    if other.name:
        shared.append(f"name “{other.name}”")
    if other.city:
        shared.append(f"city “{other.city}”")
    if other.interests:
        shared.append("interests " + ", ".join(f"“{x}”" for x in other.interests))
    if other.about:
        shared.append(f"about themselves “{other.about}”")
    if other.looking_for:
        shared.append(f"looking for “{other.looking_for}”")
    if shared:
        parts.append("What they chose to share: " + "; ".join(shared) + ".")
    parts.append(f"They see you as {shown.label()}, with only what you chose to share. "
                 "What you write here reaches them, and nothing else of yours does.")  # fmt: skip
    return " ".join(parts)


def _write(conn: sqlite.Connection, me: int, number: int, text: str, now: float) -> None:
    row = _own_row(conn, me, number)
    theirs = conn.execute(
        "SELECT id FROM introductions WHERE user_id = ? AND other_id = ? AND opened_at IS NOT NULL",
        (row[0], me),
    ).fetchone()
    if row[3] is None or theirs is None:
        raise InputError("introduce_not_open", "This introduction is not open yet.",
                         "You can write once you have both said yes.")  # fmt: skip
    for owner, intro, sender in ((me, number, "me"), (int(row[0]), int(theirs[0]), "them")):
        conn.execute(
            "INSERT INTO introduction_lines (user_id, introduction_id, sender, text, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (owner, intro, sender, text, now),
        )


_COLUMNS = "id, card, reasons, answer, opened_at, created_at"


def _rows(db: Scoped, number: int | None = None) -> list[Any]:
    """The person's introductions, newest first, or the one numbered ``number``."""
    one = "" if number is None else " AND id = :id"
    return db.execute(
        f"SELECT {_COLUMNS} FROM introductions WHERE user_id = :user_id{one} ORDER BY id DESC",
        {"id": number},
    )


def _one(db: Scoped, number: int) -> Any:
    rows = _rows(db, number)
    if not rows:
        raise _not_found(number)
    return rows[0]


def _lines(db: Scoped, number: int | None = None) -> dict[int, list[Line]]:
    """The threads of the person's introductions (or of the one numbered ``number``)."""
    one = "" if number is None else " AND introduction_id = :id"
    rows = db.execute(
        "SELECT introduction_id, sender, text, created_at FROM introduction_lines"
        f" WHERE user_id = :user_id{one} ORDER BY id",
        {"id": number},
    )
    out: dict[int, list[Line]] = {}
    for intro, sender, text, at in rows:
        out.setdefault(int(intro), []).append(Line(str(sender), str(text), float(at)))
    return out


def _introduction(row: Any, lines: list[Line] | None = None) -> Introduction:
    reasons = json.loads(row[2])
    return Introduction(
        int(row[0]), Card.from_dict(json.loads(row[1])),
        tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
        row[3], row[4] is not None, float(row[5]), tuple(lines or ()),
    )  # fmt: skip
