"""A model loaded on first use: commands that seldom need it (``os1 files declutter``,
``os1 undo``) start at once and spend no memory on it, and still have it when a skill
does need it (a mail draft, a proofreading pass)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from os1.models.base import LLM, CancelToken, ChatMessage, Chunk, GenerationOptions


class LazyLLM:
    def __init__(self, name: str, n_ctx: int, load: Callable[[], Awaitable[LLM]]) -> None:
        self.name = name
        self.n_ctx = n_ctx
        self._load = load
        self._model: LLM | None = None
        self._lock = asyncio.Lock()

    async def _loaded(self) -> LLM:
        async with self._lock:
            if self._model is None:
                self._model = await self._load()
            return self._model

    async def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[Chunk]:
        model = await self._loaded()
        async for chunk in model.stream(messages, options, cancel):
            yield chunk

    def count_tokens(self, text: str) -> int:
        if self._model is not None:
            return self._model.count_tokens(text)
        return len(text.encode())  # a token is at least one byte: a safe over-estimate

    async def erase_kept_prompts(self) -> None:
        """As the loaded model's (nothing is cached before it loads)."""
        erase = getattr(self._model, "erase_kept_prompts", None)
        if callable(erase):
            await erase()

    async def aclose(self) -> None:
        if self._model is not None:
            await self._model.aclose()
