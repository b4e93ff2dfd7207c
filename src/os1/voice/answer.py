"""One spoken exchange from a recording: hear it, answer it, speak the answer.

This is ``os1 talk --in``: the question is a file (or a pipe) rather than a live
microphone, so there is no turn-taking to do; the whole recording is the turn. The
reply is still spoken piece by piece as the model streams, so the timings are those a
live conversation would have after the end of speech.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from os1.errors import InputError
from os1.events import TextDelta, TurnEvent, TurnFinished
from os1.models.base import CancelToken
from os1.models.stt import SpeechToText
from os1.models.tts import TextToSpeech
from os1.voice.listen import Progress, hear_recording
from os1.voice.playback import RecordingSink
from os1.voice.session import Conversation
from os1.voice.speaker import SpokenReply
from os1.voice.wer import words


@dataclass
class SpokenExchange:
    transcript: str
    reply: str
    audio: np.ndarray = field(repr=False)  # the reply's voice, int16 mono
    rate: int
    seconds_heard: float
    timings: dict[str, float]
    events: list[TurnEvent] = field(default_factory=list, repr=False)


async def answer_recording(
    conversation: Conversation,
    user: str,
    stt: SpeechToText,
    tts: TextToSpeech,
    audio: np.ndarray,
    *,
    speed: float = 1.0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> SpokenExchange:
    """Raises:
    InputError: the recording holds no speech (``no_speech``).
    """
    started = time.perf_counter()
    hearing = await hear_recording(stt, audio, progress)
    heard_at = time.perf_counter()
    if not words(hearing.text):
        raise InputError(
            "no_speech",
            f"No speech was heard in {hearing.seconds:.1f} s of audio.",
            "Check the recording: speak closer to the microphone, or give another file.",
        )
    sink = RecordingSink()
    spoken = SpokenReply(tts, sink, speed)
    events: list[TurnEvent] = []
    try:
        async for event in conversation.turn(user, hearing.text, cancel=cancel):
            events.append(event)
            if isinstance(event, TextDelta):
                spoken.feed(event.text)
    finally:
        spoken.finish()
        await spoken.done()
    done = time.perf_counter()
    finished = next((e for e in events if isinstance(e, TurnFinished)), None)
    first_piece = spoken.first_piece_at or done
    first_audio = spoken.first_audio_at or done
    samples, rate = sink.audio()
    return SpokenExchange(
        transcript=hearing.text,
        reply=finished.text if finished else "",
        audio=samples,
        rate=rate,
        seconds_heard=hearing.seconds,
        timings={
            "stt": round(heard_at - started, 3),
            "llm_first_piece": round(first_piece - heard_at, 3),
            "tts_first_piece": round(first_audio - first_piece, 3),
            "first_audio": round(first_audio - started, 3),
            "total": round(done - started, 3),
            "reply_audio": round(samples.size / rate, 2),
            "stt_rtf": round((heard_at - started) / max(hearing.seconds, 1e-6), 3),
            "tts_rtf": round(spoken.synthesis_seconds / max(samples.size / rate, 1e-6), 3),
        },
        events=events,
    )
