"""Reading feelings, for every door (``os1 affect``, ``os1 mood``, REST, MCP): which of
the 28 GoEmotions feelings a message carries, how strongly, and the words behind them.

The reader is ``persona.emotions`` (its weights ship with os1); it needs the sentence
vector of the embedder it was trained with, shared with memory (``Memory.embedder``) or,
for a companion without memory, loaded here once. Reading is CPU work, so it runs in a
worker thread.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from os1.config import default_cache
from os1.core.base import Core
from os1.errors import InputError, StoreError
from os1.models.embed import Embedder, embedder_from
from os1.persona.emotions import MAX_CHARS, EmotionModel, Reading, Summary, summary
from os1.persona.own_feelings import (
    HONEST,
    Made,
    OwnFeeling,
    Said,
    own_feelings,
    said_aloud,
    snippet,
)
from os1.store import Scoped, UserStore
from os1.store.user import read_status
from os1.turn.perceive import clean_input

__all__ = [
    "HONEST", "MAX_CHARS", "MOST_TEXTS", "ConversationMood", "Feelings", "OwnFeeling",
    "Reading", "said_aloud",
]  # fmt: skip

MOST_TEXTS = 2_000  # messages read in one call
LOOKBACK_DAYS = 21  # older events have faded to almost nothing (half-life 3 days)
PER_CONVERSATION = 500  # a conversation's newest messages read for its mood
TONE_MESSAGES = 60  # the newest messages a reply's tone is read from
MOST_MADE = 60  # things made, the newest looked at
KEPT_READINGS = 20_000  # readings kept by message id for the tone (about 2 MB)


@dataclass(frozen=True)
class ConversationMood:
    """One conversation's feelings: its number and title, when it began and last moved,
    and the person's messages in it summed up (``emotions.summary``)."""

    id: int
    title: str
    started_at: float
    last_at: float
    felt: Summary

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "started_at": self.started_at,
            "last_at": self.last_at, "messages": self.felt.messages,
            "mood": self.felt.valence, "mood_label": self.felt.label,
            "feelings": [{"label": f.label, "share": f.intensity} for f in self.felt.feelings],
            "words": list(self.felt.words),
        }  # fmt: skip


