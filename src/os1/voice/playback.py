"""Where the companion's voice goes: a sound card, a file, a browser, or a test's clock.

Every sink plays one reply at a time, in the order pieces are queued, and knows how much
of the reply has been played: that is what the person heard when they cut in, and so
what the conversation keeps. ``stop`` silences the sink at once and drops what is
queued (barge-in); the next ``begin`` starts a new reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from typing import Protocol

import numpy as np

from os1.models.tts import Speech


class AudioSink(Protocol):
    def begin(self) -> None:
        """A new reply starts: the played position goes back to zero."""

    def enqueue(self, speech: Speech) -> None:
        """Play ``speech`` after whatever is queued."""

    def position(self) -> float:
        """Seconds of this reply played so far."""

    def stop(self) -> None:
        """Silence at once and drop what is queued."""

    async def drain(self) -> None:
        """Return once everything queued has been played (or the sink was stopped)."""


class RecordingSink:
    """Keeps every reply's audio instead of playing it (``os1 talk --out``, tests).

    Audio counts as played the moment it is queued, since nobody waits for it.
    """

    def __init__(self) -> None:
        self.pieces: list[Speech] = []
        self._played = 0.0

    def begin(self) -> None:
        self._played = 0.0

    def enqueue(self, speech: Speech) -> None:
        self.pieces.append(speech)
        self._played += speech.seconds

    def position(self) -> float:
        return self._played

    def stop(self) -> None:
        return None

    async def drain(self) -> None:
        return None

    def audio(self) -> tuple[np.ndarray, int]:
        """All the audio so far as one int16 array, and its rate."""
        if not self.pieces:
            return np.zeros(0, dtype=np.int16), 22_050
        return np.concatenate([p.samples for p in self.pieces]), self.pieces[0].rate


class ClockSink:
    """Plays in real time on the wall clock without a sound card: a piece starts when it
    is queued or when the one before it ends, whichever is later. Tests and benchmarks
    use it to hear replies exactly as long as a person would."""

    def __init__(self) -> None:
        self._spans: list[tuple[float, float]] = []  # (start, seconds) on the monotonic clock
        self._stopped_at: float | None = None
        self._stopped = asyncio.Event()
        self.stops: list[float] = []  # monotonic times of every stop, for measurement

    def begin(self) -> None:
        self._spans = []
        self._stopped_at = None
        self._stopped = asyncio.Event()

    def enqueue(self, speech: Speech) -> None:
        if self._stopped_at is not None:
            return
        now = time.monotonic()
        start = max(now, self._spans[-1][0] + self._spans[-1][1]) if self._spans else now
        self._spans.append((start, speech.seconds))

    def position(self) -> float:
        now = self._stopped_at if self._stopped_at is not None else time.monotonic()
        return sum(min(max(0.0, now - start), length) for start, length in self._spans)

    def stop(self) -> None:
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
            self.stops.append(self._stopped_at)
            self._stopped.set()

    @property
    def playing(self) -> bool:
        if self._stopped_at is not None or not self._spans:
            return False
        start, length = self._spans[-1]
        return time.monotonic() < start + length

    async def drain(self) -> None:
        if not self.playing:
            return
        start, length = self._spans[-1]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), start + length - time.monotonic())


class DeviceSink:
    """The sound card, through PortAudio (``sounddevice``). A callback pulls 20 ms blocks
    from the queue, so a stop is heard within one block."""

    BLOCK_SECONDS = 0.02

    def __init__(self, rate: int = 22_050) -> None:
        import sounddevice

        self.rate = rate
        self._queue: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._played = 0
        self._stream = sounddevice.OutputStream(
            samplerate=rate,
            channels=1,
            dtype="int16",
            blocksize=int(rate * self.BLOCK_SECONDS),
            callback=self._fill,
        )
        self._stream.start()

    def _fill(self, out: np.ndarray, frames: int, _time: object, _status: object) -> None:
        out.fill(0)
        written = 0
        with self._lock:
            while written < frames and self._queue:
                head = self._queue[0]
                take = min(frames - written, head.size)
                out[written : written + take, 0] = head[:take]
                written += take
                if take == head.size:
                    self._queue.popleft()
                else:
                    self._queue[0] = head[take:]
            self._played += written

    def begin(self) -> None:
        with self._lock:
            self._played = 0

    def enqueue(self, speech: Speech) -> None:
        samples = speech.samples
        if speech.rate != self.rate:
            from os1.voice.audio import resample

            floats = resample(samples, speech.rate, self.rate)
            samples = (np.clip(floats, -1, 1) * 32767).astype(np.int16)
        with self._lock:
            self._queue.append(samples)

    def position(self) -> float:
        with self._lock:
            return self._played / self.rate

    def stop(self) -> None:
        with self._lock:
            self._queue.clear()

    async def drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    break
            await asyncio.sleep(self.BLOCK_SECONDS)
        await asyncio.sleep(float(self._stream.latency))

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


class HeldSink:
    """Holds a reply's audio back until ``release``, then plays it on ``sink``.

    A reply begun at a pause, before the person surely finished (``VoiceSession``), is
    voiced into one of these: if they go on, it is dropped unheard; once their turn is
    over, what is ready plays at once and the rest follows as it comes.
    """

    def __init__(self, sink: AudioSink) -> None:
        self.sink = sink
        self.released_at: float | None = None  # perf_counter of the release
        self._held: list[Speech] | None = []

    def release(self) -> None:
        if self._held is None:
            return
        self.released_at = time.perf_counter()
        held, self._held = self._held, None
        self.sink.begin()
        for speech in held:
            self.sink.enqueue(speech)

    def begin(self) -> None:
        return None  # the sink's reply begins at the release

    def enqueue(self, speech: Speech) -> None:
        if self._held is None:
            self.sink.enqueue(speech)
        else:
            self._held.append(speech)

    def position(self) -> float:
        return 0.0 if self._held is not None else self.sink.position()

    def stop(self) -> None:
        if self._held is None:
            self.sink.stop()
        else:
            self._held.clear()

    async def drain(self) -> None:
        if self._held is None:
            await self.sink.drain()
