"""What the companion remembers about the signed-in person, who they are, and how their
days have felt: the memory, profile and timeline API behind the web UI.

Every route is scoped to the caller: another person's memory is a 404 exactly like a
missing one, so refs cannot be probed. A ``REF`` is ``fact:12`` or ``episode:40``; a
malformed one is a 422.

- ``GET /api/memories?q=TEXT&k=20`` -> ``{"items": [Memory]}``: with ``q`` the companion's
  own hybrid recall (words, meaning, time), without it the newest facts then episodes;
  ``k`` is 1..100.
- ``GET /api/memories/REF`` -> ``Memory``: ``{ref, kind, text, time, speaker, source,
  confidence, sources: [{ref, text, time, source}]}``; ``sources`` are the episodes a
  fact was learned from (``[]`` for an episode).
- ``PATCH /api/memories/REF`` with ``{"text"}`` (1..4000 characters) -> the corrected
  ``Memory``; a corrected fact becomes certain (confidence 1: the person said so).
- ``DELETE /api/memories/REF`` -> 204, forgotten from every index (facts resting only on
  a forgotten episode go with it).
- ``POST /api/memories/ask`` with ``{"question", "k"?}`` -> ``{question, answer, known,
  source_ids, cited: [Memory], hits: [Memory]}``: the local model answers from the best
  ``k`` (1..50, default 10) memories and cites the ones it used; ``known`` is false and
  the answer "I don't know." when nothing supports one. It is a model turn: it counts
  against the person's turn rate and waits its place in the server's turn line.
- ``GET /api/memories/export`` -> the ``os1-memory`` v1 JSONL archive as a download, the
  same file ``os1 memory export`` writes and ``os1 memory import`` reads.
- ``GET /api/profile`` -> ``{person, sections: [{key, title, lines: [{fact_id, text,
  source_episode_ids, valid_at}]}]}``: every section in a fixed order, empty ones too;
  a line about someone else starts with their name when its words do not say it.
- ``GET /api/timeline?days=30`` (1..365) -> ``{days: [{date, messages, mood, mood_label,
  closeness, trust, known, feelings, words}], relationship: {first_met, days_known,
  conversations, messages, closeness, trust, known}}``: one entry per local calendar day,
  oldest first, silent days included (``mood`` null). Closeness and trust come from
  ``os1.persona.affect``, the feelings from the emotion reader, all computed from the
  person's own messages; closeness and trust start a year before the window (each day
  shrinks what came before by at least 1%, so older days would move closeness by under
  0.03).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from os1.core.accounts import Account
from os1.core.memories import SECTIONS, Kind, MemoryItem
from os1.errors import StoreError
from os1.server.auth import Caller, Svc
from os1.server.problems import HttpProblem
from os1.server.schemas import Strict
from os1.server.services import Services
from os1.server.turns import ask_memory

router = APIRouter(prefix="/api", tags=["memory"])


class SourceOut(BaseModel):
    ref: str
    text: str
    time: float
    source: str


class MemoryOut(BaseModel):
    ref: str
    kind: Literal["fact", "episode"]
    text: str
    time: float
    speaker: str | None
    source: str
    confidence: float | None
    sources: list[SourceOut]


class MemoryList(BaseModel):
    items: list[MemoryOut]


class MemoryEdit(Strict):
    text: str = Field(min_length=1, max_length=4000, description="The corrected words.")


class AskIn(Strict):
    question: str = Field(
        min_length=1, max_length=2000, description="e.g. Where does my sister live?"
    )
    k: int = Field(10, ge=1, le=50, description="How many memories the answer may read.")


class AnswerOut(BaseModel):
    question: str
    answer: str
    known: bool
    source_ids: list[str]
    cited: list[MemoryOut]
    hits: list[MemoryOut]


class ProfileLineOut(BaseModel):
    fact_id: int
    text: str
    source_episode_ids: list[int]
    valid_at: float | None


class SectionOut(BaseModel):
    key: str
    title: str
    lines: list[ProfileLineOut]


class ProfileOut(BaseModel):
    person: str | None
    sections: list[SectionOut]


class FeelingOut(BaseModel):
    label: str = Field(description="A GoEmotions feeling (admiration … surprise)")
    share: float = Field(description="Its share of the day's feeling, 0..1")


class DayOut(BaseModel):
    date: str
    messages: int
    mood: float | None = Field(description="-1 sad or angry .. +1 happy; null on a silent day")
    mood_label: str | None = Field(description="The day's strongest feeling, or neutral")
    closeness: float = Field(description="How close the two have grown, 0..1")
    trust: float = Field(description="How much the person trusts it, 0..1")
    known: int = Field(description="Facts it held about the person by the day's end")
    feelings: list[FeelingOut] = Field(default=[], description="The day's strongest feelings")
    words: list[str] = Field(default=[], description="The words that drove them most")


class RelationshipOut(BaseModel):
    first_met: float | None
    days_known: int
    conversations: int
    messages: int
    closeness: float = Field(description="Today's closeness, 0..1")
    trust: float = Field(description="Today's trust, 0..1")
    known: int = Field(description="Facts it holds about the person")


class TimelineOut(BaseModel):
    days: list[DayOut]
    relationship: RelationshipOut


def _out(item: MemoryItem) -> MemoryOut:
    return MemoryOut(
        ref=item.ref,
        kind=item.kind,
        text=item.text,
        time=item.time,
        speaker=item.speaker,
        source=item.source,
        confidence=item.confidence,
        sources=[SourceOut(ref=s.ref, text=s.text, time=s.time, source=s.source)
                 for s in item.sources],
    )  # fmt: skip


def _memory_on(svc: Services) -> None:
    if not svc.companion.memories.available:
        raise HttpProblem(503, "memory_off", "This companion runs without memory.")


def _missing(ref: str) -> HttpProblem:
    return HttpProblem(
        404,
        "memory_unknown",
        f"You have no memory {ref}.",
        "It may have been forgotten; GET /api/memories lists yours.",
    )


async def _found(svc: Services, account: Account, ref: str) -> tuple[Kind, int, MemoryItem]:
    kind, item = svc.companion.memories.parse_ref(ref)
    found = await svc.companion.memories.item(account.name, kind, item)
    if found is None:
        raise _missing(f"{kind}:{item}")
    return kind, item, found


@router.get("/memories", response_model=MemoryList)
async def list_memories(
    account: Caller,
    svc: Svc,
    q: Annotated[str | None, Query(max_length=1000, description="Search for this")] = None,
    k: Annotated[int, Query(ge=1, le=100, description="At most this many")] = 20,
) -> MemoryList:
    """Search your memories (with ``q``) or list the newest (without)."""
    _memory_on(svc)
    items = await svc.companion.memories.find(account.name, q or "", k)
    return MemoryList(items=[_out(i) for i in items])


@router.post("/memories/ask", response_model=AnswerOut)
async def ask(body: AskIn, account: Caller, svc: Svc) -> AnswerOut:
    """Answer a question from your memories, citing the ones the answer rests on."""
    _memory_on(svc)
    answer = await ask_memory(svc, account, body.question, body.k)
    found = await svc.companion.memories.describe(
        account.name, [(h.kind, h.id) for h in answer.hits]
    )
    by_ref = {item.ref: _out(item) for item in found}
    cited = [f"{h.kind}:{h.id}" for h in answer.cited]
    return AnswerOut(
        question=answer.question,
        answer=answer.text,
        known=answer.known,
        source_ids=answer.source_ids,
        cited=[by_ref[ref] for ref in cited if ref in by_ref],
        hits=list(by_ref.values()),
    )


@router.get("/memories/export")
async def export(account: Caller, svc: Svc) -> Response:
    """Every memory of yours as an ``os1-memory`` v1 archive (JSON Lines) to download."""
    _memory_on(svc)
    lines = await svc.companion.memories.export(account.name)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", account.name).strip("._") or "me"
    disposition = f'attachment; filename="os1-memory-{safe}.jsonl"'
    if safe != account.name:  # the exact name for clients that read RFC 6266's filename*
        disposition += f"; filename*=UTF-8''{quote(f'os1-memory-{account.name}.jsonl')}"
    return Response(
        "\n".join(lines) + "\n",
        media_type="application/x-ndjson",
        headers={"Content-Disposition": disposition},
    )


@router.get("/memories/{ref}", response_model=MemoryOut)
async def get_memory(ref: str, account: Caller, svc: Svc) -> MemoryOut:
    """One memory of yours with the episodes it was learned from."""
    _memory_on(svc)
    return _out((await _found(svc, account, ref))[2])


@router.patch("/memories/{ref}", response_model=MemoryOut)
async def edit_memory(ref: str, body: MemoryEdit, account: Caller, svc: Svc) -> MemoryOut:
    """Correct a memory's words; its vectors are rebuilt after your next turn."""
    _memory_on(svc)
    kind, item, _ = await _found(svc, account, ref)
    try:
        changed = await svc.companion.memories.edit(account.name, kind, item, body.text)
    except StoreError as exc:
        if exc.code == "fact_unknown":  # forgotten a moment ago
            raise _missing(f"{kind}:{item}") from exc
        if exc.code in ("memory_empty", "fact_invalid"):
            raise HttpProblem(422, "memory_empty", exc.message, exc.hint) from exc
        raise
    updated = await svc.companion.memories.item(account.name, kind, item) if changed else None
    if updated is None:
        raise _missing(f"{kind}:{item}")
    return _out(updated)


