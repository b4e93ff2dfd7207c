"""The speech models, loaded once per process on first use and shared by every door.

Loading takes about a second each (Whisper 0.5 s, Piper 0.65 s) and a few hundred MB, so
a server that nobody talks to aloud never pays for them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from os1.models.speech_assets import piper_voice_files, whisper_dir
from os1.models.stt import WhisperSTT
from os1.models.tts import PiperTTS


class SpeechModels:
    """Args: models: the folder assembled models live in; threads: CPU threads to listen."""

    def __init__(self, models: Path, threads: int = 2) -> None:
        self.models = models
        self.threads = threads
        self._stt: WhisperSTT | None = None
        self._tts: PiperTTS | None = None
        self._lock = asyncio.Lock()

    async def stt(self) -> WhisperSTT:
        async with self._lock:
            if self._stt is None:
                folder = await asyncio.to_thread(whisper_dir, self.models)
                self._stt = await asyncio.to_thread(WhisperSTT, folder, self.threads)
            return self._stt

    async def tts(self) -> PiperTTS:
        async with self._lock:
            if self._tts is None:
                self._tts = await asyncio.to_thread(PiperTTS, *piper_voice_files())
            return self._tts
