"""The OpenAI-compatible door (``/v1``): any OpenAI client can talk to the companion.

``GET /v1/models`` lists ``os1``, ``talk`` and each of the caller's personas as
``persona:NAME``; ``POST /v1/chat/completions`` runs one turn, plain or streamed as
server-sent events: with the companion, or with the persona its ``model`` names (``os1
persona``). The model ``talk`` is for another companion (``os1 converse``): the request
carries the whole talk and the companion answers with a line of it, sharing only what its
person allows and learning nothing from it. The API
key (``Authorization: Bearer os1_…``) says who is talking, so two keys are two people,
each with their own companion memory.

os1 is stateful, unlike OpenAI's API. It answers only the **last user message** of
``messages``, in the person's current conversation; the companion keeps its own history
and memory, so earlier messages in the request are not replayed (a client that resends
the whole chat each time still gets a coherent conversation, it just isn't re-read). A
``system`` or ``developer`` message from the client is ignored: the companion's persona
is its own. ``temperature``, ``top_p``, ``stop`` and ``seed`` are accepted and ignored;
``model`` is echoed back; ``max_tokens`` / ``max_completion_tokens`` cut the reply (the
turn is stopped there, the cut reply is kept and ``finish_reason`` is ``length``).
Actions the companion proposes are confirmed from the web UI or the terminal.

Every turn goes through ``turns.turn_events``, so rate limits, the queue in front of the
model and the turn timeout are the same as on every other door. A streamed turn runs in
its own task while the response watches the connection: keep-alive comments go out while
it waits in line, and a client that hangs up stops the turn gracefully (its reply so far
is saved, marked interrupted).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from os1.core.accounts import Account
from os1.core.turns import CancelToken
from os1.errors import Os1Error
from os1.events import ErrorEvent, Queued, TextDelta, TurnEvent, TurnFinished, TurnStarted
from os1.server import problems
from os1.server.auth import Caller, Svc
from os1.server.openai_schemas import (
    MODEL_ID,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    Choice,
    ChunkChoice,
    CompletionUsage,
    ModelCard,
    ModelList,
    OutMessage,
    PromptDetails,
)
from os1.server.problems import HttpProblem
from os1.server.services import Services
from os1.server.turns import model_turn, turn_events

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])
KEEPALIVE = 10.0  # seconds of silence before a comment line, well under proxy timeouts
_BORN = int(time.time())
_END = object()  # the turn's task is over
_GONE = object()  # the client hung up
PERSONA = "persona:"  # a model name that talks with one of the caller's personas
TALK = "talk"  # the caller is another companion in a talk (``os1 converse``)


@router.get("/models", response_model=ModelList)
async def list_models(account: Caller, svc: Svc) -> ModelList:
    """``os1``, and each of the caller's personas as ``persona:NAME``."""
    personas = await svc.companion.personas.listed(account.name)
    return ModelList(
        data=[ModelCard(id=MODEL_ID, created=_BORN), ModelCard(id=TALK, created=_BORN)]
        + [ModelCard(id=f"{PERSONA}{p.name}", created=int(p.built_at)) for p in personas]
    )


@router.get("/models/{model_id}", response_model=ModelCard)
async def get_model(model_id: str, account: Caller, svc: Svc) -> ModelCard:
    found = {m.id: m for m in (await list_models(account, svc)).data}
    if model_id not in found:
        raise HttpProblem(
            404, "model_not_found", f"There is no model {model_id!r} here.",
            "Use 'os1', 'talk', or 'persona:NAME' for one of your personas.",
        )  # fmt: skip
    return found[model_id]


def _persona(model: str | None) -> str | None:
    """The persona a request's ``model`` names (``persona:NAME``), if any."""
    return model[len(PERSONA) :] if model and model.startswith(PERSONA) else None


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatRequest, account: Caller, svc: Svc
) -> ChatCompletion | TurnStream:
    """One turn of the caller with the companion (see the module notes: os1 is stateful)."""
    if body.model == TALK:
        return await _talk(body, account, svc)
    text = body.prompt_text()
    svc.companion.presence.touch(account.name, "api")
    reply = Reply(CancelToken(), body.reply_cap, svc.companion.limits.max_reply_tokens)
    model = body.model or MODEL_ID
    persona = _persona(body.model)
    if body.stream:
        run = TurnRun(svc, account, text, reply, persona)
        first = await run.items.get()
        if isinstance(first, Exception):  # refused before anything was said: a plain error
            await run.close(stop=False)
            raise first
        return TurnStream(run, first, SseWriter(reply, model, int(time.time()), body.include_usage))
    turn = turn_events(svc, account, text, cancel=reply.cancel, persona=persona)
    async with aclosing(turn) as events:
        async for event in events:
            reply.take(event)
    svc.companion.presence.touch(account.name, "api")
    if reply.error is not None:
        raise _failed(reply.error)
    if reply.finished is None:
        raise HttpProblem(502, "no_reply", "The companion ended the turn without a reply.")
    return ChatCompletion(
        id=reply.completion_id,
        created=int(time.time()),
        model=model,
        choices=[Choice(message=OutMessage(content=reply.text), finish_reason=reply.finish)],
        usage=reply.usage(),
    )


