"""A scripted model for fast unit tests only (after simonw/llm's ``MockModel``).

Tests ``enqueue`` the replies the model will give, in order; each reply streams word by
word so tests see real streaming. A JSON-schema request takes the next queued dict (sent
serialized), a plain request the next queued string. With nothing queued, ``fallback`` answers (an
echo of the last message, or a schema-shaped example for JSON), so tests that do not care
about the words need not script them. Every request is recorded
in ``requests`` for assertions.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from os1.errors import ModelError
from os1.events import Usage
from os1.models.base import CancelToken, ChatMessage, Chunk, GenerationOptions


@dataclass(frozen=True)
class ScriptedRequest:
    messages: list[ChatMessage]
    options: GenerationOptions


def example_for(schema: dict[str, Any]) -> Any:
    """A small value that satisfies simple schemas: capitalized words, first enum, minimum."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {key: example_for(props[key]) for key in schema.get("required", props)}
    if kind == "array":
        return [example_for(schema.get("items", {}))] * int(schema.get("minItems", 0))
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "string":
        return "Scripted" + "x" * max(0, int(schema.get("minLength", 0)) - 8)
    return None


def _default_fallback(
    messages: list[ChatMessage], options: GenerationOptions
) -> str | dict[str, Any]:
    if options.json_schema is not None:
        value = example_for(options.json_schema)
        if not isinstance(value, dict):
            raise ModelError("scripted_empty", "No scripted JSON reply was queued.")
        return value
    last = messages[-1].content if messages else ""
    return f"(scripted reply to: {last[:60]})"


class ScriptedLLM:
    """Replays queued replies. ``delay`` sleeps between words to mimic a slow model."""

    def __init__(
        self,
        replies: list[str | dict[str, Any]] | None = None,
        n_ctx: int = 4096,
        delay: float = 0.0,
        fallback: Callable[[list[ChatMessage], GenerationOptions], str | dict[str, Any]]
        | None = None,
    ) -> None:
        self.name = "scripted"
        self.n_ctx = n_ctx
        self.delay = delay
        self.fallback = fallback or _default_fallback
        self.requests: list[ScriptedRequest] = []
        self._queue: deque[str | dict[str, Any]] = deque(replies or [])

    def enqueue(self, *replies: str | dict[str, Any]) -> None:
        self._queue.extend(replies)

    def _next(self, want_json: bool) -> str | dict[str, Any] | None:
        """The first queued reply of the kind asked for: a dict for JSON, else a string."""
        for index, reply in enumerate(self._queue):
            if isinstance(reply, dict) == want_json:
                del self._queue[index]
                return reply
        return None

    def count_tokens(self, text: str) -> int:
        """Words and punctuation as tokens: close enough to exercise budgeting."""
        return len(re.findall(r"\w+|[^\w\s]", text)) + 1

    async def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[Chunk]:
        self.requests.append(ScriptedRequest(list(messages), options))
        reply = self._next(options.json_schema is not None)
        if reply is None:
            reply = self.fallback(messages, options)
        text = json.dumps(reply) if isinstance(reply, dict) else reply
        pieces = re.findall(r"\S+\s*|\s+", text)
        limit = options.max_tokens
        emitted = 0
        prompt_tokens = sum(self.count_tokens(m.content) for m in messages)
        for piece in pieces[:limit]:
            if cancel is not None and cancel.cancelled:
                yield Chunk("", "cancelled", Usage(prompt_tokens, emitted))
                return
            if self.delay:
                await asyncio.sleep(self.delay)
            else:
                await asyncio.sleep(0)
            emitted += 1
            yield Chunk(piece)
        reason = "length" if len(pieces) > limit else "stop"
        yield Chunk("", reason, Usage(prompt_tokens, emitted))

    async def aclose(self) -> None:
        self._queue.clear()