class Feelings:
    """The person's feelings, read from their words."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._model: EmotionModel | None = None
        self._embedder: Embedder | None = None
        self._loading = asyncio.Lock()
        self._kept: OrderedDict[int, Reading] = OrderedDict()  # readings by message id
        self._wanted = False  # a talking companion: replies take their tone from it

    async def read(self, texts: Sequence[str]) -> list[Reading]:
        """The reading of each text, in order. An empty text, or one in a language other
        than English, reads as ``unknown``; a text longer than ``MAX_CHARS`` is read by
        its beginning.

        Raises:
            InputError: ``affect_too_many`` for more than ``MOST_TEXTS`` texts at once.
        """
        if len(texts) > MOST_TEXTS:
            raise InputError(
                "affect_too_many",
                f"That is {len(texts)} messages; os1 reads at most {MOST_TEXTS} at once.",
                "Split them into smaller batches.",
            )
        if not texts:
            return []
        cleaned = [_readable(t) for t in texts]
        model, embedder = await self._loaded()
        return await asyncio.to_thread(
            lambda: model.read(cleaned, embedder.embed([t[:MAX_CHARS] for t in cleaned]))
        )

    async def read_all(self, texts: Sequence[str]) -> list[Reading]:
        """``read``, a batch of ``MOST_TEXTS`` at a time, for any number of texts (a
        month of someone's messages); the doors use ``read``, which caps the count."""
        readings: list[Reading] = []
        for start in range(0, len(texts), MOST_TEXTS):
            readings += await self.read(texts[start : start + MOST_TEXTS])
        return readings

    async def own(self, user: str, now: float | None = None) -> list[OwnFeeling]:
        """The companion's own feelings towards ``user`` now, strongest first, each with
        its reason (``persona.own_feelings``); ``HONEST`` says what they are."""
        store = await self.core.store(user)
        now = time.time() if now is None else now
        since = now - LOOKBACK_DAYS * 86_400
        rows = await store.read(lambda db: _conversation(db, since))
        found = iter(await self.read_all([str(r[4]) for r in rows if r[2] == "user"]))
        return own_feelings(_said(rows, lambda _: next(found)), now, await _made(store, since))

    async def for_tone(self, user: str) -> list[OwnFeeling] | None:
        """The feelings that colour a reply's tone (``own_feelings.tone_note``): from the
        newest ``TONE_MESSAGES`` messages, each read once and its reading kept by message
        id, so a turn reads only its own message. None for a companion that was not
        started to talk (``warm_up`` was not asked for)."""
        if not self._wanted:
            return None
        await self._loaded()  # loaded at start, long before a real model is ready
        store = await self.core.store(user)
        now = time.time()
        since = now - LOOKBACK_DAYS * 86_400
        rows = await store.read(lambda db: _conversation(db, since, TONE_MESSAGES))
        unread = [(r[0], str(r[4])) for r in rows if r[2] == "user" and r[0] not in self._kept]
        readings = await self.read([t for _, t in unread])
        for (number, _), reading in zip(unread, readings, strict=True):
            self._kept[number] = reading
        while len(self._kept) > KEPT_READINGS:
            self._kept.popitem(last=False)
        said = _said(rows, lambda number: self._kept.get(number))
        return own_feelings(said, now, await _made(store, said[0].at if said else now))

    async def summaries(self, groups: Sequence[Sequence[str]]) -> list[Summary]:
        """Each group of texts (a day's, a conversation's) summed up, read in one go."""
        readings = iter(await self.read_all([text for group in groups for text in group]))
        return [summary([next(readings) for _ in group]) for group in groups]

    async def conversations(self, user: str, limit: int = 20) -> list[ConversationMood]:
        """The feelings of the person's ``limit`` latest conversations, newest first."""
        store = await self.core.store(user)
        rows = await store.read(lambda db: _conversations(db, limit))
        felt = await self.summaries([texts for *_, texts in rows])
        return [
            ConversationMood(number, title, started, last, summed)
            for (number, title, started, last, _), summed in zip(rows, felt, strict=True)
        ]

    def warm_up(self) -> Coroutine[Any, Any, tuple[EmotionModel, Embedder]]:
        """Work that loads the reader, for the background of a companion that talks
        (``start``); from now on a reply's tone waits for it rather than going without."""
        self._wanted = True
        return self._loaded()

    async def _loaded(self) -> tuple[EmotionModel, Embedder]:
        async with self._loading:
            if self._model is None or self._embedder is None:
                model = await asyncio.to_thread(EmotionModel.load)
                self._embedder = await self._embedder_named(model.embedder)
                self._model = model
            return self._model, self._embedder

    async def _embedder_named(self, name: str) -> Embedder:
        if self.core.memory is not None:
            return await self.core.memory.embedder(name)
        settings = self.core.settings
        cache = settings.cache_dir if settings is not None else default_cache()
        return await asyncio.to_thread(embedder_from, name, cache)


# What the companion made since a time, newest first, in one bounded read of three small
# columns: this runs in every turn that has its tone coloured, so it reads no letter's
# text and parses no plan. A letter counts once, at its newest version.
_MADE = """
    SELECT created_at, 'letter', recipient FROM letters l
     WHERE user_id = :user_id AND created_at >= :since AND version =
           (SELECT MAX(version) FROM letters m WHERE m.user_id = l.user_id AND m.letter = l.letter)
    UNION ALL
    SELECT created_at, 'piece', about FROM music_pieces
     WHERE user_id = :user_id AND created_at >= :since
    UNION ALL
    SELECT created_at, 'song', about FROM music_songs
     WHERE user_id = :user_id AND created_at >= :since
    ORDER BY created_at DESC LIMIT :n
"""


async def _made(store: UserStore, since: float) -> list[Made]:
    """What the companion made for the person since ``since``: letters, pieces, songs
    (none from a store built without those skills' tables)."""
    try:
        rows = await store.read(lambda db: db.execute(_MADE, {"since": since, "n": MOST_MADE}))
    except StoreError:
        return []  # what it feels must never cost the person their turn
    return [Made(float(at), _made_label(kind, str(what))) for at, kind, what in rows]


def _made_label(kind: str, what: str) -> str:
    if kind == "letter":
        return f"the letter to {what}"
    return f"the {kind} about “{snippet(what)}”"


def _readable(text: str) -> str:
    """The text's beginning, control characters gone and lone surrogates (which JSON can
    carry but no tokenizer takes) replaced."""
    return clean_input(text[: MAX_CHARS * 2]).encode("utf-8", "replace").decode("utf-8")


def _conversation(db: Scoped, since: float, most: int = -1) -> list[Any]:
    """(id, time, role, status, text) of the person's and the companion's messages
    since ``since``, the newest ``most`` of them (-1: all), and the person's last one
    before those, so that a silence is measured from it; oldest first."""
    after = db.execute(
        "SELECT id, created_at, role, status, content FROM messages WHERE user_id = :user_id"
        " AND role IN ('user', 'assistant') AND created_at >= :since"
        " ORDER BY created_at DESC LIMIT :most",
        {"since": since, "most": most},
    )
    first = after[-1][1] if after else time.time()
    before = db.execute(
        "SELECT id, created_at, role, status, content FROM messages WHERE user_id = :user_id"
        " AND role = 'user' AND created_at < :first ORDER BY created_at DESC LIMIT 1",
        {"first": since if most < 0 else first},
    )
    return [*before, *reversed(after)]


def _said(rows: list[Any], reading: Callable[[int], Reading | None]) -> list[Said]:
    """The rows of ``_conversation`` as ``own_feelings`` takes them; ``reading(id)``
    gives each of the person's messages its reading, in order."""
    return [
        Said(float(at), str(role), read_status(status) == "interrupted", str(text),
             reading(number) if role == "user" else None)
        for number, at, role, status, text in rows
    ]  # fmt: skip


def _conversations(db: Scoped, limit: int) -> list[tuple[int, str, float, float, list[str]]]:
    latest = db.execute(
        "SELECT c.id, c.title, c.started_at, MAX(m.created_at) FROM conversations c"
        " JOIN messages m ON m.conversation_id = c.id AND m.role = 'user'"
        " WHERE c.user_id = :user_id AND m.user_id = :user_id"
        " GROUP BY c.id ORDER BY MAX(m.created_at) DESC LIMIT :limit",
        {"limit": limit},
    )
    out = []
    for number, title, started, last in latest:
        texts = db.execute(
            "SELECT content FROM messages WHERE user_id = :user_id AND conversation_id = :c"
            " AND role = 'user' ORDER BY created_at DESC LIMIT :most",
            {"c": number, "most": PER_CONVERSATION},
        )
        out.append((int(number), str(title), float(started), float(last),
                    [str(r[0]) for r in reversed(texts)]))  # fmt: skip
    return out