@router.delete("/memories/{ref}", status_code=204)
async def forget_memory(ref: str, account: Caller, svc: Svc) -> Response:
    """Forget a memory everywhere: words, vectors, and facts resting only on it."""
    _memory_on(svc)
    kind, item = svc.companion.memories.parse_ref(ref)
    if not await svc.companion.memories.forget(account.name, [(kind, item)]):
        raise _missing(f"{kind}:{item}")
    return Response(status_code=204)


@router.get("/profile", response_model=ProfileOut)
async def profile(account: Caller, svc: Svc) -> ProfileOut:
    """Who the companion thinks you are, each line with the facts and episodes behind it."""
    person, built = await svc.companion.memories.profile(account.name)
    sections = []
    for key, title, _ in SECTIONS:
        if key == "people":
            lines = [
                ProfileLineOut(**(line.to_dict() | {"text": _about(name, line.text)}))
                for name, said in built.people.items()
                for line in said
            ]
        else:
            lines = [ProfileLineOut(**line.to_dict()) for line in getattr(built, key)]
        sections.append(SectionOut(key=key, title=title, lines=lines))
    return ProfileOut(person=person, sections=sections)


def _about(name: str, text: str) -> str:
    return text if name.lower() in text.lower() else f"{name}: {text}"


@router.get("/timeline", response_model=TimelineOut)
async def mood_timeline(
    account: Caller,
    svc: Svc,
    days: Annotated[int, Query(ge=1, le=365, description="Calendar days, today included")] = 30,
) -> TimelineOut:
    """Your mood, closeness and trust with the companion, day by day (local time)."""
    found = await svc.companion.memories.timeline(account.name, days)
    return TimelineOut(
        days=[DayOut.model_validate(e.as_dict()) for e in found.days],
        relationship=RelationshipOut.model_validate(asdict(found.relationship)),
    )
