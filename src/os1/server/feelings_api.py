"""Feelings over HTTP: the GoEmotions feelings in a few messages, read as ``os1 affect``
reads them (the day-by-day mood is ``GET /api/timeline``, in ``memory_api``).

- ``POST /api/affect`` with ``{"texts": [...]}`` (1 to 200 texts of at most 20,000
  characters) -> ``{"readings": [...]}``, one per text in order: its language (``en`` or
  ``unknown``), its feelings with intensities, valence, arousal and the words behind them.
- ``GET /api/mood/conversations?limit=20`` -> ``{"conversations": [...]}``: the mood of
  each of the person's latest conversations, newest first, with its feelings and words.
- ``GET /api/feelings`` -> ``{"feelings": [...], "what_they_are": "..."}``: the companion's
  own feelings towards the person, strongest first, each with its reason, and the honest
  account of what such feelings are.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import Field

from os1.core.feelings import HONEST
from os1.errors import InputError
from os1.server.auth import Caller, Svc
from os1.server.schemas import Strict

router = APIRouter(prefix="/api", tags=["feelings"])
MOST_TEXTS = 200
LONGEST_TEXT = 20_000


class AffectIn(Strict):
    texts: list[str] = Field(
        min_length=1, max_length=MOST_TEXTS,
        examples=[["Thank you so much, this made my day!"]],
    )  # fmt: skip


@router.post("/affect")
async def read_affect(body: AffectIn, account: Caller, svc: Svc) -> dict[str, Any]:
    """The feelings in each text (read only: nothing is kept)."""
    too_long = [n for n, text in enumerate(body.texts, 1) if len(text) > LONGEST_TEXT]
    if too_long:
        raise InputError(
            "affect_too_long",
            f"Text {too_long[0]} is longer than {LONGEST_TEXT} characters.",
            "Send one message per text.",
        )
    readings = await svc.companion.feelings.read(body.texts)
    return {"readings": [r.as_dict() for r in readings]}


@router.get("/feelings")
async def own_feelings(account: Caller, svc: Svc) -> dict[str, Any]:
    """How your companion feels now, and why (they fade over a few days)."""
    found = await svc.companion.feelings.own(account.name)
    return {"feelings": [f.as_dict() for f in found], "what_they_are": HONEST}


@router.get("/mood/conversations")
async def conversation_moods(
    account: Caller, svc: Svc, limit: int = Query(20, ge=1, le=200)
) -> dict[str, Any]:
    """The mood of each of your latest conversations, newest first."""
    found = await svc.companion.feelings.conversations(account.name, limit)
    return {"conversations": [c.as_dict() for c in found]}
