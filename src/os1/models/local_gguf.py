"""The embedded model: a GGUF run in-process by xllamacpp (llama.cpp), no HTTP in between.

llama.cpp's server object is driven directly: ``handle_chat_completions`` blocks and calls
back per chunk, so each generation runs in one worker thread and hands chunks to the event
loop through a queue. Returning True from the callback stops generation at once, which is
how cancellation works. The server insists on a listener; a Unix socket in a private temp
dir keeps it from opening a TCP port, and that socket also serves ``/tokenize`` for exact
token counts. The folder is named after the process (``os1-llm-<pid>-…``): closing the
model removes it, and a process killed before it could is cleaned up after by the next
model to start (``sweep_stale``). One generation at a time (a lock) keeps the prompt cache warm for
the conversation at hand: the stable prompt prefix is reused turn after turn.

Three cache slots: slot 0 for the person's turns, slot 1 for background work (summaries,
memory extraction), slot 2 for choosing a tool. Neither evicts the conversation's cached
prefix, and a turn preempts background work, even while its prompt is being read (it is
read in small batches, each a chance to stop), so a person waits behind housekeeping for
one batch at most.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from os1.errors import ModelError
from os1.events import Usage
from os1.models.base import (
    BackgroundGate,
    CancelToken,
    ChatMessage,
    Chunk,
    GenerationOptions,
    chat_request,
)
from os1.models.prompt_cache import SavedPrompts

log = logging.getLogger(__name__)

_DONE = object()


FOREGROUND_SLOT, BACKGROUND_SLOT, ROUTING_SLOT = 0, 1, 2
SLOTS = 3


# Prompts are read in batches this small so that a stop asked for while a prompt is being
# read takes effect within a batch (~0.6 s here) rather than after the whole prompt: each
# batch ends with a progress chunk (``return_progress``), whose callback can stop the
# request. The tokens read so far stay cached. Measured on 2 cores (782 tokens, 1.5B Q4):
# 13.1 s in 32-token batches, 13.5 s in 64, 14.5 s in 128, so small batches cost nothing.
PROMPT_BATCH = 32

# Each turn's message carries notes for the model (worked-out dates, memories from other
# conversations) that the stored history does not, so the next prompt differs from the
# cached one at the last message and, before this, everything after it was read again:
# 80-90 tokens, ~1.4 s a turn. llama.cpp reuses cached runs of at least this many tokens
# after such a gap by shifting them into place (``n_cache_reuse``, as its server's
# ``--cache-reuse``): measured over a spoken conversation, 41 tokens read instead of 86.
CACHE_REUSE = 16


def _slot(options: GenerationOptions) -> int:
    if options.routing:  # the tool menu, also when it is read in the background
        return ROUTING_SLOT
    return BACKGROUND_SLOT if options.background else FOREGROUND_SLOT


def request_body(
    messages: list[ChatMessage], options: GenerationOptions, stream: bool
) -> dict[str, Any]:
    """The request for ``messages``; shared with the benchmark's raw path."""
    return {
        "id_slot": _slot(options),
        "stream": stream,
        "return_progress": stream,  # a chunk per prompt batch: the chance to stop
        **chat_request(messages, options),
    }


def usage_from(payload: dict[str, Any]) -> Usage:
    """Token counts and timings from llama.cpp's ``timings`` (or OpenAI ``usage``)."""
    timings = payload.get("timings") or {}
    usage = payload.get("usage") or {}
    prompt_n = timings.get("prompt_n")
    return Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or prompt_n or 0),
        completion_tokens=int(usage.get("completion_tokens") or timings.get("predicted_n") or 0),
        cached_tokens=int(timings.get("cache_n") or 0),
        prompt_ms=float(timings.get("prompt_ms") or 0.0),
        generation_ms=float(timings.get("predicted_ms") or 0.0),
    )


def _error_from(result: Any) -> ModelError | None:
    """llama.cpp reports request errors as a dict with ``error`` or ``code``/``message``."""
    if not isinstance(result, dict):
        return None
    err = result.get("error")
    if isinstance(err, dict):
        message = str(err.get("message", err))
    elif "code" in result and "message" in result and "choices" not in result:
        message = str(result["message"])
    else:
        return None
    if "context" in message.lower():
        return ModelError(
            "context_overflow",
            f"The prompt does not fit the model's context window: {message}",
            "Start a new conversation (/new) or raise n_ctx.",
        )
    return ModelError("llm_failed", f"The model refused the request: {message}")


