"""The WebSocket chat door (``/ws``): the web UI and any live client talk here.

Messages are JSON objects with a ``type``. The client sends ``say`` (``text``, and an
``id`` of its choosing), ``stop``, ``confirm`` / ``decline`` (``proposal_id``), ``greet``
and ``ping``. The server sends the turn's events exactly as ``TurnEvent.to_dict`` gives
them, plus ``hello`` on connect, ``queued`` (place in the server's line) and ``pong``;
and ``elsewhere`` when a turn of the person's finished in another of their chats (another
tab, a voice call, ``/v1`` or MCP; on any worker of a fleet): ``said``, ``reply``,
``conversation_id``, ``turn_id``, ``interrupted`` and ``at`` (``news.py``).

Nothing a person says is dropped. One turn runs at a time per connection, and what
arrives meanwhile (another ``say`` typed during a reply or the greeting, a ``confirm``)
waits in this connection's own line, in order, at most ``MAX_WAITING`` deep. Each
``say`` is answered at once with ``accepted`` (its ``id`` and ``waiting``: how many are
ahead of it) or ``refused`` (its ``id``, ``code``, ``message``, ``hint``), then
``say_started`` (its ``id``) when its turn begins. A client shows a message as sent only
once it is accepted. If the socket closes, what had not started is not kept (the client
sends it again after reconnecting). The receiving loop keeps listening throughout, so
``stop`` takes effect mid-reply; it stops the reply under way, not the ones waiting.
(Ideas credited: Pipecat's frame queue per transport.)

Voice rides on the same socket: ``voice_start`` (``mode``: ``push`` or ``hands_free``),
then binary frames of microphone audio (little-endian int16 mono PCM at 16 kHz),
``voice_end`` (push-to-talk let go) and ``voice_stop``. The server answers with the
voice session's events (``voice_ready``, ``transcript``, the turn's events, ``barge_in``,
``voice_timings``) and, for each spoken piece, an ``audio`` message (``seq``, ``rate``,
``text``) followed at once by one binary frame of int16 mono PCM. ``voice_ws.py`` holds
all of it and documents it in full; ``stop`` also silences a spoken reply.

An idle connection is one coroutine parked in ``receive``: no task, no buffer, no timer,
which is what lets one process hold thousands of them.

A connection speaks for its account only while the account and the key or sign-in it
was opened with stand (``os1.core.accounts.lapsed``): every message but ``ping`` is re-checked by
account id, fresh from the store, before it is acted on (audio at most once a second), and
``Services.live`` closes the socket at once when this process disables, deletes or
signs the person out, or when its sweep finds a change made elsewhere. The person then
gets an ``error`` (``account_ended``) and the close code 4401; a turn or voice session
under way stops as on ``stop``. Beyond ``max_sockets_per_person`` a socket is refused
(``too_many_sockets``, 4429). Close codes are ``4000 + `` the HTTP status.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from os1.core.accounts import Account, Credential, lapsed
from os1.core.turns import CancelToken
from os1.errors import Os1Error
from os1.events import Queued, TextDelta, TurnEvent
from os1.server.auth import COOKIE, credential, identify, same_origin
from os1.server.problems import HttpProblem, socket_error
from os1.server.services import Services, services
from os1.server.turns import turn_events
from os1.server.voice_ws import VOICE_MESSAGES, VoiceChannel

log = logging.getLogger(__name__)
router = APIRouter()
SERVICE_RESTART = 1012  # the close code uvicorn sends when the server stops
COALESCE = 0.06  # seconds: text pieces closer together than this share one frame
MAX_WAITING = 16  # messages one connection may have waiting behind the turn under way
MAX_SAY_ID = 64  # characters of a client's id for a say
AUDIO_CHECK_EVERY = 1.0  # seconds: audio frames (~30 a second) re-check the account this often
ENDED = HttpProblem(
    401,
    "account_ended",
    "This conversation was closed: your account was disabled or deleted, or the key or"
    " sign-in it was opened with no longer holds.",
    "Sign in again; if that fails, ask the admin.",
)


@dataclass(frozen=True)
class Waiting:
    """Something the person asked for that starts a turn: a ``say`` (with the client's
    id), a ``greet``, or a ``confirm`` / ``decline`` of a proposal."""

    kind: str
    text: str = ""
    proposal: int = 0
    id: str | None = None


class Connection:
    """One open chat: the socket, whose it is, the turn under way (if any) and what
    waits behind it."""

    def __init__(
        self,
        websocket: WebSocket,
        svc: Services,
        account: Account,
        credential: Credential | None = None,
    ) -> None:
        self.ws = websocket
        self.svc = svc
        self.account = account
        self.credential = credential
        self.ended = False
        self.checked = 0.0  # monotonic time of the last check of the account
        self.task: asyncio.Task[None] | None = None  # works through ``waiting``
        self.waiting: deque[Waiting] = deque()
        self.cancel: CancelToken | None = None
        self.open = True
        self.voice: VoiceChannel | None = None  # made on the first voice message
        self.sending = asyncio.Lock()  # an audio header and its samples go out together
        self.id = uuid.uuid4().hex  # its name among the person's chats (news.py)

    async def send(self, payload: dict[str, Any], audio: bytes | None = None) -> None:
        async with self.sending:
            if not self.open:
                return
            try:
                await self.ws.send_text(json.dumps(payload, ensure_ascii=False))
                if audio is not None:
                    await self.ws.send_bytes(audio)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.open = False  # keep running the turn: its reply is still saved

    def voice_channel(self) -> VoiceChannel:
        if self.voice is None:
            self.voice = VoiceChannel(self.svc, self.account, self.send, self.send, self.id)
        return self.voice

    async def stream(self, events: AsyncGenerator[TurnEvent, None]) -> None:
        """Send the events; pieces of text that arrive within ``COALESCE`` of the last
        frame ride together (the first goes at once), so a fast model does not cost
        one frame per token."""
        held: list[str] = []
        last_sent = 0.0
        loop = asyncio.get_running_loop()
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        held.append(event.text)
                        if loop.time() - last_sent < COALESCE:
                            continue
                    if held:
                        await self.send({"type": "text_delta", "text": "".join(held)})
                        held.clear()
                        last_sent = loop.time()
                    if not isinstance(event, TextDelta):
                        await self.send(event.to_dict())
        except HttpProblem as exc:
            await self.send(socket_error(exc.code, exc.message, exc.hint))
        except Os1Error as exc:
            await self.send(socket_error(exc.code, exc.message, exc.hint))

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    async def on_queued(self, position: int) -> None:
        await self.send(Queued(position).to_dict())

    async def wait_in_line(self, work: Waiting) -> None:
        """Put ``work`` behind what is under way (or start it), and tell the client."""
        if len(self.waiting) >= MAX_WAITING:
            refused = socket_error(
                "too_many_waiting",
                f"{MAX_WAITING} messages are already waiting for a reply; this one was not sent.",
                "Wait for the replies (or press Stop), then send it again.",
            )
            await self.send(refused | {"type": "refused", "id": work.id})
            return
        ahead = len(self.waiting) + self.busy
        self.waiting.append(work)
        if work.kind == "say":
            await self.send({"type": "accepted", "id": work.id, "waiting": ahead})
        if not self.busy:
            self.task = asyncio.get_running_loop().create_task(self._work_through())

    async def _work_through(self) -> None:
        """Run what waits, one turn at a time, in the order it came."""
        companion = self.svc.companion
        while self.waiting and not self.ended:
            work = self.waiting.popleft()
            self.cancel = None
            if not await self.stands():  # it may have waited while the account ended
                await self.end()
                break
            if work.kind == "say":
                self.cancel = CancelToken()
                await self.send({"type": "say_started", "id": work.id})
                events = turn_events(
                    self.svc,
                    self.account,
                    work.text,
                    cancel=self.cancel,
                    on_wait=self.on_queued,
                    origin=self.id,
                )
            elif work.kind == "greet":
                events = companion.greet(self.account.name)
            else:
                confirm = work.kind == "confirm"
                events = companion.decide(self.account.name, work.proposal, confirm=confirm)
            await self.stream(events)
        self.cancel = None

    def _say(self, message: dict[str, Any]) -> Waiting | dict[str, Any]:
        text, given = message.get("text"), message.get("id")
        if given is not None and (not isinstance(given, str) or len(given) > MAX_SAY_ID):
            return socket_error(
                "invalid_message", f"A say's 'id' is a string of at most {MAX_SAY_ID} characters."
            )
        if not isinstance(text, str):
            return socket_error("invalid_message", "'say' needs a 'text' string.") | {"id": given}
        return Waiting("say", text, id=given)

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "stop":
            if self.cancel is not None:
                self.cancel.cancel()
            if self.voice is not None:
                self.voice.interrupt()
        elif isinstance(kind, str) and kind in VOICE_MESSAGES:
            await self.voice_channel().handle(message)
        elif kind == "say":
            work = self._say(message)
            if isinstance(work, Waiting):
                await self.wait_in_line(work)
            else:
                await self.send(work)
        elif kind == "greet":
            await self.wait_in_line(Waiting("greet"))
        elif kind in ("confirm", "decline"):
            proposal = message.get("proposal_id")
            if not isinstance(proposal, int) or isinstance(proposal, bool):
                await self.send(socket_error("invalid_message", f"'{kind}' needs a 'proposal_id'."))
                return
            await self.wait_in_line(Waiting(kind, proposal=proposal))
        else:
            await self.send(
                socket_error(
                    "invalid_message",
                    f"Unknown message type {kind!r}.",
                    "Use say, stop, confirm, decline, greet, ping or voice_start.",
                )
            )

    async def stands(self, audio: bool = False) -> bool:
        """Whether the account and credential still hold, fresh from the store; an audio
        frame within ``AUDIO_CHECK_EVERY`` of the last check is let through unchecked."""
        now = time.monotonic()
        if audio and now - self.checked < AUDIO_CHECK_EVERY:
            return True
        self.checked = now
        return not await lapsed(self.svc.accounts.db, [self])

    async def end(self) -> None:
        """The account or credential no longer holds: say so, close the socket, and stop
        the turn and voice session under way (the reply so far is kept, as on stop)."""
        if self.ended:
            return
        self.ended = True
        self.waiting.clear()
        if self.cancel is not None:
            self.cancel.cancel()
        await self.send(socket_error(ENDED.code, ENDED.message, ENDED.hint))
        async with self.sending:
            self.open = False
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.ws.close(4000 + ENDED.status)  # unless it is closing already
        if self.voice is not None:
            await self.voice.close()
        running = self.task is not None and not self.task.done()
        if running and self.task is not asyncio.current_task():
            await asyncio.wait([self.task], timeout=5.0)  # saved before, say, a delete

    async def finish(self, code: int) -> None:
        """The socket closed. A server restart lets the turn finish (within the grace
        period); a person leaving stops it, keeping what was said so far. What had not
        started is not run: nobody is there to read its reply."""
        self.open = False
        self.waiting.clear()
        if self.voice is not None:
            await self.voice.close()
        if self.task is None or self.task.done():
            return
        if code != SERVICE_RESTART and self.cancel is not None:
            self.cancel.cancel()
        await asyncio.shield(self.task)


async def _hello(conn: Connection) -> None:
    await conn.send(
        {
            "type": "hello",
            "user": conn.account.name,
            "is_admin": conn.account.is_admin,
            "companion": await conn.svc.companion.chosen_name(conn.account.name),
            "live_conversations": conn.svc.companion.presence.count(),
        }
    )


@router.websocket("/ws")
async def chat_socket(websocket: WebSocket) -> None:
    svc = services(websocket)
    await websocket.accept()
    authorization, cookie = websocket.headers.get("authorization"), websocket.cookies.get(COOKIE)
    try:
        if not same_origin(websocket):
            raise HttpProblem(403, "forbidden", "This page may not open the companion's socket.")
        account = await identify(svc, authorization, cookie)
        conn = Connection(websocket, svc, account, credential(authorization, cookie))
        tether = svc.live.hold(account, conn.credential, conn.end)
    except HttpProblem as exc:
        await websocket.send_text(json.dumps(socket_error(exc.code, exc.message, exc.hint)))
        await websocket.close(4000 + exc.status)
        return
    code = 1000
    hearing = svc.news.listening(account.id, conn.id, conn.send)
    with svc.companion.presence.hold(account.name), hearing:
        try:
            await _hello(conn)
            while not conn.ended:
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    code = int(frame.get("code") or 1000)
                    break
                if (audio := frame.get("bytes")) is None:
                    await _on_frame(conn, frame.get("text"))
                elif await conn.stands(audio=True):
                    await conn.voice_channel().audio(audio)
                else:
                    await conn.end()
        except WebSocketDisconnect as exc:
            code = exc.code
        finally:
            svc.live.release(tether)
            await conn.finish(4000 + ENDED.status if conn.ended else code)


async def _on_frame(conn: Connection, raw: str | None) -> None:
    if raw is None:
        await conn.send(socket_error("invalid_message", "Send text frames holding JSON."))
        return
    limit = conn.svc.settings.max_request_bytes
    # the limit is in bytes (as for HTTP bodies); a text of 'é's is twice its length
    if len(raw) > limit or len(raw.encode("utf-8", "surrogatepass")) > limit:
        too_large = socket_error("too_large", "That message is too large.", "Send less at once.")
        await conn.send(too_large)
        return
    try:
        message = json.loads(raw)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        await conn.send(
            socket_error("invalid_message", 'Send JSON objects like {"type": "say", "text": "hi"}.')
        )
        return
    # a ping reaches nothing of the person's, and idle pages send one every 25 s: it is
    # left to the sweep, which checks ten thousand sockets for the price of a few pings
    if message.get("type") != "ping" and not await conn.stands():
        await conn.end()
        return
    await conn.handle(message)