async def _talk(body: ChatRequest, account: Account, svc: Services) -> ChatCompletion:
    """The caller's companion's next line in a talk another companion leads: unlike a
    turn, ``messages`` is the whole talk (both sides), the other side is named by
    ``user``, and the companion shares only what its person lets it; nothing is learned
    from the other side's words."""
    if body.stream:
        raise HttpProblem(
            400, "unsupported_stream", "A talk's line comes whole: stream must be false.",
            "Send the request again with stream false.",
        )  # fmt: skip
    heard = body.talk()
    talks = svc.companion.talks
    line = await model_turn(
        svc, account, lambda: talks.answer(account.name, body.user or "", heard)
    )
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=TALK,
        choices=[Choice(message=OutMessage(content=line.content), finish_reason="stop")],
        usage=CompletionUsage(prompt_tokens=0, completion_tokens=0, total_tokens=0),
    )


def _failed(error: ErrorEvent) -> HttpProblem:
    status = problems.status_for(Os1Error(error.code, error.message, error.hint))
    # an unexpected failure inside the turn is the companion's upstream failing, not a bug
    # in the request
    return HttpProblem(502 if status == 500 else status, error.code, error.message, error.hint)


@dataclass
class Reply:
    """What the caller gets of one turn, cut at its ``max_tokens`` if it set one.

    A streamed delta counts as one token (the model streams token by token), which makes
    the cut exact enough without tokenizing again.
    """

    cancel: CancelToken
    cap: int | None
    limit: int
    turn_id: str = ""
    parts: list[str] = field(default_factory=list)
    finished: TurnFinished | None = None
    error: ErrorEvent | None = None
    capped: bool = False

    def take(self, event: TurnEvent) -> str:
        """Note ``event``; return the text to pass on to the caller ('' for none)."""
        if isinstance(event, TurnStarted):
            self.turn_id = event.turn_id
        elif isinstance(event, TextDelta) and not self.capped:
            self.parts.append(event.text)
            if self.cap is not None and len(self.parts) >= self.cap:
                self.capped = True
                self.cancel.cancel()  # stop generating; the cut reply is kept
            return event.text
        elif isinstance(event, TurnFinished):
            self.finished = event
        elif isinstance(event, ErrorEvent):
            self.error = event
        return ""

    @property
    def completion_id(self) -> str:
        return f"chatcmpl-{self.turn_id}"

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def finish(self) -> Literal["stop", "length"]:
        done = self.finished
        if self.capped or done is None or done.interrupted:
            return "length"
        return "length" if done.usage.completion_tokens >= self.limit else "stop"

    def usage(self) -> CompletionUsage:
        used = self.finished.usage if self.finished is not None else None
        prompt = used.prompt_tokens if used else 0
        completion = used.completion_tokens if used else 0
        if self.capped:
            completion = min(completion, len(self.parts)) or len(self.parts)
        return CompletionUsage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=prompt + completion,
            prompt_tokens_details=PromptDetails(cached_tokens=used.cached_tokens if used else 0),
        )


