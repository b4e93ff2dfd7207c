"""A chat model behind any OpenAI-compatible HTTP server: Ollama, vLLM, llama.cpp's server.

Design choices:

- One keep-alive ``aiohttp.ClientSession`` per backend, made on first use so that building
  the backend never touches the network; ``aclose`` releases it. aiohttp rather than
  httpx: with a hundred replies streaming at once (a busy ``os1 serve``), httpx's pool
  spent 5-27 ms of CPU per reply here, aiohttp about 0.6 ms.
- Always streamed. Server-sent events are read line by line and tolerantly: comments and
  keepalives, ``event:``/``id:`` fields, JSON split over several ``data:`` lines, a missing
  ``[DONE]`` and usage-only chunks with empty ``choices`` are all accepted. A server that
  ignores ``stream`` and answers with one JSON completion is accepted too.
- Text deltas are yielded as they arrive; the usage often comes after the finish reason, so
  one empty final chunk carries both. Token counts and timings come from ``usage`` and, on
  llama.cpp, ``timings``; when the server reports no timings they are measured here (time
  to first token, then time to the last one).
- Cancellation is cooperative (``CancelToken``, checked per event); closing the iterator
  early closes the HTTP response, which tells the server to stop generating.
- Every failure is a ``ModelError`` whose hint says what to do: ``llm_unreachable``,
  ``llm_timeout``, ``llm_http_error``, ``llm_bad_response``, ``llm_server_error`` (an error
  event mid-stream) and ``llm_connection_lost``. The API key only ever travels in the
  ``Authorization`` header and is scrubbed from any text a server sends back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from os1.errors import ModelError
from os1.events import Usage
from os1.models.base import CancelToken, ChatMessage, Chunk, GenerationOptions, chat_request

log = logging.getLogger(__name__)

_EXCERPT_CHARS = 200
READ_LIMIT = 4 * 1024 * 1024  # longest line of a stream os1 reads
_UNREACHABLE_HINT = (
    "Start it (for example `ollama serve`) or point OS1_LLM_URL at a running server; "
    "`os1 doctor` checks it."
)
_URL_HINT = "Check that OS1_LLM_URL points at an OpenAI-compatible API (it usually ends in /v1)."


def request_body(
    model: str, messages: list[ChatMessage], options: GenerationOptions
) -> dict[str, Any]:
    """The streaming chat-completions request for ``messages``."""
    return {
        "model": model,
        "stream": True,
        "stream_options": {"include_usage": True},
        **chat_request(messages, options),
    }


class _Malformed(Exception):
    """The server's stream cannot be read; the message says how."""


def _number(source: dict[str, Any], key: str) -> float:
    value = source.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass
class _Progress:
    """What one generation has produced so far: finish reason, usage, timings, clock."""

    started: float = field(default_factory=time.perf_counter)
    first_text: float | None = None
    last_text: float | None = None
    deltas: int = 0
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)

    def take(self, payload: dict[str, Any]) -> str:
        """Record one streamed chunk (or a whole completion) and return its text."""
        if isinstance(payload.get("usage"), dict):
            self.usage = payload["usage"]
        if isinstance(payload.get("timings"), dict):
            self.timings = payload["timings"]
        choices = payload.get("choices")
        if not choices:
            return ""
        if not isinstance(choices, list) or not isinstance(choices[0], dict):
            raise _Malformed("'choices' is not a list of objects")
        choice = choices[0]
        if isinstance(choice.get("finish_reason"), str):
            self.finish_reason = choice["finish_reason"]
        message = choice.get("delta") or choice.get("message") or {}
        text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text:
            return ""
        now = time.perf_counter()
        self.first_text = self.first_text or now
        self.last_text = now
        self.deltas += 1
        return text

    def result(self) -> Usage:
        """Usage as reported; counted deltas and measured times fill what is missing."""
        u, t = self.usage, self.timings
        details = u.get("prompt_tokens_details")
        details = details if isinstance(details, dict) else {}
        cached = _number(t, "cache_n") or _number(details, "cached_tokens")
        prompt = _number(u, "prompt_tokens") or _number(t, "prompt_n") + cached
        completion = _number(u, "completion_tokens") or _number(t, "predicted_n") or self.deltas
        if "prompt_ms" in t or "predicted_ms" in t:
            prompt_ms, generation_ms = _number(t, "prompt_ms"), _number(t, "predicted_ms")
        else:
            first = self.first_text or time.perf_counter()
            prompt_ms = (first - self.started) * 1000
            generation_ms = ((self.last_text or first) - first) * 1000
        return Usage(int(prompt), int(completion), int(cached), prompt_ms, generation_ms)


