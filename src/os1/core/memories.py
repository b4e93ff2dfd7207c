"""What the companion remembers about a person, for every door (``os1 memory``, the web
UI's memory routes, MCP): search, list, show, edit, forget, notes, export and import,
the profile, consolidation and the mood timeline.

Each operation is written once here over the companion's one ``Memory`` (words, meaning
and time recall, vectors) and the memory package's stores; the doors only parse, call
and render. A ref is ``fact:12`` / ``episode:40`` or the short ``f12`` / ``e40``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from os1.core.base import Core
from os1.errors import ConfigError
from os1.memory.answer import Answer, answer_from, checked_question
from os1.memory.archive import RestoreReport, export_memory, import_memory, iso_time
from os1.memory.catalog import MemoryItem, describe, get_item, newest, parse_ref, ref_or_none
from os1.memory.consolidate import Consolidation, consolidate
from os1.memory.episodes import Episode
from os1.memory.facts import Fact, FactBook
from os1.memory.importer import ImportReport, import_conversation
from os1.memory.profile import SECTIONS, Profile, build_profile
from os1.memory.retrieval import Hit, Kind
from os1.memory.store import Memory
from os1.persona.affect import DayMood, timeline
from os1.persona.emotions import Summary
from os1.persona.onboarding import person_name
from os1.store import Scoped, UserStore

__all__ = [
    "SECTIONS",
    "Answer",
    "Consolidation",
    "DayMood",
    "Episode",
    "Fact",
    "Hit",
    "ImportReport",
    "Kind",
    "Memories",
    "MemoryItem",
    "Profile",
    "Relationship",
    "RestoreReport",
    "Timeline",
    "iso_time",
]

Progress = Callable[[int, int], None]
CLOSENESS_LOOKBACK_DAYS = 365  # closeness starts this long before a timeline's window


@dataclass(frozen=True)
class Relationship:
    """Where the two stand today: since when, how much they have talked, how close
    they have grown and how much the person trusts it (``persona.affect``), and how many
    facts the companion holds about them."""

    first_met: float | None
    days_known: int
    conversations: int
    messages: int
    closeness: float = 0.0
    trust: float = 0.0
    known: int = 0


@dataclass(frozen=True)
class Timeline:
    days: list[DayMood]
    relationship: Relationship


def _said(db: Scoped, since: float) -> tuple[list[tuple[float, str]], list[Any], list[float]]:
    said = db.execute(
        "SELECT created_at, content FROM messages WHERE user_id = :user_id AND role = 'user'"
        " AND created_at >= :since ORDER BY created_at",
        {"since": since},
    )
    totals = db.execute(
        "SELECT MIN(created_at), COALESCE(SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END), 0),"
        " COUNT(DISTINCT CASE WHEN role = 'user' THEN conversation_id END)"
        " FROM messages WHERE user_id = :user_id"
    )
    learned = db.execute(
        "SELECT created_at FROM facts WHERE user_id = :user_id AND superseded_by IS NULL"
    )
    return [(float(r[0]), str(r[1])) for r in said], list(totals[0]), [r[0] for r in learned]


# sums up each group of texts as the emotion reader reads them (``Feelings.summaries``)
Summer = Callable[[Sequence[Sequence[str]]], Awaitable[list[Summary]]]


class Memories:
    def __init__(self, core: Core, feelings: Summer | None = None) -> None:
        self.core = core
        self._feelings = feelings  # sums up each day's feelings for the timeline

    @property
    def available(self) -> bool:
        """False for a companion built without memory (it answers from the talk alone)."""
        return self.core.memory is not None

    def _memory(self) -> Memory:
        if self.core.memory is None:
            raise ConfigError("memory_off", "This companion runs without memory.")
        return self.core.memory

    @staticmethod
    def parse_ref(text: str, default_kind: Kind | None = None) -> tuple[Kind, int]:
        """``fact:12`` / ``f12`` -> ("fact", 12) (``InputError`` for anything else)."""
        return parse_ref(text, default_kind)

    @staticmethod
    def ref_or_none(text: str, default_kind: Kind | None = None) -> tuple[Kind, int] | None:
        """As ``parse_ref``, but None for words that are no ref (words to search for)."""
        return ref_or_none(text, default_kind)

    async def _store(self, user: str) -> UserStore:
        return await self.core.store(user)

    async def waiting_to_index(self, user: str) -> int:
        """Memories whose vectors are not made yet (search makes them first)."""
        return await self._memory().pending(await self._store(user))

    async def index(self, user: str, progress: Progress | None = None) -> int:
        """Make the vectors still missing; safe to interrupt. Returns how many."""
        return await self._memory().index_pending(await self._store(user), progress)

    async def search(
        self, user: str, query: str, k: int = 10, *, wait: bool = True, by_meaning: bool = True
    ) -> list[Hit]:
        """The best ``k`` memories for ``query`` by words, meaning and time ([] without
        memory). ``wait=False`` does not wait for embedders still loading (a server
        request); ``by_meaning=False`` matches words only (choosing what to forget)."""
        if self.core.memory is None:
            return []
        store = await self._store(user)
        return await self.core.memory.search(store, query, k=k, wait=wait, by_meaning=by_meaning)

    async def ask(self, user: str, question: str, k: int = 10, *, wait: bool = True) -> Answer:
        """An answer to ``question`` from the person's memories, by the local model, with
        the memories it rests on; "I don't know" (``known`` False) when none supports one.

        Raises:
            InputError: the question is empty or too long.
            ModelError: the model could not be reached.
        """
        clean = checked_question(question)
        hits = await self.search(user, clean, k=k, wait=wait)
        return await answer_from(self.core.llm, clean, hits, time.time())

    async def find(self, user: str, query: str = "", k: int = 20) -> list[MemoryItem]:
        """Memories with their sources: the best for ``query``, else the newest."""
        store = await self._store(user)
        if not query.strip():
            return await newest(store, k)
        hits = await self.search(user, query, k=k, wait=False)
        return await describe(store, [(h.kind, h.id) for h in hits])

    async def describe(self, user: str, refs: list[tuple[Kind, int]]) -> list[MemoryItem]:
        """The memories ``refs`` with their sources, in that order (gone ones left out)."""
        return await describe(await self._store(user), refs)

    async def recent(self, user: str, limit: int = 20) -> list[Episode]:
        """The newest episodes (what was said or noted), newest first."""
        return await self._memory().episodes(await self._store(user)).recent(limit)

    async def item(self, user: str, kind: Kind, item: int) -> MemoryItem | None:
        """One memory with the episodes it was learned from; None if the person has
        no such memory."""
        return await get_item(await self._store(user), kind, item)

    async def episodes(self, user: str, ids: list[int]) -> list[Episode]:
        return await self._memory().episodes(await self._store(user)).get(ids)

    async def fact(self, user: str, fact_id: int) -> Fact | None:
        return await FactBook(await self._store(user)).get(fact_id)

    async def sources(self, user: str, hits: list[Hit]) -> dict[int, list[str]]:
        """Episode id -> where it came from ("chat msg:12", "mcp note:…")."""
        ids = [h.id for h in hits if h.kind == "episode"]
        if self.core.memory is None or not ids:
            return {}
        found = await self.episodes(user, ids)
        return {e.id: [f"{e.source} {e.source_id}".strip()] for e in found}

    async def edit(self, user: str, kind: Kind, item: int, text: str) -> bool:
        """Correct a memory's words (a corrected fact becomes certain); False if the
        person has no such episode. Its vectors are remade at the next ``index``.

        Raises:
            StoreError: the text is empty (``memory_empty``), the person has no such fact
                (``fact_unknown``) or it is no longer current (``fact_invalid``).
        """
        return await self._memory().edit(await self._store(user), kind, item, text)

    async def forget(self, user: str, targets: list[tuple[Kind, int]]) -> int:
        """Forget memories everywhere (words, vectors, facts resting only on them);
        how many were forgotten."""
        memory, store = self._memory(), await self._store(user)
        removed = 0
        for kind in ("episode", "fact"):
            ids = [i for found, i in targets if found == kind]
            if ids:
                removed += await memory.forget(store, kind, ids)
        if removed:  # a forgotten memory must not live on in a cached prompt
            await self.core.forget_cached_prompts()
        return removed

    async def note(self, user: str, text: str, source: str = "note") -> int:
        """Keep a note as an episode, searchable by meaning at once; its id."""
        memory, store = self._memory(), await self._store(user)
        ref = await memory.note(store, text, source=source)
        await memory.index_pending(store)  # facts from it wait for the learner
        return ref

    async def export(self, user: str) -> list[str]:
        """The ``os1-memory`` v1 archive, one JSON line each (a header first)."""
        return await export_memory(await self._store(user))

    async def restore(self, user: str, lines: list[str]) -> RestoreReport:
        """Restore an archive; restoring the same one twice changes nothing."""
        return await import_memory(await self._store(user), lines)

    async def import_conversation(
        self, user: str, path: Path, *, learn: bool = True, progress: Progress | None = None
    ) -> ImportReport:
        """Import a past conversation (JSON Lines); bad lines are reported and skipped,
        and a second run continues where one stopped.

        Raises:
            OSError: the file cannot be read.
        """
        store = await self._store(user)
        return await import_conversation(store, path, progress=progress, learn=learn)

    async def profile(self, user: str) -> tuple[str | None, Profile]:
        """(the person's name if known, who the companion thinks they are)."""
        store = await self._store(user)
        name = await person_name(store)
        return name, await build_profile(store, person=name)

    async def consolidate(self, user: str) -> Consolidation:
        """Merge duplicate facts (pooling their sources) and let old trivia fade."""
        return await consolidate(await self._store(user))

    async def timeline(self, user: str, days: int = 30) -> Timeline:
        """Mood, closeness, trust and what it knows, day by day (local time, today last,
        silent days too), and where the two stand today."""
        store = await self._store(user)
        today = dt.date.today()
        first = today - dt.timedelta(days=days - 1)
        start = first - dt.timedelta(days=CLOSENESS_LOOKBACK_DAYS)
        since = dt.datetime.combine(start, dt.time()).timestamp()  # local midnight
        said, (met, messages, conversations), learned = await store.read(
            lambda db: _said(db, since)
        )
        entries = await asyncio.to_thread(timeline, said, first, today, None, learned)
        if self._feelings is not None:
            entries = await _felt(self._feelings, entries, said, first)
        known = 0 if met is None else (today - dt.datetime.fromtimestamp(met).date()).days + 1
        now = entries[-1]
        return Timeline(
            entries,
            Relationship(met, max(0, known), int(conversations), int(messages),
                         now.closeness, now.trust, now.known),
        )  # fmt: skip


async def _felt(
    sum_up: Summer, entries: list[DayMood], said: list[tuple[float, str]], first: dt.date
) -> list[DayMood]:
    """The days' mood and feelings as the emotion reader reads them: each day's
    messages summed up; closeness and trust stay as they were."""
    by_day: dict[dt.date, list[str]] = {}
    for stamp, text in said:
        day = dt.datetime.fromtimestamp(stamp).date()
        if day >= first:
            by_day.setdefault(day, []).append(text)
    summed = dict(zip(by_day, await sum_up(list(by_day.values())), strict=True))
    out = []
    for entry in entries:
        felt = summed.get(entry.date)
        if felt is None:
            out.append(entry)
            continue
        out.append(replace(
            entry, mood=felt.valence, mood_label=felt.label,
            feelings=tuple((f.label, f.intensity) for f in felt.feelings), words=felt.words,
        ))  # fmt: skip
    return out
