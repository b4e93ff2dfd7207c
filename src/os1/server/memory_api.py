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
- ``GET /api/memories/export`` -> the ``os1-memory`` v1 JSONL archive as a download, the
  same file ``os1 memory export`` writes and ``os1 memory import`` reads.
- ``GET /api/profile`` -> ``{person, sections: [{key, title, lines: [{fact_id, text,
  source_episode_ids, valid_at}]}]}``: every section in a fixed order, empty ones too;
  a line about someone else starts with their name when its words do not say it.
- ``GET /api/timeline?days=30`` (1..365) -> ``{days: [{date, messages, mood, mood_label,
  closeness}], relationship: {first_met, days_known, conversations, messages}}``: one
  entry per local calendar day, oldest first, silent days included (``mood`` null). Mood
  and closeness come from ``os1.persona.affect``, computed from the person's own messages
  read in one query; closeness starts a year before the window (each day shrinks what
  came before by at least 1%, so older days would move it by under 0.03).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from os1.errors import StoreError
from os1.memory.archive import export_memory
from os1.memory.catalog import MemoryItem, describe, get_item, newest, parse_ref
from os1.memory.profile import SECTIONS, build_profile
from os1.memory.retrieval import Kind
from os1.memory.store import Memory
from os1.persona.affect import timeline
from os1.persona.onboarding import person_name
from os1.server.auth import Caller, Svc
from os1.server.problems import HttpProblem
from os1.server.schemas import Strict
from os1.server.services import Services
from os1.store import Scoped, UserStore
from os1.store.accounts import Account

router = APIRouter(prefix="/api", tags=["memory"])
CLOSENESS_LOOKBACK_DAYS = 365


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


class DayOut(BaseModel):
    date: str
    messages: int
    mood: float | None = Field(description="-1 sad or angry .. +1 happy; null on a silent day")
    mood_label: str | None
    closeness: float


class RelationshipOut(BaseModel):
    first_met: float | None
    days_known: int
    conversations: int
    messages: int


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


async def _mine(svc: Services, account: Account) -> tuple[Memory, UserStore]:
    memory = svc.companion.memory
    if memory is None:
        raise HttpProblem(503, "memory_off", "This companion runs without memory.")
    return memory, await svc.companion.db.user(account.name)


def _missing(ref: str) -> HttpProblem:
    return HttpProblem(
        404,
        "memory_unknown",
        f"You have no memory {ref}.",
        "It may have been forgotten; GET /api/memories lists yours.",
    )


async def _found(store: UserStore, ref: str) -> tuple[Kind, int, MemoryItem]:
    kind, item = parse_ref(ref)
    found = await get_item(store, kind, item)
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
    memory, store = await _mine(svc, account)
    if q is None or not q.strip():
        items = await newest(store, k)
    else:
        hits = await memory.search(store, q, k=k, wait=False)
        items = await describe(store, [(h.kind, h.id) for h in hits])
    return MemoryList(items=[_out(i) for i in items])


@router.get("/memories/export")
async def export(account: Caller, svc: Svc) -> Response:
    """Every memory of yours as an ``os1-memory`` v1 archive (JSON Lines) to download."""
    _, store = await _mine(svc, account)
    lines = await export_memory(store)
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
    _, store = await _mine(svc, account)
    return _out((await _found(store, ref))[2])


@router.patch("/memories/{ref}", response_model=MemoryOut)
async def edit_memory(ref: str, body: MemoryEdit, account: Caller, svc: Svc) -> MemoryOut:
    """Correct a memory's words; its vectors are rebuilt after your next turn."""
    memory, store = await _mine(svc, account)
    kind, item, _ = await _found(store, ref)
    try:
        changed = await memory.edit(store, kind, item, body.text)
    except StoreError as exc:
        if exc.code == "fact_unknown":  # forgotten a moment ago
            raise _missing(f"{kind}:{item}") from exc
        if exc.code in ("memory_empty", "fact_invalid"):
            raise HttpProblem(422, "memory_empty", exc.message, exc.hint) from exc
        raise
    updated = await get_item(store, kind, item) if changed else None
    if updated is None:
        raise _missing(f"{kind}:{item}")
    return _out(updated)


@router.delete("/memories/{ref}", status_code=204)
async def forget_memory(ref: str, account: Caller, svc: Svc) -> Response:
    """Forget a memory everywhere: words, vectors, and facts resting only on it."""
    memory, store = await _mine(svc, account)
    kind, item = parse_ref(ref)
    if not await memory.forget(store, kind, [item]):
        raise _missing(f"{kind}:{item}")
    return Response(status_code=204)


@router.get("/profile", response_model=ProfileOut)
async def profile(account: Caller, svc: Svc) -> ProfileOut:
    """Who the companion thinks you are, each line with the facts and episodes behind it."""
    store = await svc.companion.db.user(account.name)
    person = await person_name(store)
    built = await build_profile(store, person=person)
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


def _said(db: Scoped, since: float) -> tuple[list[tuple[float, str]], list[Any]]:
    said = db.execute(
        "SELECT created_at, content FROM messages WHERE user_id = :user_id AND role = 'user'"
        " AND created_at >= :since ORDER BY created_at",
        {"since": since},
    )
    totals = db.execute(
        "SELECT MIN(created_at), COALESCE(SUM(role = 'user'), 0),"
        " COUNT(DISTINCT CASE WHEN role = 'user' THEN conversation_id END)"
        " FROM messages WHERE user_id = :user_id"
    )
    return [(float(r[0]), str(r[1])) for r in said], list(totals[0])


@router.get("/timeline", response_model=TimelineOut)
async def mood_timeline(
    account: Caller,
    svc: Svc,
    days: Annotated[int, Query(ge=1, le=365, description="Calendar days, today included")] = 30,
) -> TimelineOut:
    """Your mood and your closeness with the companion, day by day (local time)."""
    store = await svc.companion.db.user(account.name)
    today = dt.date.today()
    first = today - dt.timedelta(days=days - 1)
    start = first - dt.timedelta(days=CLOSENESS_LOOKBACK_DAYS)
    since = dt.datetime.combine(start, dt.time()).timestamp()  # local midnight
    said, (first_met, messages, conversations) = await store.read(lambda db: _said(db, since))
    entries = await asyncio.to_thread(timeline, said, first, today)
    known = 0
    if first_met is not None:
        known = (today - dt.datetime.fromtimestamp(first_met).date()).days + 1
    return TimelineOut(
        days=[
            DayOut(
                date=e.date.isoformat(),
                messages=e.messages,
                mood=e.mood,
                mood_label=e.mood_label,
                closeness=e.closeness,
            )
            for e in entries
        ],
        relationship=RelationshipOut(
            first_met=first_met,
            days_known=max(0, known),
            conversations=int(conversations),
            messages=int(messages),
        ),
    )