class _SSEReader:
    """Turns server-sent-event lines into JSON payloads, one complete event at a time."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self.done = False
        self.events = 0

    def feed(self, line: str) -> dict[str, Any] | None:
        if not line.strip():  # a blank line ends an event
            return self._flush(final=True)
        if line.startswith(":"):  # comment or keepalive
            return None
        name, _, value = line.partition(":")
        if name != "data":  # event:, id:, retry: carry nothing needed here
            return None
        value = value.removeprefix(" ")
        if not self._data and value.strip() == "[DONE]":
            self.done = True
            return None
        self._data.append(value)
        return self._flush(final=False)

    def close(self) -> None:
        self._flush(final=True)

    def _flush(self, final: bool) -> dict[str, Any] | None:
        if not self._data:
            return None
        text = "\n".join(self._data)
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            if not final:
                return None  # JSON may continue on the next data: line
            raise _Malformed(f"an event is not JSON ({exc.msg}): {text[:60]!r}") from exc
        self._data = []
        if not isinstance(payload, dict):
            raise _Malformed(f"an event is not a JSON object: {text[:60]!r}")
        self.events += 1
        return payload


def _excerpt(body: bytes) -> str:
    """The server's own error message if it sent JSON, else its text; at most 200 chars."""
    text = body.decode("utf-8", "replace")
    with contextlib.suppress(ValueError):
        payload = json.loads(text)
        if isinstance(payload, dict):
            error = payload.get("error", payload.get("detail", payload.get("message")))
            if isinstance(error, dict):
                error = error.get("message", error)
            if error is not None:
                text = error if isinstance(error, str) else json.dumps(error)
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1] + "…"


def _public(url: str) -> str:
    """``url`` without user info or query, which may hold secrets."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read what follows ``[DONE]`` (the chunked terminator), briefly, so the connection
    goes back to the pool instead of being closed and opened anew for the next reply."""
    with contextlib.suppress(TimeoutError, aiohttp.ClientError, ValueError):
        async with asyncio.timeout(1.0):
            await response.content.read()


