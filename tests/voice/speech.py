"""Scripted audio for the voice tests: sentences spoken by Piper at 16 kHz, silences,
and a microphone that plays a script into a session in real time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import numpy as np

from os1.models.tts import PiperTTS
from os1.voice.audio import LISTEN_RATE, resample
from os1.voice.session import VoiceSession

BLOCK = 512  # what a microphone delivers at a time: 32 ms


def said(tts: PiperTTS, text: str) -> np.ndarray:
    """``text`` spoken the same way every run, so what Whisper hears does not vary."""
    speech = tts.speak_now(text, steady=True)
    return resample(speech.samples, speech.rate)


def quiet(seconds: float) -> np.ndarray:
    """Room tone: not digital silence, which no microphone gives."""
    rng = np.random.default_rng(int(seconds * 1000))
    return rng.normal(0, 0.002, int(seconds * LISTEN_RATE)).astype(np.float32)


async def speak_into(session: VoiceSession, parts: Sequence[np.ndarray]) -> None:
    """Feed ``parts`` to ``session`` block by block at the pace they would be spoken."""
    audio = np.concatenate(parts)
    start = time.monotonic()
    for index, offset in enumerate(range(0, audio.size, BLOCK)):
        await session.feed(audio[offset : offset + BLOCK])
        delay = start + (index + 1) * BLOCK / LISTEN_RATE - time.monotonic()
        await asyncio.sleep(max(0.0, delay))
