"""Reading feelings, for every door (``os1 affect``, ``os1 mood``, REST, MCP): which of
the 28 GoEmotions feelings a message carries, how strongly, and the words behind them.

The reader is ``persona.emotions`` (its weights ship with os1); it needs the sentence
vector of the embedder it was trained with, which memory usually has loaded already and
which is otherwise loaded here once. Reading is CPU work, so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from os1.config import default_cache
from os1.core.base import Core
from os1.errors import InputError
from os1.models.embed import Embedder, embedder_from
from os1.persona.emotions import MAX_CHARS, EmotionModel, Reading
from os1.turn.perceive import clean_input

__all__ = ["MAX_CHARS", "MOST_TEXTS", "Feelings", "Reading"]

MOST_TEXTS = 2_000  # messages read in one call


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
