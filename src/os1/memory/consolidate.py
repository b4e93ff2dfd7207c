"""Consolidation: the periodic tidy-up that keeps memory worth trusting.

- Duplicate facts (same subject, slot and value, both current) merge into the oldest,
  which inherits every source: evidence is pooled, never dropped.
- Trivia fades: a fact heard once, with low confidence, not confirmed for a while, loses
  importance step by step, so it sinks in the profile and in recall; it is not deleted
  (the person decides what is forgotten).
Runs without the model, so it is cheap enough to run after every session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from os1.memory.vectors import VectorIndex
from os1.store import UserStore
from os1.store.user import Scoped

FADE_AFTER_DAYS = 30
FADE_FACTOR = 0.8
TRIVIA_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Consolidation:
    merged: int
    faded: int


def _merge_duplicates(db: Scoped) -> int:
    groups = db.execute(
        "SELECT lower(subject), attribute, lower(trim(value)), group_concat(id) FROM facts"
        " WHERE user_id = :user_id AND superseded_by IS NULL"
        " GROUP BY 1, 2, 3 HAVING COUNT(*) > 1"
    )
    merged = 0
    for *_, ids_text in groups:
        ids = sorted(int(i) for i in str(ids_text).split(","))
        keep, rest = ids[0], ids[1:]
        marks = ",".join(str(i) for i in rest)
        db.execute(
            "INSERT OR IGNORE INTO fact_sources (fact_id, episode_id, user_id)"
            f" SELECT :keep, episode_id, user_id FROM fact_sources WHERE fact_id IN ({marks})"
            " AND user_id = :user_id",
            {"keep": keep},
        )
        db.execute(
            "UPDATE facts SET confidence = MIN(0.99, confidence + 0.1 * :n), updated_at = :now"
            " WHERE id = :keep AND user_id = :user_id",
            {"n": len(rest), "keep": keep, "now": time.time()},
        )
        db.execute(
            "UPDATE facts SET superseded_by = :keep WHERE user_id = :user_id"
            f" AND superseded_by IN ({marks})",
            {"keep": keep},
        )
        VectorIndex.forget_everywhere(db, "fact", rest)
        db.execute(f"DELETE FROM facts WHERE +user_id = :user_id AND id IN ({marks})")
        merged += len(rest)
    return merged


def _fade_trivia(db: Scoped, now: float) -> int:
    rows = db.execute(
        "UPDATE facts SET importance = importance * :factor, updated_at = :now"
        " WHERE user_id = :user_id AND superseded_by IS NULL AND confidence < :trivia"
        " AND updated_at < :before AND importance > 0.05"
        " AND (SELECT COUNT(*) FROM fact_sources s WHERE s.fact_id = facts.id) <= 1"
        " RETURNING id",
        {
            "factor": FADE_FACTOR,
            "now": now,
            "trivia": TRIVIA_CONFIDENCE,
            "before": now - FADE_AFTER_DAYS * 86400,
        },
    )
    return len(rows)


async def consolidate(store: UserStore, now: float | None = None) -> Consolidation:
    """Merge duplicate facts and fade trivia for one person, in one transaction."""
    when = now if now is not None else time.time()

    def work(db: Scoped) -> Consolidation:
        return Consolidation(_merge_duplicates(db), _fade_trivia(db, when))

    return await store.transaction(work)
