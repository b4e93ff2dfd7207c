"""The real speech models: what Piper says, Whisper hears; files of every shape are read
or refused with a clear error, never a crash."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from os1.errors import InputError
from os1.models.stt import WhisperSTT, _looping
from os1.models.tts import PiperTTS
from os1.voice.audio import LISTEN_RATE, read_audio, resample, write_wav
from os1.voice.wer import word_error_rate, words

pytestmark = pytest.mark.real_model


async def test_what_piper_says_whisper_hears(tts: PiperTTS, stt: WhisperSTT) -> None:
    sentence = "Please remind me to water the plants on Sunday morning."
    speech = await tts.speak(sentence)
    assert speech.rate == 22_050 and 1.5 < speech.seconds < 8
    heard = await stt.transcribe(resample(speech.samples, speech.rate))
    assert words(heard.text) == words(sentence)


def test_steady_speech_is_the_same_every_time(tts: PiperTTS) -> None:
    sentence = "Thank her for the summers at the lake house."
    first, second = (tts.speak_now(sentence, steady=True) for _ in range(2))
    assert first.seconds > 1.0 and np.array_equal(first.samples, second.samples)


async def test_silence_and_noise_give_nowords(stt: WhisperSTT) -> None:
    silence = np.zeros(LISTEN_RATE * 2, dtype=np.float32)
    assert (await stt.transcribe(silence)).text == ""
    noise = np.random.default_rng(1).normal(0, 0.01, LISTEN_RATE * 2).astype(np.float32)
    assert len(words((await stt.transcribe(noise)).text)) <= 2
    assert (await stt.transcribe(np.zeros(0, dtype=np.float32))).seconds == 0.0


def test_any_rate_and_channel_count_is_read_as_16k_mono(tmp_path: Path, tts: PiperTTS) -> None:
    speech = tts.speak_now("Hello there.")
    for rate, channels in ((8_000, 1), (48_000, 2), (44_100, 1)):
        mono = resample(speech.samples, speech.rate, rate)
        frames = np.repeat(mono[:, None], channels, axis=1)
        path = tmp_path / f"hello-{rate}-{channels}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(channels)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes((frames * 32767).astype(np.int16).tobytes())
        samples = read_audio(path)
        assert abs(samples.size / LISTEN_RATE - speech.seconds) < 0.05


def test_bad_files_get_clear_errors(tmp_path: Path, tts: PiperTTS) -> None:
    with pytest.raises(InputError) as missing:
        read_audio(tmp_path / "nope.wav")
    assert missing.value.code == "audio_missing"
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio at all")
    with pytest.raises(InputError) as unreadable:
        read_audio(text)
    assert unreadable.value.code == "audio_unreadable"
    whole = write_wav(tmp_path / "whole.wav", tts.speak_now("Good night.").samples, 22_050)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:40])  # the header, and not one sample
    with pytest.raises(InputError):
        read_audio(cut)


def test_espeak_voice_is_heard_too(tmp_path: Path, stt: WhisperSTT) -> None:
    """A second, very different voice: Debian's espeak-ng (installed by the set-up)."""
    said = [
        "Please call my sister tomorrow afternoon.",
        "Remind me to buy bread and milk on the way home.",
    ]
    pairs = []
    for n, sentence in enumerate(said):
        path = tmp_path / f"espeak-{n}.wav"
        subprocess.run(["espeak-ng", "-s", "140", "-w", str(path), sentence], check=True)
        pairs.append((sentence, stt.transcribe_now(read_audio(path)).text))
    assert word_error_rate(pairs) <= 0.2, pairs


async def test_speech_longer_than_the_short_window_is_heard_whole(
    tts: PiperTTS, stt: WhisperSTT
) -> None:
    sentences = [
        "Please water the garden every morning in the summer.",
        "My brother borrowed the car last Sunday.",
        "We are going to paint the kitchen a pale yellow.",
        "The library closes early on public holidays.",
    ]
    gap = np.zeros(LISTEN_RATE * 2, dtype=np.float32)
    parts: list[np.ndarray] = []
    for sentence in sentences:
        speech = await tts.speak(sentence)
        parts += [resample(speech.samples, speech.rate), gap]
    audio = np.concatenate(parts)
    assert audio.size / LISTEN_RATE > 16  # beyond the 15 s window: the ordinary path
    heard = await stt.transcribe(audio)
    assert "holidays" in heard.text.lower()  # the last words, long past 15 s, are there
    assert word_error_rate([(" ".join(sentences), heard.text)]) <= 0.2, heard.text


def test_a_transcript_that_repeats_itself_is_recognized_as_a_loop() -> None:
    assert _looping("Turn the heating down. " * 8)
    assert not _looping("Turn the heating down a little before we go to bed tonight, please.")
