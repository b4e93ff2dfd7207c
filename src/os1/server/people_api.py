"""The people in a person's life over HTTP: nudges to get in touch, and introductions
to others on this os1, only with both people's consent (``core.people``,
``core.introductions``).

- ``GET /api/people/suggestions`` -> ``{"nudges_on": bool, "nudges": [{at, about, text,
  why}]}``: suggestions to get in touch with someone, newest first, each with why it was
  made (a new one is made first if one is due).
- ``PUT /api/people/nudges`` with ``{"on": false}`` turns them off (``true``: on).
- ``GET /api/people/introduce-me`` -> ``{on, fields, card}``: whether the person may be
  introduced, the fields they share, and the card others see.
- ``PUT /api/people/introduce-me`` with ``{"on": true, "fields": [...], "about": "...",
  "looking_for": "..."}`` (all but ``on`` optional) opts in or out.
- ``GET /api/people/introductions`` -> ``{"introductions": [...]}``: proposals and opened
  introductions, newest first (new proposals are made first for a person opted in).
- ``GET /api/people/introductions/{id}`` -> one, with its thread once opened.
- ``POST /api/people/introductions/{id}/answer`` with ``{"yes": true}``: accept or decline.
- ``POST /api/people/introductions/{id}/lines`` with ``{"text": "..."}``: write to the
  other person of an opened introduction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import Field

from os1.server.auth import Caller, Svc
from os1.server.schemas import Strict

router = APIRouter(prefix="/api/people", tags=["people"])
IntroductionId = Annotated[int, PathParam(ge=1, le=2**62, description="From the list.")]


class NudgesIn(Strict):
    on: bool = Field(description="Whether the companion may suggest getting in touch")


class ConsentIn(Strict):
    on: bool = Field(description="Whether others on this os1 may be proposed to you")
    fields: list[str] | None = Field(
        default=None, max_length=5,
        description="What others may see: name, city, interests, about, looking_for",
    )  # fmt: skip
    about: str | None = Field(default=None, max_length=300)
    looking_for: str | None = Field(default=None, max_length=300)


class AnswerIn(Strict):
    yes: bool


class LineIn(Strict):
    text: str = Field(min_length=1, max_length=4_000)


@router.get("/suggestions")
async def people_suggestions(account: Caller, svc: Svc) -> dict[str, Any]:
    """Suggestions to get in touch with someone, newest first, each with why it was made."""
    people = svc.companion.people
    await people.suggest(account.name)
    made = await people.nudges(account.name)
    return {
        "nudges_on": await people.nudges_on(account.name),
        "nudges": [n.as_dict() for n in made],
    }


@router.put("/nudges")
async def set_nudges(body: NudgesIn, account: Caller, svc: Svc) -> dict[str, bool]:
    """Turn suggestions to get in touch with people on or off."""
    await svc.companion.people.set_nudges(account.name, on=body.on)
    return {"nudges_on": body.on}


@router.get("/introduce-me")
async def consent(account: Caller, svc: Svc) -> dict[str, Any]:
    """Whether you may be introduced, the fields you share and the card others see."""
    return (await svc.companion.introductions.consent(account.name)).as_dict()


@router.put("/introduce-me")
async def set_consent(body: ConsentIn, account: Caller, svc: Svc) -> dict[str, Any]:
    """Opt in to introductions (with the fields others may see) or out."""
    done = await svc.companion.introductions.set_consent(
        account.name, body.on, body.fields, body.about, body.looking_for
    )
    return done.as_dict()


@router.get("/introductions")
async def introductions(account: Caller, svc: Svc) -> dict[str, Any]:
    """Your introductions, newest first: proposals with their reasons, and opened ones."""
    found = await svc.companion.introductions.proposals(account.name)
    return {"introductions": [x.as_dict() for x in found]}


@router.get("/introductions/{number}")
async def introduction(number: IntroductionId, account: Caller, svc: Svc) -> dict[str, Any]:
    """One introduction, with its thread once you have both said yes."""
    return (await svc.companion.introductions.show(account.name, number)).as_dict()


@router.post("/introductions/{number}/answer")
async def answer(
    number: IntroductionId, body: AnswerIn, account: Caller, svc: Svc
) -> dict[str, Any]:
    """Accept or decline; a decline is never shown to the other person."""
    done = await svc.companion.introductions.answer(account.name, number, body.yes)
    return done.as_dict()


@router.post("/introductions/{number}/lines")
async def write(number: IntroductionId, body: LineIn, account: Caller, svc: Svc) -> dict[str, Any]:
    """Write to the other person of an introduction you have both said yes to."""
    line = await svc.companion.introductions.write(account.name, number, body.text)
    return line.as_dict()
