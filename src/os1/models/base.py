"""What every language-model backend offers, whatever runs it.

A backend implements ``stream``; ``complete`` and ``complete_json`` are built on it here so
that the local model, an OpenAI-compatible server and the scripted fake behave alike.
Cancellation is cooperative: the caller sets a ``CancelToken`` (or stops iterating) and the
backend stops generating at the next token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from os1.errors import ModelError
from os1.events import Usage

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    """Sampling and shape of one generation.

    ``json_schema`` constrains the output to JSON matching the schema (grammar-constrained
    on the local model, ``response_format`` on OpenAI-compatible servers). ``background``
    marks work nobody is waiting for (summaries, extraction): the local model runs it in a
    separate cache slot and stops it (``finish_reason == "preempted"``) when a person's
    turn needs the model. ``routing`` marks choosing a tool for the person's turn: it is
    foreground work, but the local model gives it a cache slot of its own so the
    conversation's cached prompt survives it.
    """

    max_tokens: int = 400
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int | None = None
    stop: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None
    cache_prompt: bool = True
    background: bool = False
    routing: bool = False


@dataclass(frozen=True)
class Chunk:
    """A piece of generated text; the last chunk carries ``finish_reason`` and ``usage``."""

    text: str
    finish_reason: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str
    usage: Usage = field(default_factory=Usage)


class BackgroundGate:
    """Keeps background model work (learning, reading the tool menu ahead) from
    starting while a person waits on work that is more than the model's: a piece is
    rendered and engraved after the model chose its music, and both want the cores."""

    def __init__(self) -> None:
        self._holds = 0
        self._open = asyncio.Event()
        self._open.set()

    @contextlib.asynccontextmanager
    async def held(self, make_way: Callable[[], None]) -> AsyncIterator[None]:
        """Closed while the block runs; ``make_way`` stops the background job under way."""
        self._holds += 1
        self._open.clear()
        make_way()
        try:
            yield
        finally:
            self._holds -= 1
            if not self._holds:
                self._open.set()

    async def passed(self, options: GenerationOptions) -> None:
        """Returns at once for a person's request; a background one waits while held."""
        while options.background and self._holds:
            await self._open.wait()


class CancelToken:
    """A thread-safe flag: set it to stop a generation at the next token."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def chat_request(messages: list[ChatMessage], options: GenerationOptions) -> dict[str, Any]:
    """The OpenAI chat-completions body both backends send (they add their own keys)."""
    body: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": options.max_tokens,
        "temperature": options.temperature,
        "top_p": options.top_p,
        # llama.cpp reuses the cached prompt prefix; Ollama and vLLM ignore the key.
        "cache_prompt": options.cache_prompt,
    }
    if options.seed is not None:
        body["seed"] = options.seed
    if options.stop:
        body["stop"] = list(options.stop)
    if options.json_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": options.json_schema, "strict": True},
        }
    return body


class LLM(Protocol):
    """A chat model. Implementations: local_gguf, openai_compat, scripted."""

    name: str
    n_ctx: int

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[Chunk]:
        """Yield the reply in pieces; the final chunk has ``finish_reason`` set.

        Raises:
            ModelError: the model is missing, unreachable or failed.
        """
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes in a prompt (exact or a safe over-estimate)."""
        ...

    async def aclose(self) -> None:
        """Release the model; idempotent."""
        ...


async def ready(llm: LLM) -> None:
    """Wait for a model loaded on first use (``LazyLLM``) to be loaded, so that its token
    counts are exact rather than estimated; other models are always ready.

    Raises:
        Os1Error: the model could not be loaded.
    """
    wait = getattr(llm, "ready", None)
    if callable(wait):
        await wait()


async def complete(
    llm: LLM,
    messages: list[ChatMessage],
    options: GenerationOptions,
    cancel: CancelToken | None = None,
) -> Completion:
    """Run a generation to its end and return the whole text."""
    parts: list[str] = []
    finish, usage = "stop", Usage()
    async for chunk in llm.stream(messages, options, cancel):
        parts.append(chunk.text)
        if chunk.finish_reason:
            finish = chunk.finish_reason
        if chunk.usage:
            usage = chunk.usage
    return Completion("".join(parts), finish, usage)


async def complete_json(
    llm: LLM,
    messages: list[ChatMessage],
    schema: dict[str, Any],
    options: GenerationOptions | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Generate one JSON object constrained by ``schema`` and parse it; ``cancel`` stops
    it (then ``generation_stopped`` is raised).

    Raises:
        ModelError: the output was cut off (``finish_reason == "length"``) or is not a JSON
            object; bound arrays and strings in the schema to avoid the first.
    """
    opts = replace(options or GenerationOptions(temperature=0.0), json_schema=schema)
    result = await complete(llm, messages, opts, cancel)
    if result.finish_reason in ("cancelled", "preempted"):
        raise ModelError("generation_stopped", "The JSON generation was stopped before it ended.")
    if result.finish_reason == "length":
        raise ModelError(
            "json_truncated",
            "The model's JSON answer was cut off before it ended.",
            "Raise max_tokens or bound the schema's arrays and strings.",
        )
    try:
        value = json.loads(result.text)
    except json.JSONDecodeError as exc:
        raise ModelError("json_invalid", f"The model did not return valid JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise ModelError("json_invalid", "The model returned JSON that is not an object.")
    return value
