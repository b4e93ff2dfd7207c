"""Talking aloud over the chat socket: push-to-talk and hands-free voice for ``/ws``.

The protocol rides on the chat socket (``ws.py`` only hands these messages over):

- ``{"type": "voice_start", "mode": "push" | "hands_free"}`` starts a voice session for
  the connection (answered by ``voice_ready`` once the speech models are loaded). Binary
  frames then carry the microphone: little-endian int16 mono PCM at 16 kHz, a few tens of
  milliseconds each, sent as recorded. In push mode only letting go ends a turn; sending
  ``voice_start`` again while the companion speaks (the button pressed once more) cuts
  the reply short. In hands-free mode the server hears where turns end, and speaking
  over the reply cuts it short.
  Audio sent faster than ``audio_speed_limit`` times real time (or in more than
  ``audio_frames_per_second`` frames), beyond a two-second burst, is dropped, and the
  client gets one ``error`` (``audio_too_fast``) for the overrun (``AudioPace``).
- ``{"type": "voice_end"}``: push-to-talk let go; what was said is the turn.
- ``{"type": "voice_stop"}``: leave voice mode.

The server sends the session's events as JSON (``transcript``, the turn's own events,
``barge_in``, ``voice_timings``, ``notice``) and, for each spoken piece of the reply,
``{"type": "audio", "seq", "rate", "text"}`` followed at once by one binary frame of
int16 mono PCM at that rate. On ``barge_in`` the client stops playing at once.

Design: ``VoiceSession`` does the listening and speaking; this module only adapts it to
a socket. Turns go through ``turn_events`` like any typed turn (rate, line, timeout).
The client plays audio as it arrives, so the ``SocketSink`` estimates what was heard
with the wall clock (``ClockSink``). Nothing is recorded unless the person chose to keep
recordings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

import numpy as np

from os1.core.accounts import Account
from os1.core.speech import LISTEN_RATE, ClockSink, SpokenPiece, TurnTaking, VoiceSession
from os1.core.turns import CancelToken, Tentative
from os1.errors import Os1Error
from os1.events import ErrorEvent, Queued, TurnEvent
from os1.server.problems import socket_error
from os1.server.services import Services
from os1.server.turns import turn_events

log = logging.getLogger(__name__)

SendJson = Callable[[dict[str, Any]], Awaitable[None]]
SendAudio = Callable[[dict[str, Any], bytes], Awaitable[None]]

_HOUR_MS = 3_600_000
MODES = {
    # push-to-talk: silence never ends a turn, letting go does
    "push": TurnTaking(end_ms=_HOUR_MS, hold_ms=_HOUR_MS),
    "hands_free": TurnTaking(),
}
VOICE_MESSAGES = frozenset({"voice_start", "voice_end", "voice_stop"})


class SocketSink(ClockSink):
    """Sends each piece of the reply down the socket as it is queued; the client plays
    it at once, so the played position is the wall clock's (``ClockSink``). ``enqueue``
    is synchronous, so sending is handed to one task that keeps the pieces in order."""

    def __init__(self, send: SendAudio) -> None:
        super().__init__()
        self._send = send
        self._outbox: asyncio.Queue[tuple[dict[str, Any], bytes]] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._halted = False
        self.seq = 0

    def begin(self) -> None:
        super().begin()
        self._halted = False

    def enqueue(self, speech: SpokenPiece) -> None:
        if self._halted or speech.samples.size == 0:
            return
        super().enqueue(speech)
        self.seq += 1
        header = {"type": "audio", "seq": self.seq, "rate": speech.rate, "text": speech.text}
        self._outbox.put_nowait((header, speech.samples.astype("<i2").tobytes()))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_all())

    def stop(self) -> None:
        super().stop()
        self._halted = True
        while not self._outbox.empty():  # what the client has not got, it never will
            self._outbox.get_nowait()

    async def _send_all(self) -> None:
        while not self._outbox.empty():
            header, data = self._outbox.get_nowait()
            await self._send(header, data)

    async def close(self) -> None:
        self.stop()
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)


class _Door:
    """What a ``VoiceSession`` needs of the companion, under the server's rules: a turn
    goes through ``turn_events``, and a refusal (too many turns, a full line) becomes an
    ``error`` event the person sees instead of a dead session."""

    def __init__(self, svc: Services, account: Account, send: SendJson, origin: str) -> None:
        self.svc = svc
        self.account = account
        self.send = send
        self.origin = origin  # the chat socket it speaks on, which needs no news of it

    async def _on_wait(self, position: int) -> None:
        await self.send(Queued(position).to_dict())

    async def turn(
        self,
        user: str,
        text: str,
        *,
        cancel: CancelToken | None = None,
        tentative: Tentative | None = None,
    ) -> AsyncIterator[TurnEvent]:
        events = turn_events(
            self.svc,
            self.account,
            text,
            cancel=cancel,
            on_wait=self._on_wait,
            tentative=tentative,
            origin=self.origin,
        )
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    yield event
        except Os1Error as exc:  # HttpProblem included
            yield ErrorEvent(exc.code, exc.message, exc.hint)

    async def keep_heard(self, user: str, message_id: int, heard: str) -> None:
        await self.svc.companion.keep_heard(self.account.name, message_id, heard)

    def person_speaking(self) -> None:
        self.svc.companion.person_speaking()


class AudioPace:
    """How fast one socket may send microphone audio: token buckets for bytes and for
    frames, refilled at ``speed`` times real time and ``frames`` a second, each holding
    ``BURST_SECONDS`` of that (a network stall makes a client catch up in a burst).

    A browser sends 32 KB/s in 31 frames; the limit is what stops a socket from making
    the server run voice detection and speech recognition faster than anyone can talk.
    """

    BURST_SECONDS = 2.0
    TELL_EVERY = 10.0  # seconds: one ``error`` per overrun, and at most this often

    def __init__(self, speed: float, frames: int) -> None:
        self.byte_rate = speed * LISTEN_RATE * 2  # int16: two bytes a sample
        self.frame_rate = float(frames)
        self.bytes = self.byte_rate * self.BURST_SECONDS
        self.frames = self.frame_rate * self.BURST_SECONDS
        self.stamp = time.monotonic()
        self.told = -self.TELL_EVERY
        self.dropping = False

    def admit(self, size: int) -> bool:
        """Whether a frame of ``size`` bytes may be heard now (and if so, count it)."""
        now = time.monotonic()
        elapsed, self.stamp = now - self.stamp, now
        self.bytes = min(self.byte_rate * self.BURST_SECONDS, self.bytes + elapsed * self.byte_rate)
        self.frames = min(
            self.frame_rate * self.BURST_SECONDS, self.frames + elapsed * self.frame_rate
        )
        if self.bytes < size or self.frames < 1:
            return False
        self.bytes -= size
        self.frames -= 1
        self.dropping = False
        return True

    def tell(self) -> bool:
        """Whether to tell the client about a dropped frame: the first of an overrun,
        at most once every ``TELL_EVERY`` seconds."""
        if self.dropping:
            return False
        self.dropping = True
        now = time.monotonic()
        if now - self.told < self.TELL_EVERY:
            return False
        self.told = now
        return True


class VoiceChannel:
    """The voice side of one chat connection: at most one session, in one mode."""

    def __init__(
        self,
        svc: Services,
        account: Account,
        send: SendJson,
        send_audio: SendAudio,
        origin: str = "",
    ) -> None:
        self.svc = svc
        self.account = account
        self.send = send
        self.send_audio = send_audio
        self.origin = origin
        self.session: VoiceSession | None = None
        self.sink: SocketSink | None = None
        self.mode = ""
        self.pace = AudioPace(svc.settings.audio_speed_limit, svc.settings.audio_frames_per_second)

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "voice_start":
            await self.start(message.get("mode"))
        elif kind == "voice_stop":
            await self.close()
        elif self.session is None:
            await self.send(_not_started())
        else:
            await self.session.release()

    async def start(self, mode: object) -> None:
        if not isinstance(mode, str) or mode not in MODES:
            await self.send(
                socket_error(
                    "invalid_message",
                    f"Unknown voice mode {mode!r}.",
                    'Use "push" (hold to talk) or "hands_free".',
                )
            )
            return
        if self.session is not None and self.mode == mode:
            if mode == "push":
                self.session.interrupt()  # pressed again while it speaks: it stops
            return
        await self.close()  # a new mode starts afresh
        sink = SocketSink(self.send_audio)
        try:
            session = await self.svc.companion.speech.session(
                _Door(self.svc, self.account, self.send, self.origin),
                self.account.name,
                sink,
                self._emit,
                rules=MODES[mode],
                addressed=mode == "push",  # pressing Talk already addresses it
            )
        except Os1Error:
            raise
        except Exception:  # missing files, a broken install: say so, keep the chat
            log.exception("the speech models could not be loaded")
            await self.send(
                socket_error(
                    "voice_unavailable",
                    "Talking aloud is not available on this server right now.",
                    "Type instead; the server's log says what went wrong.",
                )
            )
            return
        self.sink, self.session = sink, session
        self.mode = mode
        await self.send({"type": "voice_ready", "mode": mode})

    async def audio(self, data: bytes) -> None:
        """One binary frame of microphone audio."""
        if len(data) > self.svc.settings.max_request_bytes:
            await self.send(
                socket_error(
                    "too_large", "That audio frame is too large.", "Send 20–100 ms at a time."
                )
            )
        elif not self.pace.admit(len(data)):
            if self.pace.tell():
                await self.send(_too_fast(self.svc.settings.audio_speed_limit))
        elif self.session is None:
            await self.send(_not_started())
        elif len(data) % 2:
            await self.send(
                socket_error(
                    "voice_bad_audio",
                    "Audio frames must hold whole 16-bit samples (an even number of bytes).",
                    "Send little-endian int16 mono PCM at 16 kHz.",
                )
            )
        elif data:
            samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
            await self.session.feed(samples)

    def interrupt(self) -> None:
        """Stop the spoken reply (the chat's Stop button)."""
        if self.session is not None:
            self.session.interrupt()

    async def _emit(self, event: TurnEvent) -> None:
        await self.send(event.to_dict())

    async def close(self) -> None:
        session, sink = self.session, self.sink
        self.session, self.sink, self.mode = None, None, ""
        if session is not None:
            await session.close()
        if sink is not None:
            await sink.close()


def _too_fast(speed: float) -> dict[str, Any]:
    return socket_error(
        "audio_too_fast",
        f"Audio is arriving faster than {speed:g} times real time, so some of it was dropped.",
        "Send the microphone as it records: 16 kHz int16 mono is 32 KB a second.",
    )


def _not_started() -> dict[str, Any]:
    return socket_error(
        "voice_not_started",
        "Voice is not on for this conversation.",
        'Send {"type": "voice_start", "mode": "push"} first.',
    )
