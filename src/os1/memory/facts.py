"""Durable facts about a person and the people in their life, each with its evidence.

A fact fills a slot, ``(subject, attribute)``: ``("user", "lives_in") = "Lisbon"``,
``("Ottoline", "relation") = "sister"``. Every fact keeps the episodes it came from
(``fact_sources``) so the companion can always say why it believes something.

Rules of the book, applied inside one write transaction per ``add``:

- **One name per slot.** Attributes are snake_case, and the common synonyms small models
  use are folded into one slot (``occupation``, ``profession``, ``works_as`` -> ``job``;
  ``location``, ``city``, ``resides_in`` -> ``lives_in``; see ``SLOT_SYNONYMS``), so the
  same thing said twice lands in the same slot.
- **Same slot, same value**: no duplicate. The new evidence is added to the existing
  fact's sources and its confidence rises a little (see ``_reinforced``).
- **Same slot, another value**: only slots that hold one value at a time supersede:
  those in ``SINGLE_SLOTS`` (job, home, workplace, age, birthday, how someone is related,
  ...) and ``favourite_*`` / ``current_*``. The newer value supersedes the older one
  (``superseded_by``); the old row stays as history. "Newer" means observed later: the
  time of the latest source episode, so a late import of an old chat cannot overwrite
  what the person said last week (that fact is stored already superseded). Without
  episode times, the later ``add`` wins. Two values read from the *same* message never
  supersede each other ("a nurse on the night shift" is one job said two ways).
- **Every other slot accumulates**: plans, events, feelings, likes, friends, and any slot
  the model names that is not known to be single-valued. Forgetting a wrong value is one
  command away; silently losing a true one is not.

Values match ignoring case and spacing; subjects ignoring case ("user" is the person).
Forgetting deletes the rows; the FTS triggers remove the text from the word index.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from os1.errors import StoreError
from os1.memory.vectors import VectorIndex
from os1.store import UserStore
from os1.store.user import Scoped

KINDS = ("person", "relation", "preference", "plan", "event", "feeling", "routine", "other")
# slots that hold one value at a time: a new value replaces the old (see the docstring)
SINGLE_SLOTS = frozenset({
    "job", "lives_in", "works_at", "age", "birthday", "relation", "partner", "spouse",
    "relationship_status", "full_name", "name", "studies_at", "team", "employer_role",
})  # fmt: skip
SINGLE_PREFIXES = ("favourite_", "favorite_", "current_")
# what small models call a slot -> the one slot it means
SLOT_SYNONYMS = {
    **dict.fromkeys(
        ("occupation", "profession", "works_as", "job_title", "career", "employment"),
        "job",
    ),
    **dict.fromkeys(
        (
            "location",
            "city",
            "resides_in",
            "residence",
            "lives",
            "home",
            "home_city",
            "lives_at",
            "current_city",
            "current_location",
            "based_in",
        ),
        "lives_in",
    ),
    **dict.fromkeys(("workplace", "employer", "works_for", "company", "work_place"), "works_at"),
    **dict.fromkeys(("relationship", "relation_to_user", "relationship_to_user"), "relation"),
    **dict.fromkeys(("date_of_birth", "dob", "born_on", "birth_date"), "birthday"),
}
REINFORCE = 0.1  # confidence added when the same fact is seen again
MAX_CONFIDENCE = 0.99  # only the person's own edit makes a fact certain

_SELECT = (
    "SELECT f.id, f.kind, f.subject, f.attribute, f.value, f.text, f.valid_at, f.confidence,"
    " f.importance, f.superseded_by, f.created_at,"
    " (SELECT group_concat(s.episode_id) FROM fact_sources s"
    "  WHERE s.fact_id = f.id AND s.user_id = :user_id) AS sources"
    " FROM facts f WHERE f.user_id = :user_id"
)


@dataclass(frozen=True)
class Fact:
    id: int
    kind: str
    subject: str
    attribute: str
    value: str
    text: str
    valid_at: float | None
    confidence: float
    importance: float
    superseded_by: int | None
    created_at: float
    source_episode_ids: tuple[int, ...]


@dataclass(frozen=True)
class NewFact:
    """A fact to store. ``subject`` is ``"user"`` for the person, else a name."""

    kind: str
    subject: str
    attribute: str
    value: str
    text: str
    valid_at: float | None = None
    confidence: float = 0.7
    importance: float = 0.5
    episode_ids: tuple[int, ...] = field(default=())


def slot_name(attribute: str) -> str:
    """``"Lives In"`` -> ``"lives_in"``, ``"Occupation"`` -> ``"job"``: the attribute as a
    short snake_case slot, synonyms folded into one name."""
    slot = re.sub(r"[^a-z0-9]+", "_", attribute.lower()).strip("_")[:40]
    return SLOT_SYNONYMS.get(slot, slot)


def is_single_valued(attribute: str) -> bool:
    """True for slots where a new value replaces the old (see the module docstring)."""
    slot = slot_name(attribute)
    return slot in SINGLE_SLOTS or slot.startswith(SINGLE_PREFIXES)


def _same_value(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _subject(subject: str) -> str:
    clean = " ".join(subject.split())
    return "user" if clean.lower() == "user" else clean


def _reinforced(old: float, new: float) -> float:
    return round(min(MAX_CONFIDENCE, max(old, new) + REINFORCE), 4)


def _to_fact(row: Any) -> Fact:
    sources = tuple(sorted(int(s) for s in (row["sources"] or "").split(",") if s))
    return Fact(
        id=row["id"],
        kind=row["kind"],
        subject=row["subject"],
        attribute=row["attribute"],
        value=row["value"],
        text=row["text"],
        valid_at=row["valid_at"],
        confidence=row["confidence"],
        importance=row["importance"],
        superseded_by=row["superseded_by"],
        created_at=row["created_at"],
        source_episode_ids=sources,
    )


def _observed(db: Scoped, fact_id: int) -> float | None:
    """When a fact's evidence was said: the time of its latest source episode."""
    rows = db.execute(
        "SELECT max(e.time) FROM fact_sources s JOIN episodes e ON e.id = s.episode_id"
        " WHERE s.fact_id = :fact AND s.user_id = :user_id AND e.user_id = :user_id",
        {"fact": fact_id},
    )
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


