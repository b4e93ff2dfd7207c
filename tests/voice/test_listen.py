"""Whole recordings: an hour long, clipped, or with nothing said, each heard correctly
and never a hang."""

from __future__ import annotations

import time

import numpy as np
import pytest
from speech import quiet, said

from os1.errors import InputError
from os1.models.stt import WhisperSTT
from os1.models.tts import PiperTTS
from os1.voice.answer import answer_recording
from os1.voice.listen import WINDOW_SECONDS, hear_recording, speech_spans, windows
from os1.voice.wer import word_error_rate

pytestmark = pytest.mark.real_model

RATE = 16_000


async def test_an_hour_long_recording_is_heard_in_chunks_with_progress(
    stt: WhisperSTT, tts: PiperTTS
) -> None:
    sentences = [
        "The meeting starts at nine tomorrow.",
        "Please bring the blue folder.",
        "We will finish before lunch.",
    ]
    hour = quiet(3600.0)
    for minute, sentence in zip((5, 30, 59), sentences, strict=True):
        speech = said(tts, sentence)
        at = minute * 60 * RATE
        hour[at : at + speech.size] += speech
    reports: list[tuple[float, float]] = []
    started = time.monotonic()
    hearing = await hear_recording(stt, hour, lambda done, total: reports.append((done, total)))
    assert time.monotonic() - started < 120  # an hour of audio, far from real time
    assert word_error_rate([(" ".join(sentences), hearing.text)]) <= 0.1
    assert hearing.seconds == pytest.approx(3600.0)
    assert 3 < hearing.speech_seconds < 20  # only the speech was transcribed
    done = [d for d, _ in reports]
    assert len(reports) > 60 and done == sorted(done) and done[-1] == pytest.approx(3600.0)


def test_long_speech_is_cut_into_windows_whisper_can_hear() -> None:
    minute = 60 * RATE
    parts = windows([(0, 3 * minute), (3 * minute + RATE, 3 * minute + 2 * RATE)])
    assert all(end - start <= WINDOW_SECONDS * RATE for start, end in parts)
    assert parts[0][0] == 0 and parts[-1][1] == 3 * minute + 2 * RATE
    assert speech_spans(np.zeros(RATE * 5, dtype=np.float32)) == []


async def test_clipped_audio_is_still_heard(stt: WhisperSTT, tts: PiperTTS) -> None:
    sentence = "Turn the music down a little please."
    loud = np.clip(said(tts, sentence) * 6.0, -1.0, 1.0)  # a shouted, clipping microphone
    assert np.mean(np.abs(loud) >= 0.999) > 0.03  # several per cent of samples clipped
    hearing = await hear_recording(stt, np.concatenate([quiet(0.3), loud, quiet(0.3)]))
    assert word_error_rate([(sentence, hearing.text)]) <= 0.2


class NoTurns:
    """A companion that must not be asked: a recording without speech starts no turn."""

    def turn(self, *_: object, **__: object) -> object:
        raise AssertionError("a recording without speech must not start a turn")

    async def keep_heard(self, *_: object) -> None:
        raise AssertionError("nothing was said, so nothing was cut short")


async def test_a_recording_with_nothing_said_is_not_sent_to_the_companion(
    stt: WhisperSTT, tts: PiperTTS
) -> None:
    noise = np.random.default_rng(3).normal(0, 0.05, RATE * 4).astype(np.float32)
    for audio in (quiet(5.0), noise):
        with pytest.raises(InputError) as caught:
            await answer_recording(NoTurns(), "me", stt, tts, audio)  # type: ignore[arg-type]
        assert caught.value.code == "no_speech"
