"""Speech to text: faster-whisper (Whisper base, int8) on the CPU, off the event loop.

Audio comes in as mono float32 samples at 16 kHz (``voice/audio`` converts any file or
stream to that). Transcription is CPU-bound and blocking, so it runs in a worker thread;
one model serves every caller, one transcription at a time (CTranslate2 already uses the
cores it is given, and two at once would only thrash them).

A spoken turn lasts a few seconds, yet Whisper's encoder reads a 30 s window whatever the
audio's length: about 0.5 s here before a word is decoded. So audio shorter than 15 s is
encoded in a 15 s window instead, a quarter of the encoder's work, with the same words on
our speech sets (CTranslate2 accepts the shorter window; whisper.cpp's ``audio_ctx`` is
the same idea). Shorter windows begin to truncate or loop, so 15 s is the floor, and an
answer that looks like a loop (too compressible, or it ran into its length limit) is
transcribed again the ordinary way, with faster-whisper's temperature fallback.
"""

from __future__ import annotations

import asyncio
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

SAMPLE_RATE = 16_000
SHORT_WINDOW_FRAMES = 1_500  # 15 s of 10 ms mel frames: the encoder's window for a turn
# samples: audio shorter than this has fewer mel frames than the window (160 per frame)
SHORT_AUDIO = SHORT_WINDOW_FRAMES * SAMPLE_RATE // 100
TOKENS_PER_SECOND = 10  # far above speech's 3 to 5 a second: reaching it means a loop
LOOPING_COMPRESSION = 2.4  # faster-whisper's own threshold for a repetitive transcript


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
    language: the language spoken, or None to detect it (then every window is 30 s).
    """

    def __init__(self, model_dir: Path, threads: int = 2, language: str | None = "en") -> None:
        from faster_whisper import WhisperModel

        self.language = language
        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads
        )
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._suppressed: list[int] = []

    def transcribe_now(self, samples: np.ndarray) -> Transcript:
        """Blocking transcription (call from a worker thread)."""
        audio = np.asarray(samples, dtype=np.float32).reshape(-1)
        if audio.size == 0:
            return Transcript("", self.language or "", 0.0)
        with self._lock:
            short = bool(self.language) and audio.size < SHORT_AUDIO
            text = self._in_short_window(audio) if short else None
            language = self.language or ""
            if text is None:
                segments, info = self._model.transcribe(
                    audio, language=self.language, beam_size=1, vad_filter=True
                )
                text = " ".join(segment.text.strip() for segment in segments).strip()
                language = info.language
        return Transcript(text, language, audio.size / SAMPLE_RATE)

    async def transcribe(self, samples: np.ndarray) -> Transcript:
        return await asyncio.to_thread(self.transcribe_now, samples)

    def _in_short_window(self, audio: np.ndarray) -> str | None:
        """The words of audio shorter than the short window; None: use the ordinary path."""
        import ctranslate2
        from faster_whisper.vad import get_speech_timestamps

        spans = get_speech_timestamps(audio)  # the same Silero VAD as ``vad_filter``
        if not spans:
            return ""  # silence or noise: nothing was said
        speech = audio[spans[0]["start"] : spans[-1]["end"]]
        features = self._model.feature_extractor(speech)
        window = np.zeros((1, features.shape[0], SHORT_WINDOW_FRAMES), dtype=np.float32)
        window[0, :, : features.shape[-1]] = features
        tokenizer = self._english_tokenizer()
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        limit = len(prompt) + 8 + int(TOKENS_PER_SECOND * speech.size / SAMPLE_RATE)
        result = self._model.model.generate(
            self._model.model.encode(ctranslate2.StorageView.from_array(window)),
            [prompt],
            beam_size=1,
            max_length=limit,
            suppress_tokens=self._suppressed,
        )[0]
        tokens = result.sequences_ids[0]
        text = str(tokenizer.decode(tokens)).strip()
        if len(prompt) + len(tokens) >= limit or _looping(text):
            return None
        return text

    def _english_tokenizer(self) -> Any:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        if self._tokenizer is None:
            model = self._model
            self._tokenizer = Tokenizer(
                model.hf_tokenizer, model.model.is_multilingual, "transcribe", self.language
            )
            self._suppressed = list(get_suppressed_tokens(self._tokenizer, [-1]) or [])
        return self._tokenizer


def _looping(text: str) -> bool:
    """Whether a transcript repeats itself, as Whisper does when it loses its place."""
    raw = text.encode()
    return len(raw) > 40 and len(raw) / len(zlib.compress(raw)) > LOOPING_COMPRESSION
