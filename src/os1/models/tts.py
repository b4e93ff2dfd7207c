"""Text to speech: Piper with the packaged "joe" voice, on the CPU, off the event loop.

``speak`` gives one sentence's audio as int16 samples; doors speak a reply sentence by
sentence as the model streams it, so the first words sound before the reply is done.
Speed is part of the companion's voice settings (``length_scale``: above 1 is slower).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # int16, mono
    rate: int
    text: str = ""  # the words spoken (doors show them beside the sound)

    @property
    def seconds(self) -> float:
        return self.samples.size / self.rate if self.rate else 0.0


class TextToSpeech(Protocol):
    async def speak(self, text: str, speed: float = 1.0) -> Speech: ...


class PiperTTS:
    """Args:
    model: the voice's ONNX file; config: its JSON config.

    ``speed`` 1.0 is the voice's own pace; 1.2 is 20 % faster. ``steady`` leaves out the
    voice's random variation (Piper draws fresh noise for every sentence, so the same
    words differ in length and sound each time): the same words then always give the
    same samples, which tests and benchmarks need to be repeatable.
    """

    def __init__(self, model: Path, config: Path) -> None:
        from piper import PiperVoice

        self._voice = PiperVoice.load(str(model), config_path=str(config))
        self.rate = int(self._voice.config.sample_rate)
        self._lock = threading.Lock()

    def speak_now(self, text: str, speed: float = 1.0, *, steady: bool = False) -> Speech:
        """Blocking synthesis (call from a worker thread); empty text gives no samples."""
        from piper import SynthesisConfig

        if not text.strip():
            return Speech(np.zeros(0, dtype=np.int16), self.rate, text)
        config = SynthesisConfig(length_scale=1.0 / min(4.0, max(0.25, speed)))
        if steady:
            config.noise_scale = config.noise_w_scale = 0.0
        with self._lock:
            chunks = [c.audio_int16_array for c in self._voice.synthesize(text, config)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return Speech(samples.astype(np.int16, copy=False), self.rate, text)

    async def speak(self, text: str, speed: float = 1.0) -> Speech:
        return await asyncio.to_thread(self.speak_now, text, speed)
