"""``os1 talk`` from the command line, as a person or a script uses it: a spoken question
in, a spoken answer out, on the real models; bad recordings refused before anything loads."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from os1.models.stt import WhisperSTT
from os1.models.tts import PiperTTS
from os1.voice.audio import read_audio, resample, write_wav
from os1.voice.wer import word_error_rate, words

OS1 = [sys.executable, "-m", "os1.cli"]


def _talk(home: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "OS1_HOME": str(home), "OS1_EMBEDDERS": "static"}
    return subprocess.run(
        [*OS1, "talk", *args], input=stdin, capture_output=True, env=env, timeout=600, check=False
    )


def _stereo_48k(path: Path, tts: PiperTTS, text: str) -> Path:
    speech = tts.speak_now(text)
    mono = (resample(speech.samples, speech.rate, 48_000) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(np.repeat(mono[:, None], 2, axis=1).tobytes())
    return path


@pytest.mark.real_model
def test_a_spoken_question_gets_a_spoken_answer(
    tmp_path: Path, tts: PiperTTS, stt: WhisperSTT
) -> None:
    question = "What is two plus two?"
    done = _talk(
        tmp_path / "home",
        "--in", str(_stereo_48k(tmp_path / "q.wav", tts, question)),
        "--out", str(tmp_path / "reply.wav"),
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert word_error_rate([(question, result["transcript"])]) <= 0.2
    assert "4" in words(result["reply"]), result["reply"]  # "four" or "4"
    timings = result["timings"]
    assert timings["stt"] > 0 and timings["llm_first_piece"] > 0 and timings["tts_first_piece"] > 0
    stages = timings["stt"] + timings["llm_first_piece"] + timings["tts_first_piece"]
    assert abs(stages - timings["first_audio"]) < 0.01  # the breakdown adds up
    assert timings["first_audio"] <= timings["total"]
    with wave.open(str(tmp_path / "reply.wav")) as reply:
        assert (reply.getnchannels(), reply.getframerate()) == (1, 22_050)
        assert reply.getnframes() > 22_050 // 4  # speech, even for a one-word "Four."
    heard = stt.transcribe_now(read_audio(tmp_path / "reply.wav")).text
    assert word_error_rate([(result["reply"], heard)]) <= 0.25, (result["reply"], heard)


@pytest.mark.real_model
def test_talk_reads_a_pipe_and_speaks_into_a_pipe(tmp_path: Path, tts: PiperTTS) -> None:
    speech = tts.speak_now("Say hello to me.")
    question = io.BytesIO()
    write_wav(question, speech.samples, speech.rate)
    done = _talk(tmp_path / "home", "--in", "-", "--out", "-", stdin=question.getvalue())
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout[:4] == b"RIFF"  # stdout carries only the WAV
    assert "you (heard)" in done.stderr.decode()  # the words go to stderr
    with wave.open(io.BytesIO(done.stdout)) as reply:
        assert reply.getnframes() > 11_025


def test_bad_recordings_get_a_clear_error_and_no_model_is_loaded(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.wav"
    whole = io.BytesIO()
    write_wav(whole, np.zeros(16_000, dtype=np.int16), 16_000)
    truncated.write_bytes(whole.getvalue()[:30])
    (tmp_path / "notes.wav").write_text("these are not sounds")
    cases = {
        str(tmp_path / "missing.wav"): "audio_missing",
        str(truncated): "audio_unreadable",
        str(tmp_path / "notes.wav"): "audio_unreadable",
    }
    for source, code in cases.items():
        done = _talk(tmp_path / "home", "--in", source, "--json")
        assert done.returncode == 1
        assert json.loads(done.stdout)["error"]["code"] == code
    empty = _talk(tmp_path / "home", "--in", "-", stdin=b"")
    assert empty.returncode == 1 and b"Nothing came in on stdin" in empty.stderr
    plain = _talk(tmp_path / "home", "--in", str(tmp_path / "notes.wav"))
    assert b"could not be read as audio" in plain.stderr and b"WAV, MP3" in plain.stderr
    assert not (tmp_path / "home" / "os1.db").exists()  # refused before anything started


def _has_sound_card() -> bool:
    try:
        import sounddevice

        devices = list(sounddevice.query_devices())
    except Exception:  # no PortAudio, or it found nothing to open
        return False
    return any(d["max_input_channels"] > 0 for d in devices) and any(
        d["max_output_channels"] > 0 for d in devices
    )


def test_without_a_sound_card_talk_says_to_use_files(tmp_path: Path) -> None:
    if _has_sound_card():  # decided apart from os1, so a regression cannot skip itself
        pytest.skip("this machine has a microphone and speakers")
    done = _talk(tmp_path / "home")
    assert done.returncode == 1
    message = done.stderr.decode()
    assert "Cannot talk aloud here" in message and "--in QUESTION.wav" in message


def test_voice_settings_are_shown_changed_and_checked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "OS1_HOME": str(home)}

    def voice(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*OS1, "voice", *args], capture_output=True, text=True, env=env, timeout=120
        )

    assert "speed 1; recordings not kept; answers any speech" in voice().stdout
    changed = voice("--speed", "1.2", "--wake")
    assert changed.returncode == 0
    assert "speed 1.2" in changed.stdout and "“hey <name>” when hands-free" in changed.stdout
    assert "“hey <name>” when hands-free" in voice().stdout  # kept for next time
    refused = voice("--speed", "5")
    assert refused.returncode == 1 and "out of range" in refused.stdout
    assert "speed 1.2" in voice("--no-wake").stdout