SOCKET_PREFIX = "os1-llm-"


def sweep_stale(folder: Path | None = None) -> list[Path]:
    """Remove the socket folders of models whose process is gone (killed before it could
    clean up); the ones of running processes are left alone. Returns what was removed."""
    removed = []
    for found in (folder or Path(tempfile.gettempdir())).glob(f"{SOCKET_PREFIX}*-*"):
        pid = found.name.removeprefix(SOCKET_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and found.is_dir():
            shutil.rmtree(found, ignore_errors=True)
            removed.append(found)
    return removed


# A process leaving at once (``os._exit``: its reader went away while the model was still
# loading in a worker thread) removes its socket folders itself; the lock and the flag keep
# a load that is under way from making a new one in between.
_folders = threading.Lock()
_leaving = False


def remove_own_socket_folders() -> None:
    """For a process about to leave without closing its models: remove every socket folder
    it made, and let no load still under way make another."""
    global _leaving
    with _folders:
        _leaving = True
        for found in Path(tempfile.gettempdir()).glob(f"{SOCKET_PREFIX}{os.getpid()}-*"):
            shutil.rmtree(found, ignore_errors=True)


def _new_socket_folder() -> Path:
    with _folders:
        if _leaving:
            raise ModelError("model_load_failed", "The process is leaving; no model is loaded.")
        return Path(tempfile.mkdtemp(prefix=f"{SOCKET_PREFIX}{os.getpid()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to touch
        return True
    return True


class LocalGGUF:
    """A GGUF model loaded in this process.

    Args:
        model_path: the GGUF file (see ``os1.models.assets.resolve_llm_path``).
        n_ctx: context window in tokens.
        threads: CPU threads for prompt processing and generation.
    """

    def __init__(
        self,
        model_path: Path,
        n_ctx: int = 4096,
        threads: int = 2,
        prompt_cache: Path | None = None,
    ) -> None:
        import xllamacpp as xlc  # heavy native import, only when a local model is used

        self.name = f"local:{model_path.name}"
        self.n_ctx = n_ctx
        sweep_stale()
        self._sock_dir = _new_socket_folder()
        params = xlc.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = n_ctx * SLOTS  # llama.cpp splits it evenly: n_ctx per slot
        params.n_parallel = SLOTS
        params.n_batch = params.n_ubatch = PROMPT_BATCH
        params.n_cache_reuse = CACHE_REUSE
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.use_jinja = True
        params.verbosity = -1
        params.flash_attn_type = xlc.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.hostnames = [str(self._sock_dir / "llm.sock")]
        self._saved: SavedPrompts | None = None
        if prompt_cache is not None:
            build = getattr(xlc, "__version__", "")
            key = f"{model_path.stem}-{model_path.stat().st_size}-{n_ctx}-{build}"
            try:
                self._saved = SavedPrompts(
                    prompt_cache, key, (FOREGROUND_SLOT, ROUTING_SLOT), grow_only=(ROUTING_SLOT,)
                )
                params.slot_save_path = f"{prompt_cache}{os.sep}"  # llama.cpp appends the name
            except OSError as exc:  # a read-only home: every prompt is read anew, that is all
                log.debug("prompts will not be kept across runs: %s", exc)
        try:
            self._server: Any = xlc.Server(params)
        except Exception as exc:
            shutil.rmtree(self._sock_dir, ignore_errors=True)
            raise ModelError(
                "model_load_failed",
                f"Could not load the model at {model_path}: {exc}.",
                "Run `os1 models build --verify` to check and rebuild it.",
            ) from exc
        self._http = httpx.Client(
            transport=httpx.HTTPTransport(uds=str(self._sock_dir / "llm.sock")), timeout=30
        )
        self._lock = asyncio.Lock()
        self._background: CancelToken | None = None  # the running background job, if any
        self._people_waiting = 0  # foreground requests waiting for the lock
        self._gate = BackgroundGate()
        self._closed = False
        atexit.register(self.close)
        if self._saved is not None:
            self._saved.restore(self._post)

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self._http.post(f"http://llm{path}", json=body)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - bounded; lives as long as the model
    def count_tokens(self, text: str) -> int:
        """Exact token count from the model's own tokenizer."""
        if self._closed:
            return len(text.encode()) // 2 + 1
        response = self._http.post("http://llm/tokenize", json={"content": text})
        response.raise_for_status()
        return len(response.json()["tokens"])

    async def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[Chunk]:
        if self._closed:
            raise ModelError("model_closed", "The model has been shut down.")
        token = cancel or CancelToken()
        await self._gate.passed(options)
        if not options.background:
            self.make_way()  # the person comes first
            self._people_waiting += 1
        try:
            await self._lock.acquire()
        finally:
            if not options.background:
                self._people_waiting -= 1
        try:
            if options.background:
                if self._people_waiting:  # it was queued before them: it goes after them
                    yield Chunk("", finish_reason="preempted")
                    return
                self._background = token
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[Any] = asyncio.Queue()
            stop = threading.Event()  # also set when the consumer walks away

            def on_chunk(chunk: dict[str, Any]) -> bool:
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
                return stop.is_set() or token.cancelled

            def run() -> None:
                try:
                    result = self._server.handle_chat_completions(
                        request_body(messages, options, stream=True), on_chunk
                    )
                    loop.call_soon_threadsafe(queue.put_nowait, _error_from(result) or _DONE)
                except Exception as exc:  # the native layer raises plain exceptions
                    error = ModelError("llm_failed", f"The model failed: {exc}.")
                    loop.call_soon_threadsafe(queue.put_nowait, error)

            worker = loop.run_in_executor(None, run)
            try:
                async for chunk in self._drain(queue, token):
                    if (
                        options.background
                        and chunk.finish_reason == "cancelled"
                        and not (cancel and cancel.cancelled)
                    ):
                        chunk = Chunk(chunk.text, "preempted", chunk.usage)
                    yield chunk
            finally:
                stop.set()
                if options.background:
                    self._background = None
                await asyncio.shield(worker)
        finally:
            self._lock.release()

    def hold_background(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Background work stops now and starts no more until the block ends (the
        person's own requests in it run as usual)."""
        return self._gate.held(self.make_way)

    def make_way(self) -> None:
        """Stop the background job under way, if any, within one prompt batch; it is
        retried later (a person's turn, or a person starting to speak, comes first)."""
        if self._background is not None:
            self._background.cancel()

    async def _drain(self, queue: asyncio.Queue[Any], token: CancelToken) -> AsyncIterator[Chunk]:
        finished = False
        usage = Usage()
        while True:
            item = await queue.get()
            if item is _DONE:
                break
            if isinstance(item, ModelError):
                raise item
            error = _error_from(item)
            if error:
                raise error
            if finished:
                continue
            choice = (item.get("choices") or [{}])[0]
            text = (choice.get("delta") or {}).get("content") or ""
            reason = choice.get("finish_reason")
            if item.get("timings"):
                usage = usage_from(item)
            if reason:
                finished = True
                # a stop asked for and a natural end can race; the request is what counts
                yield Chunk(text, "cancelled" if token.cancelled else reason, usage)
            elif text:
                yield Chunk(text)
            if token.cancelled and not finished:
                finished = True
                yield Chunk("", finish_reason="cancelled", usage=usage)
        if not finished:
            yield Chunk("", finish_reason="cancelled" if token.cancelled else "stop", usage=usage)

    def close(self) -> None:
        """Stop llama.cpp's thread and remove the socket; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._http.close()
        server, self._server = self._server, None
        del server  # xllamacpp has no close(): dropping the object stops its thread
        shutil.rmtree(self._sock_dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)

    async def erase_kept_prompts(self) -> None:
        """Empty the slots whose prompts are saved at close (a memory was forgotten)."""
        if self._saved is None:
            return
        async with self._lock:
            for slot in self._saved.slots:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._post, f"/slots/{slot}?action=erase", {})

    async def aclose(self) -> None:
        """Save the prompts worth keeping (``prompt_cache``), then close."""
        async with self._lock:
            if self._saved is not None and not self._closed:
                await asyncio.to_thread(self._saved.save, self._post)
            self.close()
