"""A spoken conversation: audio in, turns out, the reply spoken back, interruptible.

``VoiceSession`` is door-neutral. A door pushes microphone audio (16 kHz mono float32,
in real time) into ``feed`` and renders the events it emits; the session finds turns
(``endpoint``), transcribes them off the event loop, runs each through the companion's
ordinary turn (so a spoken turn is remembered like a typed one), and speaks the reply
as it streams (``speaker``). When the person starts speaking over the reply, playback
stops at once, the turn is cancelled, and only the words they heard are kept.

The session needs two things of the companion, named by ``Conversation`` so that this
package does not depend on the layers above it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from os1.events import (
    BargedIn,
    Notice,
    TextDelta,
    Transcribed,
    TurnEvent,
    TurnFinished,
    VoiceTimings,
)
from os1.models.base import CancelToken
from os1.models.stt import SAMPLE_RATE, SpeechToText
from os1.models.tts import TextToSpeech
from os1.voice.endpoint import Endpointer, Paused, SpeechStarted, TurnEnded, TurnTaking
from os1.voice.playback import AudioSink
from os1.voice.speaker import SpokenReply
from os1.voice.wake import WakePhrase
from os1.voice.wer import words


class Conversation(Protocol):
    def turn(
        self, user: str, text: str, *, cancel: CancelToken | None = None
    ) -> AsyncIterator[TurnEvent]: ...

    async def keep_heard(self, user: str, message_id: int, heard: str) -> None: ...

    def person_speaking(self) -> None: ...


Emit = Callable[[TurnEvent], Awaitable[None]]


@dataclass
class _Reply:
    """The reply under way: its voice, its stop switch, and when the turn began."""

    spoken: SpokenReply
    cancel: CancelToken
    message_id: int | None = None
    barged: str | None = None  # the words heard, once the person cut in


class VoiceSession:
    """Args:
    conversation: the companion; user: whose conversation this is.
    stt, tts: the speech models; sink: where the reply is played.
    speed: the companion's speaking pace; rules: turn-taking timings.
    emit: receives every event (transcripts, the turn's own events, barge-ins, timings).
    keep: if given, receives each turn's audio (the person chose to keep recordings).
    wake: if given, only speech addressed to the companion is answered (``voice.wake``).
    """

    def __init__(
        self,
        conversation: Conversation,
        user: str,
        stt: SpeechToText,
        tts: TextToSpeech,
        sink: AudioSink,
        emit: Emit,
        *,
        speed: float = 1.0,
        rules: TurnTaking | None = None,
        keep: Callable[[np.ndarray], None] | None = None,
        wake: WakePhrase | None = None,
    ) -> None:
        self.conversation = conversation
        self.user = user
        self.stt = stt
        self.tts = tts
        self.sink = sink
        self.emit = emit
        self.speed = speed
        self.keep = keep
        self.wake = wake
        self.endpointer = Endpointer(rules)
        self._fed_at = time.perf_counter()  # wall clock of the newest audio fed
        self._speech_began = 0.0  # wall clock where the current speech started
        self._reply: _Reply | None = None
        self._answering: asyncio.Task[None] | None = None
        self._hearing: asyncio.Task[None] | None = None
        self._to_hear: Paused | None = None
        self._hearings: dict[int, asyncio.Future[str]] = {}  # pause -> its words, when heard
        self._tasks: set[asyncio.Task[None]] = set()
        self._unanswered = ""  # words of a turn the person went on from before its reply

    # -- audio in ----------------------------------------------------------------------

    async def feed(self, samples: np.ndarray) -> None:
        """The next stretch of microphone audio, as it was recorded."""
        self._fed_at = time.perf_counter()
        for event in self.endpointer.feed(samples):
            if isinstance(event, SpeechStarted):
                self._speech_began = self._wall(event.at)
                self.conversation.person_speaking()
                self._barge_in()
            elif isinstance(event, Paused):
                self._listen_to(event)
            elif isinstance(event, TurnEnded):
                self._answer(event)

    async def release(self) -> None:
        """Push-to-talk let go: whatever was said is the turn, with no wait for silence."""
        self._fed_at = time.perf_counter()
        if not self.endpointer.in_turn:
            await self.emit(Notice("not_heard", "I didn't hear anything; hold and speak."))
            return
        self._answer(self.endpointer.end_now())

    def interrupt(self) -> None:
        """The person cut in by other means (a push-to-talk button): stop the reply now."""
        self._speech_began = time.perf_counter()
        self._barge_in()

    async def finish(self) -> None:
        """Wait until the reply under way (if any) has been said."""
        while self._answering is not None and not self._answering.done():
            await asyncio.shield(self._answering)

    async def close(self) -> None:
        """Stop speaking and listening (the door is going away)."""
        if self._reply is not None:
            self._reply.spoken.stop()
            self._reply.cancel.cancel()
        for task in (self._answering, self._hearing, *self._tasks):
            if task is not None and not task.done():
                task.cancel()
        pending = [t for t in (self._answering, self._hearing, *self._tasks) if t is not None]
        await asyncio.gather(*pending, return_exceptions=True)

    def _wall(self, stream_seconds: float) -> float:
        """The wall-clock time at which the stream was at ``stream_seconds``."""
        return self._fed_at - (self.endpointer.now - stream_seconds)

    # -- hearing during a pause ----------------------------------------------------------

    def _listen_to(self, paused: Paused) -> None:
        """Transcribe the words so far while the person is quiet. Only the newest pause
        matters: an older one still waiting is dropped, one under way runs out."""
        for older in self._hearings.values():
            older.cancel()  # dropped or already heard: nobody will wait for it
        self._hearings = {paused.pause: asyncio.get_running_loop().create_future()}
        self._to_hear = paused
        if self._hearing is None or self._hearing.done():
            self._hearing = asyncio.get_running_loop().create_task(self._hear_pauses())

    async def _hear_pauses(self) -> None:
        while (paused := self._to_hear) is not None:
            self._to_hear = None
            try:
                heard = await self.stt.transcribe(paused.audio)
            except BaseException:
                if (waiting := self._hearings.get(paused.pause)) is not None:
                    waiting.cancel()  # whoever waits transcribes the turn afresh
                raise
            if (waiting := self._hearings.get(paused.pause)) is not None and not waiting.done():
                waiting.set_result(heard.text)
            self.endpointer.heard(paused.pause, heard.text)
            for event in self.endpointer.poll():
                if isinstance(event, TurnEnded):
                    self._answer(event)

    # -- answering -------------------------------------------------------------------------

    def _answer(self, ended: TurnEnded) -> None:
        decided = time.perf_counter()
        speech_end = min(decided, self._wall(ended.speech_end))
        previous = self._answering
        self._answering = asyncio.get_running_loop().create_task(
            self._answer_turn(ended, speech_end, decided, previous)
        )

    async def _answer_turn(
        self,
        ended: TurnEnded,
        speech_end: float,
        decided: float,
        previous: asyncio.Task[None] | None,
    ) -> None:
        if previous is not None:  # the reply it interrupted settles first
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await previous
        text = ended.transcript
        hearing = self._hearings.get(ended.pause) if ended.pause else None
        if text is None and hearing is not None:
            await asyncio.wait({hearing})  # the pause's transcription, under way, is this turn's
            text = None if hearing.cancelled() else hearing.result()
        if text is None:
            text = (await self.stt.transcribe(ended.audio)).text
        heard_at = time.perf_counter()
        if not words(text):
            return  # a cough, a door, a breath: nothing to answer
        if self.wake is not None and not self._unanswered:
            addressed = self.wake.addressed(text, time.perf_counter())
            if addressed is None:  # not for the companion: dropped, not kept
                await self.emit(Notice("not_addressed", f"Say “{self.wake.phrase}” to talk."))
                return
            text = addressed.rest
            if not words(text):  # just the name: answer that it is listening
                await self._say_listening()
                return
        text = f"{self._unanswered} {text}".strip()
        self._unanswered = ""
        if self.endpointer.in_turn:
            self._unanswered = text  # they went on speaking: answer it all at the end
            return
        reply = _Reply(SpokenReply(self.tts, self.sink, self.speed), CancelToken())
        self._reply = reply  # from here on, speaking again interrupts this reply
        if self.keep is not None:
            self.keep(ended.audio)
        try:
            await self.emit(Transcribed(text, round(ended.audio.size / SAMPLE_RATE, 2)))
            await self._run_turn(text, reply)
            await reply.spoken.played()
        finally:
            if self._reply is reply:
                self._reply = None
            if self.wake is not None:
                self.wake.stay_awake(time.perf_counter())
        spoken = reply.spoken
        if reply.barged is not None and reply.message_id is not None:
            await self.conversation.keep_heard(self.user, reply.message_id, reply.barged)
        if spoken.first_audio_at is not None and spoken.first_piece_at is not None:
            await self.emit(
                VoiceTimings(
                    end_of_turn=round(decided - speech_end, 3),
                    stt=round(heard_at - decided, 3),
                    llm_first_piece=round(spoken.first_piece_at - heard_at, 3),
                    tts_first_piece=round(spoken.first_audio_at - spoken.first_piece_at, 3),
                    first_audio=round(spoken.first_audio_at - speech_end, 3),
                    reply_audio=round(sum(p.seconds for p in spoken.pieces), 2),
                )
            )

    async def _run_turn(self, text: str, reply: _Reply) -> None:
        try:
            async for event in self.conversation.turn(self.user, text, cancel=reply.cancel):
                if isinstance(event, TextDelta) and reply.barged is None:
                    reply.spoken.feed(event.text)
                elif isinstance(event, TurnFinished):
                    reply.message_id = event.message_id
                await self.emit(event)
        finally:
            reply.spoken.finish()

    async def _say_listening(self) -> None:
        """Called by name alone: say so, and take the next line without the name."""
        assert self.wake is not None
        await self.emit(Notice("listening", "Listening."))
        spoken = SpokenReply(self.tts, self.sink, self.speed)
        spoken.feed("Yes?")
        spoken.finish()
        await spoken.played()
        self.wake.stay_awake(time.perf_counter())

    async def _tell(self, event: TurnEvent) -> None:
        await self.emit(event)

    def _barge_in(self) -> None:
        """The person started speaking: if the companion is talking, it stops now."""
        reply = self._reply
        if reply is None or reply.barged is not None:
            return
        reply.barged = reply.spoken.stop()
        reply.cancel.cancel()
        stop_ms = (time.perf_counter() - self._speech_began) * 1000
        task = asyncio.get_running_loop().create_task(
            self._tell(BargedIn(reply.barged, round(stop_ms, 1)))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
