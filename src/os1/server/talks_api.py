"""Talks over HTTP: a person's companion talks with one of their personas (or two of
their personas with each other), and the talks they keep are listed and shown.

- ``POST /api/talks`` with ``{"first", "second", "turns"?, "topic"?, "share"?}`` -> 201,
  the talk: each line with who said it and the passages a persona's line cites. Parties
  are ``companion:NAME`` (only your own here) and ``persona:NAME`` (yours). A model turn:
  it counts once against the person's turn rate and holds a place in the turn line while
  it runs. 403 ``talk_not_yours`` for another person's companion and
  ``talk_remote_refused`` for another os1's address (this server does not reach out to
  addresses for a request; ``os1 converse`` at the machine does).
- ``GET /api/talks`` -> ``{talks: [...]}``, newest first; ``GET /api/talks/ID`` -> one.

Another os1's companion joins a talk through ``/v1/chat/completions`` with the model
``talk`` (see ``openai_api``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import Field

from os1.core.talks import LINES_DEFAULT, LINES_MOST, SHARED_BY_DEFAULT, talk_dict
from os1.server.auth import Caller, Svc
from os1.server.schemas import Strict
from os1.server.turns import model_turn

router = APIRouter(prefix="/api", tags=["talks"])
TalkId = PathParam(ge=1, le=2**62, description="The talk's number (from the list).")


class TalkIn(Strict):
    first: str = Field(min_length=1, max_length=300, examples=["companion:ana"])
    second: str = Field(min_length=1, max_length=300, examples=["persona:thoreau"])
    turns: int = Field(LINES_DEFAULT, ge=1, le=LINES_MOST, description="Lines, both sides.")
    topic: str = Field("", max_length=500)
    share: list[str] = Field(
        list(SHARED_BY_DEFAULT), max_length=10, description="Kinds of memory it may tell."
    )


@router.post("/talks", status_code=201)
async def start_talk(body: TalkIn, account: Caller, svc: Svc) -> dict[str, Any]:
    """Let two parties talk; the whole talk, as kept."""
    talks = svc.companion.talks
    talk = await model_turn(
        svc, account,
        lambda: talks.have(account.name, body.first, body.second, lines=body.turns,
                           topic=body.topic, share=tuple(body.share)),
    )  # fmt: skip
    return talk_dict(talk)


@router.get("/talks")
async def list_talks(
    account: Caller, svc: Svc, limit: int = Query(50, ge=1, le=500)
) -> dict[str, Any]:
    """Your talks, newest first."""
    return {"talks": [talk_dict(t) for t in await svc.companion.talks.listed(account.name, limit)]}


@router.get("/talks/{talk}")
async def show_talk(account: Caller, svc: Svc, talk: int = TalkId) -> dict[str, Any]:
    """One of your talks, every line."""
    return talk_dict(await svc.companion.talks.show(account.name, talk))
