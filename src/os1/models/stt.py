"""Speech to text: faster-whisper (Whisper base, int8) on the CPU, off the event loop.

Audio comes in as mono float32 samples at 16 kHz (``voice/audio`` converts any file or
stream to that). Transcription is CPU-bound and blocking, so it runs in a worker thread;
one model serves every caller, one transcription at a time (CTranslate2 already uses the
cores it is given, and two at once would only thrash them).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    seconds: float  # length of the audio heard


class SpeechToText(Protocol):
    async def transcribe(self, samples: np.ndarray) -> Transcript: ...


class WhisperSTT:
    """Args:
    model_dir: a CTranslate2 Whisper folder (``speech_assets.whisper_dir``).
    threads: CPU threads for CTranslate2.
    language: the language spoken, or None to detect it.
    """

    def __init__(self, model_dir: Path, threads: int = 2, language: str | None = "en") -> None:
        from faster_whisper import WhisperModel

        self.language = language
        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads
        )
        self._lock = threading.Lock()

    def transcribe_now(self, samples: np.ndarray) -> Transcript:
        """Blocking transcription (call from a worker thread)."""
        audio = np.asarray(samples, dtype=np.float32).reshape(-1)
        if audio.size == 0:
            return Transcript("", self.language or "", 0.0)
        with self._lock:
            segments, info = self._model.transcribe(
                audio, language=self.language, beam_size=1, vad_filter=True
            )
            text = " ".join(segment.text.strip() for segment in segments).strip()
        return Transcript(text, info.language, audio.size / SAMPLE_RATE)

    async def transcribe(self, samples: np.ndarray) -> Transcript:
        return await asyncio.to_thread(self.transcribe_now, samples)
