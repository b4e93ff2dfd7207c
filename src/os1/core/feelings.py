"""Reading feelings, for every door (``os1 affect``, ``os1 mood``, REST, MCP): which of
the 28 GoEmotions feelings a message carries, how strongly, and the words behind them.

The reader is ``persona.emotions`` (its weights ship with os1); it needs the sentence
vector of the embedder it was trained with, which memory usually has loaded already and
which is otherwise loaded here once. Reading is CPU work, so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from os1.config import default_cache
from os1.core.base import Core
from os1.errors import InputError
from os1.models.embed import Embedder, embedder_from
from os1.persona.emotions import MAX_CHARS, EmotionModel, Reading, Summary, summary
from os1.persona.own_feelings import HONEST, OwnFeeling, Said, own_feelings, said_aloud
from os1.store import Scoped
from os1.turn.perceive import clean_input

__all__ = [
    "HONEST", "MAX_CHARS", "MOST_TEXTS", "ConversationMood", "Feelings", "OwnFeeling",
    "Reading", "said_aloud",
]  # fmt: skip

MOST_TEXTS = 2_000  # messages read in one call
LOOKBACK_DAYS = 21  # older events have faded to almost nothing (half-life 3 days)
PER_CONVERSATION = 500  # a conversation's newest messages read for its mood


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
        found = iter(await self.read_all([str(r[3]) for r in rows if r[1] == "user"]))
        said = [
            Said(float(at), str(role), status == "interrupted", str(text),
                 next(found) if role == "user" else None)
            for at, role, status, text in rows
        ]  # fmt: skip
        return own_feelings(said, now)

    async def conversations(self, user: str, limit: int = 20) -> list[ConversationMood]:
        """The feelings of the person's ``limit`` latest conversations, newest first."""
        store = await self.core.store(user)
        rows = await store.read(lambda db: _conversations(db, limit))
        out = []
        for number, title, started, last, texts in rows:
            felt = summary(await self.read_all(texts))
            out.append(ConversationMood(number, title, started, last, felt))
        return out

    async def _loaded(self) -> tuple[EmotionModel, Embedder]:
        async with self._loading:
            if self._model is None or self._embedder is None:
                model = await asyncio.to_thread(EmotionModel.load)
                self._embedder = await self._embedder_named(model.embedder)
                self._model = model
            return self._model, self._embedder

    async def _embedder_named(self, name: str) -> Embedder:
        memory = self.core.memory
        if memory is not None and (loaded := memory.loaded_embedder(name)) is not None:
            return loaded
        settings = self.core.settings
        cache = settings.cache_dir if settings is not None else default_cache()
        return await asyncio.to_thread(embedder_from, name, cache)


def _readable(text: str) -> str:
    """The text's beginning, control characters gone and lone surrogates (which JSON can
    carry but no tokenizer takes) replaced."""
    return clean_input(text[: MAX_CHARS * 2]).encode("utf-8", "replace").decode("utf-8")


def _conversation(db: Scoped, since: float) -> list[Any]:
    """The person's and the companion's messages since ``since`` (and the person's last
    one before it, so that a silence is measured from it), oldest first."""
    before = db.execute(
        "SELECT created_at, role, status, content FROM messages WHERE user_id = :user_id"
        " AND role = 'user' AND created_at < :since ORDER BY created_at DESC LIMIT 1",
        {"since": since},
    )
    after = db.execute(
        "SELECT created_at, role, status, content FROM messages WHERE user_id = :user_id"
        " AND role IN ('user', 'assistant') AND created_at >= :since ORDER BY created_at",
        {"since": since},
    )
    return [*before, *after]


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
