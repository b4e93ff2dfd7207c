"""A person's letters over HTTP: write one, revise it, see it, and download it by hand.

- ``POST /api/letters`` with ``{"to", "about", "who"?, "seed"?}`` -> 201 and the
  ``Letter``: ``{id, version, change, to, about, text, cited: [{ref, text, day}],
  unsupported, created_at}``. Drafting is a model turn: it counts against the person's
  turn rate and waits its place in the turn line. Someone no memory mentions, with no
  ``who``: 422 ``letter_recipient_unknown`` (os1 asks rather than guess).
- ``GET /api/letters`` -> ``{letters: [Letter + versions]}``: each letter's newest
  version, newest letter first.
- ``GET /api/letters/ID?version=N`` -> the ``Letter`` (the newest without ``version``).
- ``POST /api/letters/ID/revise`` with ``{"change", "seed"?}`` -> 201 and the new version.
- ``GET /api/letters/hands`` -> ``{default, hands: [{name, characters, own}]}``: the
  handwriting there is, packaged and the person's own.
- ``GET /api/letters/hand-template.pdf`` -> the sheet to fill in by hand.
- ``POST /api/letters/hands?name=mine`` with a scan or photo of the filled-in sheet as
  the body (PNG or JPEG) -> 201 ``{name, characters, forms, empty, notes, replaced}``:
  the person's own hand, learned. A picture that is not the sheet, too dark or blank:
  422 with what to do. ``DELETE /api/letters/hands/NAME`` removes it (204; 404 if none).
- ``GET /api/letters/ID/sheets?hand=caveat&seed=0&version=N`` -> ``{hand, pages,
  borrowed: {character: hand}}``: how the letter falls on paper in that hand, and the
  characters another hand had to draw (a preview's frame).
- ``POST /api/letters/ID/send`` with ``{"to", "subject"?, "body"?, "hand"?}`` -> 201 and
  a proposal ``{proposal_id, title, preview}``: the exact mail with the letter's newest
  version attached as a PDF by hand. Nothing is sent until ``POST
  /api/actions/PROPOSAL/confirm``. No mail connected, an unknown address: 422
  ``letter_not_sent`` with what to do.
- ``GET /api/letters/ID/letter.pdf?hand=caveat&seed=0&version=N`` -> the letter by hand
  as a vector PDF; ``GET /api/letters/ID/page-N.png?…`` -> one page as a picture.

A letter that is not the caller's is 404, as one that does not exist.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from os1.core.letters import (
    DEFAULT_HAND,
    Kept,
    hand_template,
    letter_page,
    letter_pdf,
    letter_sheets,
)
from os1.core.mail import SendArgs
from os1.server.auth import Caller, Svc
from os1.server.problems import HttpProblem
from os1.server.schemas import Strict
from os1.server.turns import model_turn

router = APIRouter(prefix="/api", tags=["letters"])
Hand = Query(DEFAULT_HAND, max_length=40, description="Whose handwriting, e.g. kalam.")
Seed = Query(0, ge=0, le=2**31 - 1, description="Another seed, another page of the same hand.")
Version = Query(0, ge=0, le=1_000_000, description="Which version (0: the newest).")
LetterId = PathParam(ge=1, le=2**62, description="The letter's id (from the list).")
PageNumber = PathParam(ge=1, le=1000, description="The page, from 1.")


class SourceOut(BaseModel):
    ref: str
    text: str
    day: str


class LetterOut(BaseModel):
    id: int
    version: int
    change: str
    to: str
    about: str
    text: str
    cited: list[SourceOut]
    unsupported: list[str]
    created_at: float


class LetterListed(LetterOut):
    versions: int


class LetterList(BaseModel):
    letters: list[LetterListed]


class HandOut(BaseModel):
    name: str
    characters: int
    own: bool


class LearnedOut(BaseModel):
    name: str
    characters: int
    forms: int
    empty: list[str]
    notes: list[str]
    replaced: bool


class HandList(BaseModel):
    default: str
    hands: list[HandOut]


class SheetsOut(BaseModel):
    hand: str
    pages: int
    borrowed: dict[str, str]


class SendIn(Strict):
    to: str = Field(min_length=1, max_length=2000, description="Addresses, or a name you mailed.")
    subject: str = Field("A letter for you", max_length=500)
    body: str = Field("I wrote you a letter; it is attached.", min_length=1, max_length=20_000)
    hand: str = Field(DEFAULT_HAND, max_length=40, description="Whose handwriting.")


class ProposalOut(BaseModel):
    proposal_id: int
    title: str
    preview: str


class LetterIn(Strict):
    to: str = Field(min_length=1, max_length=120, description="Who the letter is for.")
    about: str = Field(min_length=1, max_length=2000, description="What it should carry.")
    who: str = Field("", max_length=200, description='Who they are to you ("my aunt").')
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="For the same draft again.")


class RevisionIn(Strict):
    change: str = Field(min_length=1, max_length=2000, description='"warmer", "shorter", …')
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


def _out(kept: Kept) -> LetterOut:
    draft = kept.draft
    return LetterOut(
        id=kept.letter,
        version=kept.version,
        change=kept.change,
        to=draft.recipient,
        about=draft.about,
        text=draft.text,
        cited=[SourceOut(ref=s.ref, text=s.text, day=s.day) for s in draft.cited],
        unsupported=list(draft.unsupported),
        created_at=kept.created_at,
    )


@router.post("/letters", response_model=LetterOut, status_code=201)
async def write_letter(body: LetterIn, account: Caller, svc: Svc) -> LetterOut:
    """Draft a letter in your voice from your memories (each one it draws on cited)."""
    kept = await model_turn(
        svc,
        account,
        lambda: svc.companion.letters.write(
            account.name, body.to, body.about, who=body.who, seed=body.seed
        ),
    )
    return _out(kept)


@router.get("/letters", response_model=LetterList)
async def list_letters(account: Caller, svc: Svc) -> LetterList:
    """Your letters, each at its newest version, newest first."""
    found = await svc.companion.letters.listed(account.name)
    return LetterList(letters=[LetterListed(**_out(k).model_dump(), versions=n) for k, n in found])


@router.get("/letters/hands", response_model=HandList)
async def list_hands(account: Caller, svc: Svc) -> HandList:
    """The handwriting a letter can be written in: packaged, then your own."""
    found = await svc.companion.letters.hands(account.name)
    listed = [HandOut(name=h.name, characters=h.characters, own=h.own) for h in found]
    return HandList(default=DEFAULT_HAND, hands=listed)


@router.get("/letters/hand-template.pdf", response_class=Response)
async def template_sheet(account: Caller) -> Response:
    """The sheet to fill in by hand, so os1 can learn your handwriting."""
    data = await asyncio.to_thread(hand_template)
    headers = {"Content-Disposition": 'attachment; filename="os1-hand-template.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)


@router.post(
    "/letters/hands",
    response_model=LearnedOut,
    status_code=201,
    openapi_extra={"requestBody": {"content": {"image/jpeg": {}, "image/png": {}}}},
)
async def learn_hand(
    request: Request, account: Caller, svc: Svc,
    name: str = Query("mine", max_length=40, description="What to call the hand."),
) -> LearnedOut:  # fmt: skip
    """Learn your handwriting from a scan or photo of the filled-in template."""
    data = await request.body()
    learned = await svc.companion.letters.learn_hand(account.name, data, name)
    return LearnedOut(
        name=learned.name, characters=learned.characters, forms=learned.forms,
        empty=learned.empty, notes=learned.notes, replaced=learned.replaced,
    )  # fmt: skip


@router.delete("/letters/hands/{name}", status_code=204, response_class=Response)
async def forget_hand(account: Caller, svc: Svc, name: str = PathParam(max_length=40)) -> Response:
    """Remove one of your own hands."""
    if not await svc.companion.letters.forget_hand(account.name, name):
        raise HttpProblem(404, "hand_unknown", f"You have no hand called '{name}'.")
    return Response(status_code=204)


@router.get("/letters/{letter}", response_model=LetterOut)
async def show_letter(
    account: Caller, svc: Svc, letter: int = LetterId, version: int = Version
) -> LetterOut:
    """One letter (its newest version unless ``version`` says)."""
    return _out(await svc.companion.letters.version(account.name, letter, version))


@router.post("/letters/{letter}/revise", response_model=LetterOut, status_code=201)
async def revise_letter(
    body: RevisionIn, account: Caller, svc: Svc, letter: int = LetterId
) -> LetterOut:
    """A new version of a letter, changed as you say; the old versions are kept."""
    kept = await model_turn(
        svc,
        account,
        lambda: svc.companion.letters.revise(account.name, letter, body.change, seed=body.seed),
    )
    return _out(kept)


@router.post("/letters/{letter}/send", response_model=ProposalOut, status_code=201)
async def send_letter(
    body: SendIn, account: Caller, svc: Svc, letter: int = LetterId
) -> ProposalOut:
    """Propose a mail carrying the letter as a PDF by hand; it goes only once confirmed."""
    await svc.companion.letters.version(account.name, letter)  # a 404 for another's letter
    args = SendArgs(
        to=body.to,
        subject=body.subject,
        body=body.body,
        in_reply_to="",
        letter=letter,
        hand=body.hand,
    )
    made = await svc.companion.propose(
        account.name, "send_mail", args, why=f"send letter {letter} to {body.to}"
    )
    if isinstance(made, str):  # nothing to confirm: no mail connected, an unknown name, …
        raise HttpProblem(422, "letter_not_sent", made)
    return ProposalOut(proposal_id=made.proposal_id, title=made.title, preview=made.preview)


@router.get("/letters/{letter}/sheets", response_model=SheetsOut)
async def letter_as_sheets(
    account: Caller, svc: Svc, letter: int = LetterId, hand: str = Hand, seed: int = Seed,
    version: int = Version,
) -> SheetsOut:  # fmt: skip
    """How many pages the letter takes in a hand, and which characters another hand drew."""
    kept = await svc.companion.letters.version(account.name, letter, version)
    opened = await svc.companion.letters.hand(account.name, hand)
    sheets = await letter_sheets(kept.draft.text, opened, seed)
    return SheetsOut(hand=sheets.hand, pages=sheets.pages, borrowed=sheets.borrowed)


@router.get("/letters/{letter}/letter.pdf", response_class=Response)
async def letter_as_pdf(
    account: Caller, svc: Svc, letter: int = LetterId, hand: str = Hand, seed: int = Seed,
    version: int = Version,
) -> Response:  # fmt: skip
    """The letter written by hand, as a print-ready vector PDF."""
    kept = await svc.companion.letters.version(account.name, letter, version)
    opened = await svc.companion.letters.hand(account.name, hand)
    data = await letter_pdf(kept.draft.text, opened, seed)
    name = f"letter-{letter}-v{kept.version}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/pdf", headers=headers)


@router.get("/letters/{letter}/page-{number}.png", response_class=Response)
async def letter_page_png(
    account: Caller, svc: Svc, letter: int = LetterId, number: int = PageNumber,
    hand: str = Hand, seed: int = Seed, version: int = Version,
) -> Response:  # fmt: skip
    """One page of the letter written by hand, as a picture (150 dpi)."""
    kept = await svc.companion.letters.version(account.name, letter, version)
    opened = await svc.companion.letters.hand(account.name, hand)
    return Response(
        await letter_page(kept.draft.text, number, opened, seed), media_type="image/png"
    )
