"""Hearing a whole recording, however long: a voice memo or an hour-long talk.

Whisper hears at most 30 seconds at a time. A recording is first swept by the voice
activity detector in one-minute chunks (an hour takes seconds), the speech found is
grouped into windows of up to ``WINDOW_SECONDS`` that break at pauses, and each window
is transcribed in turn, with progress reported in seconds of audio. Silence costs almost
nothing, and a recording with no speech is said to have none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from os1.models.stt import SAMPLE_RATE, SpeechToText
from os1.voice.vad import FRAME, StreamingVAD

WINDOW_SECONDS = 28.0
_CHUNK = 60 * SAMPLE_RATE // FRAME * FRAME  # one minute, in whole VAD frames
_THRESHOLD, _RELEASE = 0.5, 0.35
_GAP = int(0.5 * SAMPLE_RATE)  # a pause at least this long separates two stretches of speech
_PAD = int(0.5 * SAMPLE_RATE)  # kept around each stretch: Silero notices soft onsets late

Progress = Callable[[float, float], None]  # (seconds done, seconds in all)


@dataclass(frozen=True)
class Hearing:
    text: str
    seconds: float  # length of the recording
    speech_seconds: float  # how much of it was speech


def speech_spans(audio: np.ndarray, progress: Progress | None = None) -> list[tuple[int, int]]:
    """Sample ranges of ``audio`` (16 kHz mono) that hold speech, padded and merged."""
    vad = StreamingVAD()
    flags: list[np.ndarray] = []
    total = audio.size / SAMPLE_RATE
    for start in range(0, audio.size, _CHUNK):
        flags.append(vad.feed(audio[start : start + _CHUNK]))
        if progress:
            progress(min(audio.size, start + _CHUNK) / SAMPLE_RATE, total)
    flags.append(vad.feed(np.zeros(FRAME, dtype=np.float32)))  # the last part-frame
    probabilities = np.concatenate(flags)
    spans: list[tuple[int, int]] = []
    speaking = False
    for index, probability in enumerate(probabilities):
        if not speaking and probability >= _THRESHOLD:
            speaking, begin = True, index * FRAME
        elif speaking and probability < _RELEASE:
            speaking = False
            spans.append((begin, index * FRAME))
    if speaking:
        spans.append((begin, audio.size))
    return _merge([(max(0, a - _PAD), min(audio.size, b + _PAD)) for a, b in spans])


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < _GAP:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def windows(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Speech spans grouped into windows Whisper can hear at once, breaking at pauses;
    a single stretch longer than a window is cut into window-sized pieces."""
    limit = int(WINDOW_SECONDS * SAMPLE_RATE)
    grouped: list[tuple[int, int]] = []
    for start, end in spans:
        for piece in range(start, end, limit):
            part = (piece, min(end, piece + limit))
            if grouped and part[1] - grouped[-1][0] <= limit:
                grouped[-1] = (grouped[-1][0], part[1])
            else:
                grouped.append(part)
    return grouped


async def hear_recording(
    stt: SpeechToText, audio: np.ndarray, progress: Progress | None = None
) -> Hearing:
    """Everything said in ``audio`` (16 kHz mono float32), in order."""
    total = audio.size / SAMPLE_RATE
    sweep = 0.1 * total  # the sweep is quick; it is a tenth of the bar

    def swept(done: float, _all: float) -> None:
        if progress:
            progress(0.1 * done, total)

    parts = windows(speech_spans(audio, swept))
    speech = sum(end - start for start, end in parts) or 1
    heard: list[str] = []
    done = 0
    for start, end in parts:
        text = (await stt.transcribe(audio[start:end])).text
        if text:
            heard.append(text)
        done += end - start
        if progress:
            progress(sweep + (total - sweep) * done / speech, total)
    if progress:
        progress(total, total)
    spoken = sum(end - start for start, end in parts) / SAMPLE_RATE
    return Hearing(" ".join(heard), total, round(spoken, 2))