async def _lines(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    """The body's lines as text, without their line ends."""
    try:
        async for raw in response.content:
            yield raw.decode("utf-8", "replace").rstrip("\r\n")
    except ValueError as exc:  # aiohttp's "Chunk too big": a line over READ_LIMIT
        raise _Malformed("a line of the stream is too long") from exc


class OpenAICompatLLM:
    """A chat model served over the OpenAI chat-completions API.

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:11434/v1`` for Ollama.
        model: the model name the server knows it by.
        api_key: sent as a Bearer token when set.
        n_ctx: the server's context window in tokens (it cannot be asked portably).
        timeout: seconds to wait for each response or streamed piece; connecting waits at
            most 10 s.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        n_ctx: int = 4096,
        timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}"
        self.n_ctx = n_ctx
        self._api_key = api_key
        self._timeout = timeout
        self._client: aiohttp.ClientSession | None = None

    def count_tokens(self, text: str) -> int:
        """A tokenizer-free over-estimate: one token per ASCII digit, one per 3 other bytes.

        Common BPE tokenizers average about 4 bytes per token on prose and one to three
        digits per token, so this overshoots ordinary text; it never asks the server.
        """
        digits = sum(1 for c in text if "0" <= c <= "9")
        return digits + math.ceil((len(text.encode()) - digits) / 3)

    async def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncGenerator[Chunk, None]:
        """Yield the reply as it is generated; the last chunk has finish reason and usage.

        Raises:
            ModelError: the server is unreachable, slow, refuses the request or sends
                something unreadable.
        """
        body = request_body(self.model, messages, options)
        progress, reader, cancelled = _Progress(), _SSEReader(), False
        log.debug("chat request to %s (model %s)", _public(self.base_url), self.model)
        with self._mapped_errors():
            url = f"{self.base_url}/chat/completions"
            async with await self._post(url, body) as response:
                await self._check_status(response)
                if response.headers.get("content-type", "").startswith("application/json"):
                    text = progress.take(self._json(await response.read()))  # not streamed
                    if text:
                        yield Chunk(text)
                else:
                    async for line in _lines(response):
                        cancelled = cancel is not None and cancel.cancelled
                        if cancelled:
                            break
                        payload = reader.feed(line)
                        if payload is not None:
                            if payload.get("error"):
                                raise self._error("llm_server_error", payload)
                            text = progress.take(payload)
                            if text:
                                yield Chunk(text)
                                cancelled = cancel is not None and cancel.cancelled
                        if cancelled or reader.done:
                            break
                    else:
                        reader.close()
                        if not reader.events:
                            kind = response.headers.get("content-type") or "no content type"
                            raise _Malformed(f"no events arrived (content type: {kind})")
                    if reader.done and not cancelled:
                        await _drain(response)
        finish = "cancelled" if cancelled else progress.finish_reason or "stop"
        yield Chunk("", finish_reason=finish, usage=progress.result())

    async def ping(self) -> list[str]:
        """The ids of the models the server offers (``GET /models``); for ``os1 doctor``.

        Raises:
            ModelError: as ``stream`` does.
        """
        with self._mapped_errors():
            async with self._http().get(f"{self.base_url}/models") as response:
                await self._check_status(response)
                data = self._json(await response.read()).get("data")
            if not isinstance(data, list):
                raise _Malformed("the model list has no 'data' array")
            return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]

    async def aclose(self) -> None:
        """Close the HTTP client; idempotent (a later call makes a new one)."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def _post(self, url: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
        """POST, trying once more if a pooled connection turns out to have been closed by
        the server before it answered (servers close idle keep-alive connections; nothing
        was generated, so sending again is safe)."""
        try:
            return await self._http().post(url, json=body)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            log.debug("a kept-alive connection to the model server was closed; retrying")
            return await self._http().post(url, json=body)

    def _http(self) -> aiohttp.ClientSession:
        if self._client is None:
            headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            timeout = aiohttp.ClientTimeout(
                total=None, connect=min(self._timeout, 10.0), sock_read=self._timeout
            )
            # a server streams hundreds of replies at once: no cap on the pool
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=30)
            self._client = aiohttp.ClientSession(
                headers=headers, timeout=timeout, connector=connector, read_bufsize=READ_LIMIT
            )
        return self._client

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise _Malformed(f"the body is not JSON: {body[:60]!r}") from exc
        if not isinstance(payload, dict):
            raise _Malformed("the body is not a JSON object")
        return payload

    async def _check_status(self, response: aiohttp.ClientResponse) -> None:
        if response.status >= 400:
            raise self._error("llm_http_error", await response.read(), response.status)

    @contextlib.contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        """Turn transport failures and unreadable replies into ``ModelError``."""
        try:
            yield
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors too
            raise self._error("llm_timeout") from exc
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as exc:
            raise self._error("llm_unreachable") from exc
        except aiohttp.ClientError as exc:
            raise self._error("llm_connection_lost", type(exc).__name__) from exc
        except _Malformed as exc:
            raise self._error("llm_bad_response", str(exc)) from exc

    def _error(self, code: str, detail: object = None, status: int = 0) -> ModelError:
        """The ``ModelError`` for ``code``, with the API key scrubbed from every word."""
        url = _public(self.base_url)
        if code == "llm_timeout":
            message = f"The model server at {url} did not answer within {self._timeout:g} s."
            hint = "Raise OS1_LLM_TIMEOUT, or check that the server is not overloaded."
        elif code == "llm_unreachable":
            message, hint = f"Cannot reach the model server at {url}.", _UNREACHABLE_HINT
        elif code == "llm_connection_lost":
            message = f"The connection to the model server at {url} broke ({detail})."
            hint = "See the server's log: it may have crashed or restarted. Then try again."
        elif code == "llm_bad_response":
            message = f"The model server at {url} sent a reply os1 cannot read: {detail}."
            hint = _URL_HINT
        elif code == "llm_server_error":
            excerpt = _excerpt(json.dumps(detail).encode())
            message = f"The model server at {url} failed mid-reply: {excerpt}"
            hint = "See the server's log; a shorter conversation (/new) may help."
        else:
            excerpt = _excerpt(detail if isinstance(detail, bytes) else b"")
            message = f"The model server at {url} answered HTTP {status}: {excerpt or '(empty)'}"
            hint = self._status_hint(status, excerpt)
        if self._api_key:
            message = message.replace(self._api_key, "***")
        return ModelError(code, message, hint)

    def _status_hint(self, status: int, excerpt: str) -> str:
        if status in (401, 403):
            return "Check OS1_LLM_API_KEY: the server refused the key, or needs one."
        if status == 404:
            return (
                f"Check that OS1_LLM_MODEL ({self.model}) names a model the server has "
                "(`os1 doctor` lists them) and that OS1_LLM_URL ends in /v1."
            )
        if status == 400 and "context" in excerpt.lower():
            return "The conversation is too long for the model: start a new one (/new)."
        if status == 429 or status == 503:
            return "The server is busy or rate-limited; wait a moment and try again."
        if status >= 500:
            return "The server failed; see its log, then try again."
        return _URL_HINT