def _add_sources(db: Scoped, fact_id: int, episode_ids: tuple[int, ...]) -> None:
    """Link evidence; ids that are not this person's episodes are ignored."""
    db.executemany(
        "INSERT OR IGNORE INTO fact_sources (fact_id, episode_id, user_id)"
        " SELECT :fact, id, :user_id FROM episodes WHERE id = :episode AND user_id = :user_id",
        [{"fact": fact_id, "episode": int(e)} for e in dict.fromkeys(episode_ids)],
    )


def _add_one(db: Scoped, new: NewFact, now: float) -> int:
    subject, attribute = _subject(new.subject), slot_name(new.attribute)
    kind = new.kind if new.kind in KINDS else "other"
    if not subject or not attribute or not new.value.strip():
        raise StoreError("fact_invalid", "A fact needs a subject, an attribute and a value.")
    current = db.execute(
        "SELECT id, value, confidence FROM facts WHERE user_id = :user_id"
        " AND lower(subject) = lower(:subject) AND attribute = :attribute"
        " AND superseded_by IS NULL ORDER BY id",
        {"subject": subject, "attribute": attribute},
    )
    for row in current:
        if _same_value(row["value"], new.value):
            db.execute(
                "UPDATE facts SET confidence = :c, importance = max(importance, :i),"
                " updated_at = :now WHERE id = :id AND user_id = :user_id",
                {"c": _reinforced(row["confidence"], new.confidence), "i": new.importance,
                 "now": now, "id": row["id"]},
            )  # fmt: skip
            _add_sources(db, row["id"], new.episode_ids)
            return int(row["id"])
    inserted = db.execute(
        "INSERT INTO facts (user_id, kind, subject, attribute, value, text, valid_at,"
        " confidence, importance, created_at, updated_at) VALUES (:user_id, :kind, :subject,"
        " :attribute, :value, :text, :valid_at, :confidence, :importance, :now, :now)"
        " RETURNING id",
        {"kind": kind, "subject": subject, "attribute": attribute, "value": new.value.strip(),
         "text": new.text.strip() or f"{subject} {attribute}: {new.value.strip()}",
         "valid_at": new.valid_at, "confidence": max(0.0, min(1.0, new.confidence)),
         "importance": new.importance, "now": now},
    )  # fmt: skip
    fact_id = int(inserted[0][0])
    _add_sources(db, fact_id, new.episode_ids)
    if is_single_valued(attribute):
        _supersede(
            db,
            fact_id,
            [
                int(r["id"])
                for r in current
                if not _shares_a_source(db, int(r["id"]), new.episode_ids)
            ],
        )
    return fact_id


def _shares_a_source(db: Scoped, fact_id: int, episode_ids: tuple[int, ...]) -> bool:
    """True when ``fact_id`` was read from one of ``episode_ids``: the same message."""
    if not episode_ids:
        return False
    marks = ",".join(str(int(e)) for e in episode_ids)
    return bool(
        db.execute(
            "SELECT 1 FROM fact_sources WHERE user_id = :user_id AND fact_id = :fact"
            f" AND episode_id IN ({marks}) LIMIT 1",
            {"fact": fact_id},
        )
    )


