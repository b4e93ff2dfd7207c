"""A model loaded on first use: commands that seldom need it (``os1 files declutter``,
``os1 undo``) start at once and spend no memory on it, and still have it when a skill
does need it (a mail draft, a proofreading pass).

``load_ahead`` starts the load in the background instead: a piped ``os1 chat`` loads it
while the script has yet to write its first line, and a script that left before the turn
needed the model never waits for one (issue 22). xllamacpp builds its server without
releasing the interpreter lock, so a load overlaps waiting, not other Python work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, aclosing

from os1.models.base import LLM, BackgroundGate, CancelToken, ChatMessage, Chunk, GenerationOptions


class LazyLLM:
    def __init__(self, name: str, n_ctx: int, load: Callable[[], Awaitable[LLM]]) -> None:
        self.name = name
        self.n_ctx = n_ctx
        self._load = load
        self._model: LLM | None = None
        self._loading: asyncio.Future[LLM] | None = None
        self._gate = BackgroundGate()  # held here, so it holds before the model is loaded

    def load_ahead(self) -> asyncio.Future[LLM]:
        """Start loading now, in the background, unless a load is under way or done (one
        that failed is tried again)."""
        loading = self._loading
        if loading is None or (loading.done() and (loading.cancelled() or loading.exception())):
            self._loading = loading = asyncio.ensure_future(self._load())
        return loading

    async def ready(self) -> LLM:
        """The model, loaded if it was not yet. A caller cancelled while waiting leaves
        the load running for the next one.

        Raises:
            Os1Error: the model could not be loaded.
        """
        if self._model is None:
            self._model = await asyncio.shield(self.load_ahead())
        return self._model

    async def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[Chunk]:
        await self._gate.passed(options)
        model = await self.ready()
        # closed with this one: an inner stream left to the garbage collector would go on
        # reading its prompt and hold the model
        async with aclosing(model.stream(messages, options, cancel)) as chunks:  # type: ignore[type-var]  # backends are async generators
            async for chunk in chunks:
                yield chunk

    def hold_background(self) -> AbstractAsyncContextManager[None]:
        """As the model's."""
        return self._gate.held(self.make_way)

    def make_way(self) -> None:
        """As the loaded model's (nothing runs in the background before it loads)."""
        make_way = getattr(self._model, "make_way", None)
        if callable(make_way):
            make_way()

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
        """Close the model, waiting for a load under way (its thread cannot be stopped)."""
        if self._model is None and self._loading is not None:
            try:
                self._model = await self._loading
            except Exception:  # a load that failed has nothing to close
                return
        if self._model is not None:
            await self._model.aclose()