class TurnRun:
    """One turn in a task of its own, its events handed over through a queue, so that the
    response can watch the connection and send keep-alives while the turn runs."""

    def __init__(
        self, svc: Services, account: Account, text: str, reply: Reply, persona: str | None
    ) -> None:
        self.svc = svc
        self.persona = persona
        self.account = account
        self.reply = reply
        self.started = False
        self.items: asyncio.Queue[object] = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._pump(text))

    async def _pump(self, text: str) -> None:
        events = turn_events(
            self.svc, self.account, text, cancel=self.reply.cancel, on_wait=self._queued,
            persona=self.persona,
        )  # fmt: skip
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    self.started = True
                    self.items.put_nowait(event)
        except Exception as exc:  # handed to the response, which renders or raises it
            self.items.put_nowait(exc)
        finally:
            self.items.put_nowait(_END)

    async def _queued(self, place: int) -> None:
        self.items.put_nowait(Queued(place))

    async def close(self, *, stop: bool) -> None:
        """Wait for the turn to end; with ``stop``, end it first, gracefully once it has
        begun (the reply so far is saved) or by leaving the line if it still waits."""
        if stop and not self.task.done():
            self.reply.cancel.cancel()
            if not self.started:
                self.task.cancel()
        await asyncio.wait([self.task])
        self.svc.companion.presence.touch(self.account.name, "api")


@dataclass
class SseWriter:
    """Renders a turn's events as OpenAI ``chat.completion.chunk`` server-sent events."""

    reply: Reply
    model: str
    created: int
    include_usage: bool
    place: int = 0

    def frames(self, item: object) -> tuple[list[bytes], bool]:
        """The lines to send for ``item`` and whether the stream is over."""
        if isinstance(item, Queued):
            self.place = item.position
            return [self.keepalive()], False
        if isinstance(item, TurnEvent):
            text = self.reply.take(item)
            if isinstance(item, TurnStarted):
                return [self.chunk({"role": "assistant", "content": ""})], False
            if text:
                return [self.chunk({"content": text})], False
            if isinstance(item, ErrorEvent):
                return self.failure(item.code, item.message, item.hint), True
            if isinstance(item, TurnFinished):
                return self.ending(), True
            return [], False
        if isinstance(item, Os1Error):
            return self.failure(item.code, item.message, item.hint), True
        if isinstance(item, Exception):
            log.error("a streamed turn crashed", exc_info=item)
            return self.failure("internal", "Something went wrong inside os1."), True
        return self.failure("no_reply", "The companion ended the turn without a reply."), True

    def keepalive(self) -> bytes:
        """A comment line: the place in line while the turn waits, else a bare ping."""
        if self.place and not self.reply.turn_id:
            return f": queued {self.place}\n\n".encode()
        return b": keep-alive\n\n"

    def chunk(
        self, delta: dict[str, str], finish: Literal["stop", "length"] | None = None
    ) -> bytes:
        piece = ChatCompletionChunk(
            id=self.reply.completion_id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(delta=delta, finish_reason=finish)],
        )
        return _data(piece.model_dump_json(exclude=None if self.include_usage else {"usage"}))

    def ending(self) -> list[bytes]:
        frames = [self.chunk({}, self.reply.finish)]
        if self.include_usage:
            usage = ChatCompletionChunk(
                id=self.reply.completion_id,
                created=self.created,
                model=self.model,
                choices=[],
                usage=self.reply.usage(),
            )
            frames.append(_data(usage.model_dump_json()))
        return [*frames, _data("[DONE]")]

    def failure(self, code: str, message: str, hint: str = "") -> list[bytes]:
        error = problems.body(code, message, hint, "server_error")
        return [_data(json.dumps(error, ensure_ascii=False)), _data("[DONE]")]


def _data(payload: str) -> bytes:
    return f"data: {payload}\n\n".encode()


class TurnStream(Response):
    """A ``text/event-stream`` response that owns the turn it streams.

    Starlette's ``StreamingResponse`` only notices a hung-up client when a write fails;
    this one listens for the disconnect while it waits, so a turn stuck in line or in a
    long silence is stopped at once.
    """

    media_type = "text/event-stream"

    def __init__(self, run: TurnRun, first: object, writer: SseWriter) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.run = run
        self.first = first
        self.writer = writer
        self.complete = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watcher = asyncio.get_running_loop().create_task(self._watch(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async with aclosing(self._frames()) as frames:
                async for frame in frames:
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            log.debug("the client left mid-write; its turn is stopped")
        finally:
            watcher.cancel()
            await self.run.close(stop=not self.complete)

    async def _frames(self) -> AsyncGenerator[bytes, None]:
        item = self.first
        while item is not _GONE:
            frames, over = self.writer.frames(item)
            for frame in frames:
                yield frame
            if over:
                self.complete = True
                return
            while True:
                try:
                    item = await asyncio.wait_for(self.run.items.get(), timeout=KEEPALIVE)
                    break
                except TimeoutError:
                    yield self.writer.keepalive()

    async def _watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if not self.complete:
            self.run.items.put_nowait(_GONE)
