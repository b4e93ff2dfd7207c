"""Hearing and speaking for every door (``os1 talk``, the web's voice socket): the speech
models (loaded once, on first use, and shared by every person and session), the
person's voice settings, a live voice session, and answering one recording.

A door brings only what is its own: where the reply's audio goes (a sound card, a
socket) and how events are shown. Which voice, how fast, whether recordings are kept
and whether a wake phrase is needed come from the person's settings, here, once.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import numpy as np

from os1.config import Settings
from os1.core.base import Core
from os1.errors import InputError
from os1.models.assets import models_dir
from os1.models.base import CancelToken
from os1.models.tts import Speech as SpokenPiece
from os1.persona.identity import ensure_identity
from os1.persona.voice import VoiceSettings, load_voice, save_voice
from os1.voice.answer import SpokenExchange, answer_recording
from os1.voice.audio import LISTEN_RATE, read_audio, recorder, write_wav
from os1.voice.endpoint import TurnTaking
from os1.voice.engines import SpeechModels
from os1.voice.listen import Hearing, hear_recording
from os1.voice.playback import AudioSink, ClockSink, DeviceSink
from os1.voice.session import Conversation, Emit, VoiceSession
from os1.voice.wake import WakePhrase
from os1.voice.wer import words

MAX_DICTATION_SECONDS = 300  # a letter's worth of talking; longer is a recording to import

__all__ = [
    "LISTEN_RATE",
    "AudioSink",
    "ClockSink",
    "DeviceSink",
    "Hearing",
    "Speech",
    "SpeechModels",
    "SpokenExchange",
    "SpokenPiece",
    "TurnTaking",
    "VoiceSession",
    "VoiceSettings",
    "read_audio",
    "write_wav",
]


class Speech:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._models: SpeechModels | None = None

    def models(self, settings: Settings | None = None) -> SpeechModels:
        """Whisper and Piper, loaded on first use: a server nobody talks to aloud never
        pays for them. ``settings`` serve a companion built without its own (tests)."""
        if self._models is None:
            chosen = self.core.settings or settings or self.core.needs_settings()
            self._models = SpeechModels(models_dir(chosen), min(2, chosen.threads))
        return self._models

    async def voice(self, user: str) -> VoiceSettings:
        """How the companion speaks to this person."""
        return await load_voice(await self.core.store(user))

    async def change_voice(self, user: str, **changes: Any) -> VoiceSettings:
        """The person's voice settings with ``changes`` (None values ignored), saved.

        Raises:
            InputError: an unknown voice, or a speed out of range.
        """
        store = await self.core.store(user)
        current = await load_voice(store)
        wanted = current.changed(**changes)
        if wanted != current:
            await save_voice(store, wanted)
        return wanted

    async def _keeper(self, user: str, voice: VoiceSettings) -> Callable[[np.ndarray], None] | None:
        if not voice.keep_recordings or self.core.home is None:
            return None
        return recorder(self.core.home, (await self.core.store(user)).user.id)

    async def session(
        self,
        conversation: Conversation,
        user: str,
        sink: AudioSink,
        emit: Emit,
        *,
        voice: VoiceSettings | None = None,
        rules: TurnTaking | None = None,
        addressed: bool = False,
    ) -> VoiceSession:
        """A live voice conversation for ``user``: their speech in, the reply spoken to
        ``sink`` as it is written, ``emit`` told what happens.

        Args:
            conversation: where turns go (the companion, or a door's rate-limited front).
            voice: the person's settings with this run's changes (their saved ones if None).
            addressed: every utterance is meant for the companion (push to talk), so no
                wake phrase is needed even if the person asked for one.

        Raises:
            Exception: the speech models cannot be loaded (a broken install).
        """
        models = self.models()
        stt, tts = await models.stt(), await models.tts()
        voice = voice or await self.voice(user)
        wake = None
        if voice.wake_phrase and not addressed:
            name = (await ensure_identity(await self.core.store(user), self.core.llm)).name
            wake = WakePhrase(name)
        return VoiceSession(
            conversation,
            user,
            stt,
            tts,
            sink,
            emit,
            speed=voice.speed,
            rules=rules,
            keep=await self._keeper(user, voice),
            wake=wake,
        )

    async def dictation(self, data: bytes) -> Hearing:
        """The words said in a recording (any common format: WAV, WebM/Opus from a
        browser, OGG, MP3), to type for the person; nothing is answered or kept.

        Raises:
            InputError: not audio, longer than five minutes, or no speech in it.
        """
        audio = await asyncio.to_thread(read_audio, io.BytesIO(data))
        seconds = audio.size / LISTEN_RATE
        if seconds > MAX_DICTATION_SECONDS:
            raise InputError(
                "dictation_too_long",
                f"That recording is {seconds / 60:.1f} minutes; dictation takes at most"
                f" {MAX_DICTATION_SECONDS // 60}.",
                "Say it in parts, or type it.",
            )
        hearing = await hear_recording(await self.models().stt(), audio)
        if not words(hearing.text):
            raise InputError(
                "no_speech",
                f"No speech was heard in {hearing.seconds:.1f} s of audio.",
                "Speak closer to the microphone, or type instead.",
            )
        return hearing

    async def answer(
        self,
        conversation: Conversation,
        user: str,
        audio: np.ndarray,
        *,
        voice: VoiceSettings | None = None,
        progress: Callable[[float, float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> SpokenExchange:
        """Hear one recording and speak the reply (``os1 talk --in``); ``cancel`` stops
        the reply, which is kept as far as it went, marked interrupted.

        Raises:
            InputError: the recording holds no speech.
        """
        models = self.models()
        stt, tts = await models.stt(), await models.tts()
        voice = voice or await self.voice(user)
        return await answer_recording(
            conversation, user, stt, tts, audio, speed=voice.speed, progress=progress, cancel=cancel
        )
