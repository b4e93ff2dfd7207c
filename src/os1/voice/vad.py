"""Voice activity detection on a live stream: Silero VAD, the model faster-whisper ships.

faster-whisper runs Silero over a whole recording at once; a conversation needs it one
piece at a time, as the microphone delivers. The model works on 32 ms frames (512
samples at 16 kHz), each seen with the last 64 samples of the frame before, and carries
a recurrent state from frame to frame. ``StreamingVAD`` keeps that state and the unfed
remainder between calls, so feeding a stream in any chunk sizes gives exactly the
probabilities the whole-file pass would (a test checks it).
"""

from __future__ import annotations

import threading

import numpy as np

FRAME = 512  # samples per VAD frame at 16 kHz
FRAME_SECONDS = FRAME / 16_000
_CONTEXT = 64
_STATE = (1, 1, 128)


def _session() -> object:
    from faster_whisper.vad import get_vad_model

    return get_vad_model().session  # loaded once per process and shared (runs are thread-safe)


class StreamingVAD:
    """Speech probabilities for a 16 kHz mono float32 stream, one per 32 ms frame."""

    def __init__(self) -> None:
        self._model = _session()
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far (a new, unrelated stream follows)."""
        self._h = np.zeros(_STATE, dtype=np.float32)
        self._c = np.zeros(_STATE, dtype=np.float32)
        self._tail = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """The probabilities of every frame completed by ``samples`` (maybe none)."""
        audio = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        whole = audio.size // FRAME * FRAME
        self._pending = audio[whole:]
        if whole == 0:
            return np.zeros(0, dtype=np.float32)
        frames = audio[:whole].reshape(-1, FRAME)
        context = np.concatenate([self._tail[None, :], frames[:-1, -_CONTEXT:]], axis=0)
        with self._lock:
            # the ONNX session comes untyped from faster-whisper
            out, self._h, self._c = self._model.run(  # type: ignore[attr-defined]
                None,
                {"input": np.concatenate([context, frames], axis=1), "h": self._h, "c": self._c},
            )
        self._tail = frames[-1, -_CONTEXT:].copy()
        return np.asarray(out, dtype=np.float32).reshape(-1)