def _supersede(db: Scoped, fact_id: int, others: list[int]) -> None:
    """Newest evidence wins the slot: older values point at ``fact_id``, or it at a newer one."""
    mine = _observed(db, fact_id)
    for other in others:
        theirs = _observed(db, other)
        older, newer = (
            (fact_id, other) if mine is not None and theirs is not None and mine < theirs
            else (other, fact_id)
        )  # fmt: skip
        db.execute(
            "UPDATE facts SET superseded_by = :newer WHERE id = :older AND user_id = :user_id",
            {"newer": newer, "older": older},
        )
        if older == fact_id:
            return


class FactBook:
    """One person's facts: add with supersession and merging, list, correct, forget."""

    def __init__(self, store: UserStore) -> None:
        self.store = store

    async def add(self, facts: list[NewFact]) -> list[int]:
        """Store ``facts`` in one transaction, in order (a later one may supersede an earlier).

        Returns:
            The id each fact ended up as, in order: a new row, or the existing fact it
            merged into.

        Raises:
            StoreError: a fact lacks a subject, attribute or value (nothing is stored).
        """
        now = time.time()
        return await self.store.transaction(lambda db: [_add_one(db, f, now) for f in facts])

    async def current(self, limit: int = 200) -> list[Fact]:
        """Facts that hold now (not superseded), newest first."""
        rows = await self.store.read(
            lambda db: db.execute(
                _SELECT + " AND f.superseded_by IS NULL ORDER BY f.id DESC LIMIT :limit",
                {"limit": limit},
            )
        )
        return [_to_fact(r) for r in rows]

    async def history(self, subject: str, attribute: str) -> list[Fact]:
        """Every value a slot has had, oldest first, superseded ones included."""
        rows = await self.store.read(
            lambda db: db.execute(
                _SELECT + " AND lower(f.subject) = lower(:subject) AND f.attribute = :attribute"
                " ORDER BY f.id",
                {"subject": _subject(subject), "attribute": slot_name(attribute)},
            )
        )
        return [_to_fact(r) for r in rows]

    async def get(self, fact_id: int) -> Fact | None:
        rows = await self.store.read(
            lambda db: db.execute(_SELECT + " AND f.id = :id", {"id": fact_id})
        )
        return _to_fact(rows[0]) if rows else None

    async def edit(self, fact_id: int, text: str | None = None, value: str | None = None) -> Fact:
        """Correct a fact in place. The person said so, so it becomes certain (confidence 1).

        Its old vectors go (new ones follow in the background); its text index follows by
        trigger.

        Raises:
            StoreError: no such fact for this person (``fact_unknown``), or an empty value.
        """
        if value is not None and not value.strip():
            raise StoreError("fact_invalid", "A fact's value cannot be empty.")

        def work(db: Scoped) -> Fact:
            changed = db.execute(
                "UPDATE facts SET text = coalesce(:text, text), value = coalesce(:value, value),"
                " confidence = 1.0, updated_at = :now"
                " WHERE id = :id AND user_id = :user_id RETURNING id",
                {"text": text.strip() if text is not None else None,
                 "value": value.strip() if value is not None else None,
                 "now": time.time(), "id": fact_id},
            )  # fmt: skip
            if not changed:
                raise StoreError("fact_unknown", f"There is no fact {fact_id}.")
            VectorIndex.forget_everywhere(db, "fact", [fact_id])
            return _to_fact(db.execute(_SELECT + " AND f.id = :id", {"id": fact_id})[0])

        return await self.store.transaction(work)

    async def forget(self, ids: list[int]) -> int:
        """Delete facts, their sources and their stored vectors; returns how many went.

        Forgetting the newest value of a slot lets the previous one stand again (its
        ``superseded_by`` is cleared by the schema); forget the whole ``history`` to drop
        the slot entirely.
        """
        marks = ",".join(str(int(i)) for i in ids)
        if not marks:
            return 0

        def work(db: Scoped) -> int:
            gone = db.execute(f"SELECT id FROM facts WHERE +user_id = :user_id AND id IN ({marks})")
            db.execute(
                f"DELETE FROM fact_sources WHERE user_id = :user_id AND fact_id IN ({marks})"
            )
            VectorIndex.forget_everywhere(db, "fact", ids)
            db.execute(f"DELETE FROM facts WHERE +user_id = :user_id AND id IN ({marks})")
            return len(gone)

        return await self.store.transaction(work)
