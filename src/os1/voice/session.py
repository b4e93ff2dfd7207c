"""A spoken conversation: audio in, turns out, the reply spoken back, interruptible.

``VoiceSession`` is door-neutral. A door pushes microphone audio (16 kHz mono float32,
in real time) into ``feed`` and renders the events it emits; the session finds turns
(``endpoint``), transcribes them off the event loop, runs each through the companion's
ordinary turn (so a spoken turn is remembered like a typed one), and speaks the reply
as it streams (``speaker``). When the person starts speaking over the reply, playback
stops at once, the turn is cancelled, and only the words they heard are kept.

The reply does not wait for the end of the turn to be certain. As soon as the words of a
pause are known, a *draft* reply starts: a tentative turn (``os1.tentative``) whose text
is written and voiced into a ``HeldSink``, its events held back. If the turn ends on
those words, the draft is kept and heard at once; if the person goes on, it is dropped,
with nothing stored and nothing heard.

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
from os1.tentative import Tentative
from os1.voice.endpoint import (
    Endpointer,
    Paused,
    Resumed,
    SpeechStarted,
    TurnEnded,
    TurnTaking,
)
from os1.voice.playback import AudioSink, HeldSink
from os1.voice.speaker import SpokenReply
from os1.voice.wake import WakePhrase
from os1.voice.wer import words


class Conversation(Protocol):
    def turn(
        self,
        user: str,
        text: str,
        *,
        cancel: CancelToken | None = None,
        tentative: Tentative | None = None,
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


class _HeldEvents:
    """A draft's events, held until it is kept, then passed on in order."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._held: list[TurnEvent] | None = []

    async def send(self, event: TurnEvent) -> None:
        if self._held is None:
            await self._emit(event)
        else:
            self._held.append(event)

    async def release(self) -> None:
        while self._held:  # events sent meanwhile join the queue being emptied
            await self._emit(self._held.pop(0))
        self._held = None


@dataclass
class _Draft:
    """A reply begun at a pause, before the end of the turn was certain."""

    pause: int  # the pause whose words it answers
    text: str
    reply: _Reply
    sink: HeldSink
    events: _HeldEvents
    tentative: Tentative
    task: asyncio.Task[None]

    def drop(self) -> None:
        self.tentative.drop()
        self.reply.cancel.cancel()
        self.reply.spoken.stop()


class VoiceSession:
    """Args:
    conversation: the companion; user: whose conversation this is.
    stt, tts: the speech models; sink: where the reply is played.
    speed: the companion's speaking pace; rules: turn-taking timings.
    emit: receives every event (transcripts, the turn's own events, barge-ins, timings).
    keep: if given, receives each turn's audio (the person chose to keep recordings).
    wake: if given, only speech addressed to the companion is answered (``voice.wake``).
    drafts: begin the reply at a pause, before the end of the turn is certain (off with a
        wake phrase, where most speech heard is not meant for the companion).
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
        drafts: bool = True,
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
        self.drafts = drafts and wake is None
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
        self._draft: _Draft | None = None

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
            elif isinstance(event, Resumed):
                self._drop_draft()  # they went on: the reply to their pause is not wanted
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
        self._drop_draft()
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
            ended = [e for e in self.endpointer.poll() if isinstance(e, TurnEnded)]
            for event in ended:
                self._answer(event)
            if not ended:
                self._begin_draft(paused.pause, heard.text)

    # -- drafts: replies begun at a pause ----------------------------------------------------

    def _begin_draft(self, pause: int, heard: str) -> None:
        """Start answering the words of ``pause`` while the person is still quiet in it."""
        answering = self._answering is not None and not self._answering.done()
        if not self.drafts or answering or self._draft is not None or not words(heard):
            return
        if not self.endpointer.quiet_in(pause):
            return  # they spoke again while it was being transcribed
        text = f"{self._unanswered} {heard}".strip()
        sink = HeldSink(self.sink)
        reply = _Reply(SpokenReply(self.tts, sink, self.speed), CancelToken())
        events = _HeldEvents(self.emit)
        tentative = Tentative()
        task = asyncio.get_running_loop().create_task(
            self._run_turn(text, reply, events.send, tentative)
        )
        self._draft = _Draft(pause, text, reply, sink, events, tentative, task)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _drop_draft(self) -> None:
        draft, self._draft = self._draft, None
        if draft is not None:
            draft.drop()

    def _take_draft(self, pause: int, text: str) -> _Draft | None:
        """The draft, if it answers exactly the turn that ended; any other is dropped."""
        draft, self._draft = self._draft, None
        if draft is not None and (draft.pause, draft.text) == (pause, text) and pause:
            return draft
        if draft is not None:
            draft.drop()
        return None

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
        draft = self._take_draft(ended.pause, text)
        if self.endpointer.in_turn:
            if draft is not None:
                draft.drop()
            self._unanswered = text  # they went on speaking: answer it all at the end
            return
        if draft is None:
            reply = _Reply(SpokenReply(self.tts, self.sink, self.speed), CancelToken())
        else:
            reply = draft.reply
        self._reply = reply  # from here on, speaking again interrupts this reply
        if self.keep is not None:
            self.keep(ended.audio)
        try:
            await self.emit(Transcribed(text, round(ended.audio.size / SAMPLE_RATE, 2)))
            if draft is None:
                await self._run_turn(text, reply, self.emit)
            else:  # begun at the pause: heard from now on
                draft.tentative.keep()
                draft.sink.release()
                await draft.events.release()
                await draft.task
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
            # a draft's piece may be ready before the turn ended, and heard only then
            piece_at = max(spoken.first_piece_at, heard_at)
            released_at = (draft.sink.released_at if draft else None) or 0.0
            audio_at = max(spoken.first_audio_at, released_at)
            await self.emit(
                VoiceTimings(
                    end_of_turn=round(decided - speech_end, 3),
                    stt=round(heard_at - decided, 3),
                    llm_first_piece=round(piece_at - heard_at, 3),
                    tts_first_piece=round(audio_at - piece_at, 3),
                    first_audio=round(audio_at - speech_end, 3),
                    reply_audio=round(sum(p.seconds for p in spoken.pieces), 2),
                    drafted=draft is not None,
                )
            )

    async def _run_turn(
        self, text: str, reply: _Reply, send: Emit, tentative: Tentative | None = None
    ) -> None:
        turn = self.conversation.turn(self.user, text, cancel=reply.cancel, tentative=tentative)
        try:
            async for event in turn:
                if isinstance(event, TextDelta) and reply.barged is None:
                    reply.spoken.feed(event.text)
                elif isinstance(event, TurnFinished):
                    reply.message_id = event.message_id
                await send(event)
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
