"""Dictation over HTTP with the real Whisper: what was said comes back as words to type,
and what is not speech, too long or not audio at all gets a clear 422."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from serving import AppClient

from os1.models.speech_assets import piper_voice_files
from os1.models.tts import PiperTTS
from os1.voice.audio import LISTEN_RATE, write_wav
from os1.voice.wer import word_errors
from voice.speech import quiet, said

pytestmark = pytest.mark.real_model

SAID = "Thank her for the summers at the lake house."


def _long_quiet_wav(seconds: float) -> bytes:
    """Quiet as 8-bit samples at 1 kHz: a long recording in a small body (a WAV at 16 kHz
    would pass the server's request cap long before it passed five minutes)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(1000)
        out.writeframes(bytes([128]) * int(seconds * 1000))
    return buffer.getvalue()


def _wav(audio: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    write_wav(buffer, audio, LISTEN_RATE)
    return buffer.getvalue()


def test_what_was_said_comes_back_as_words(client: AppClient) -> None:
    ada = client.person("ada")
    spoken = said(PiperTTS(*piper_voice_files()), SAID)
    heard = client.post(
        "/api/dictation", content=_wav(np.concatenate([quiet(0.5), spoken, quiet(0.5)])),
        headers={**ada.headers, "Content-Type": "audio/wav"},
    )  # fmt: skip
    assert heard.status_code == 200, heard.text
    body = heard.json()
    edits, words = word_errors(SAID, body["text"])
    assert edits / words <= 0.2, body["text"]
    assert 0 < body["speech_seconds"] <= body["seconds"]


def test_what_is_not_speech_or_too_long_is_refused_clearly(client: AppClient) -> None:
    ada = client.person("ada")
    cases = {
        b"": "audio_unreadable",
        b"RIFF\x00\x00not really a wav at all" * 10: "audio_unreadable",
        _wav(quiet(3.0)): "no_speech",
        _long_quiet_wav(301.0): "dictation_too_long",
    }
    for data, code in cases.items():
        refused = client.post("/api/dictation", content=data, headers=ada.headers)
        assert refused.status_code == 422, (code, refused.text)
        error = refused.json()["error"]
        assert error["code"] == code and error["hint"], error
    assert client.post("/api/dictation", content=_wav(quiet(1.0))).status_code == 401
