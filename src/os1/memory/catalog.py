"""The catalog: memories as a person browses them, each with a ref and its evidence.

Doors that show memories (the web UI's memory page, ``os1 memory``) need the same few
reads: parse a ref the person typed or clicked, the newest memories, one memory with the
episodes a fact was learned from, and search hits filled in the same way. They are built
on ``FactBook`` and ``EpisodeLog`` so there is one way to read a fact or an episode.

A ref is ``fact:12`` or ``episode:40`` (the short ``f12`` / ``e40`` of the CLI works too).
A fact's ``time`` is when it was learned, its ``source`` the source of its oldest evidence
(``chat``, ``import``, ...) or ``fact`` when it has none; an episode has no confidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from os1.errors import InputError
from os1.memory.episodes import Episode, EpisodeLog
from os1.memory.facts import Fact, FactBook
from os1.memory.retrieval import Kind
from os1.store import UserStore

MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger id cannot exist
_REF = re.compile(r"(fact|episode|f|e):?([0-9]{1,19})", re.IGNORECASE)
_BARE = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class SourceItem:
    """An episode a fact rests on."""

    ref: str
    text: str
    time: float
    source: str


@dataclass(frozen=True)
class MemoryItem:
    kind: Kind
    id: int
    text: str
    time: float
    speaker: str | None
    source: str
    confidence: float | None
    sources: tuple[SourceItem, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


def parse_ref(text: str, default_kind: Kind | None = None) -> tuple[Kind, int]:
    """``"fact:12"`` -> ``("fact", 12)``; also ``episode:40``, ``f12``, ``e40``, and bare
    digits when ``default_kind`` is given.

    Raises:
        InputError: ``memory_ref_invalid`` when ``text`` is not a ref (or names an id no
            store can hold).
    """
    clean = text.strip()
    kind: Kind | None = None
    digits = ""
    if (match := _REF.fullmatch(clean)) is not None:
        kind = "fact" if match.group(1).lower().startswith("f") else "episode"
        digits = match.group(2)
    elif default_kind is not None and _BARE.fullmatch(clean):
        kind, digits = default_kind, clean
    if kind is None or int(digits) > MAX_ID:
        raise InputError(
            "memory_ref_invalid",
            f"{text[:40]!r} is not a memory ref.",
            "Refs look like fact:12 or episode:40; a search or the memory list shows them.",
        )
    return kind, int(digits)


def ref_or_none(text: str, default_kind: Kind | None = None) -> tuple[Kind, int] | None:
    """Like ``parse_ref``, but None for text that is not a ref (e.g. words to search)."""
    try:
        return parse_ref(text, default_kind)
    except InputError:
        return None


def _episode_item(episode: Episode) -> MemoryItem:
    return MemoryItem(
        "episode", episode.id, episode.text, episode.time, episode.speaker, episode.source, None
    )


def _fact_item(fact: Fact, evidence: dict[int, Episode]) -> MemoryItem:
    found = sorted(
        (evidence[i] for i in fact.source_episode_ids if i in evidence),
        key=lambda e: (e.time, e.id),
    )
    sources = tuple(SourceItem(f"episode:{e.id}", e.text, e.time, e.source) for e in found)
    return MemoryItem(
        "fact",
        fact.id,
        fact.text,
        fact.created_at,
        None,
        found[0].source if found else "fact",
        fact.confidence,
        sources,
    )


async def _assemble(
    store: UserStore, order: Sequence[tuple[Kind, int]], facts: list[Fact], episode_ids: list[int]
) -> list[MemoryItem]:
    """Items in ``order`` from ``facts`` and the episodes with ``episode_ids``, evidence
    included; refs with nothing behind them are left out."""
    wanted = episode_ids + [i for f in facts for i in f.source_episode_ids]
    episodes = {e.id: e for e in await EpisodeLog(store).get(list(dict.fromkeys(wanted)))}
    by_fact = {f.id: f for f in facts}
    asked = set(episode_ids)
    items: list[MemoryItem] = []
    for kind, item in order:
        if kind == "fact" and item in by_fact:
            items.append(_fact_item(by_fact[item], episodes))
        elif kind == "episode" and item in episodes and item in asked:
            items.append(_episode_item(episodes[item]))
    return items


async def describe(store: UserStore, refs: Sequence[tuple[Kind, int]]) -> list[MemoryItem]:
    """The memories behind ``refs``, in that order; refs that are not this person's (or
    no longer exist) are left out."""
    book = FactBook(store)
    facts = [f for kind, i in refs if kind == "fact" if (f := await book.get(i)) is not None]
    return await _assemble(store, refs, facts, [i for kind, i in refs if kind == "episode"])


async def get_item(store: UserStore, kind: Kind, item: int) -> MemoryItem | None:
    """One memory with its evidence, or None if this person has no such memory."""
    found = await describe(store, [(kind, item)])
    return found[0] if found else None


async def newest(store: UserStore, k: int) -> list[MemoryItem]:
    """At most ``k`` memories: the newest current facts, then the newest episodes."""
    facts = await FactBook(store).current(k)
    episodes = await EpisodeLog(store).recent(k - len(facts)) if len(facts) < k else []
    order: list[tuple[Kind, int]] = [("fact", f.id) for f in facts]
    order += [("episode", e.id) for e in episodes]
    return await _assemble(store, order, facts, [e.id for e in episodes])
