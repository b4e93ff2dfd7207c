"""Audio files in and out: whatever comes in becomes mono float32 at 16 kHz for listening;
what is said goes out as a 16-bit mono WAV.

Decoding uses PyAV through faster-whisper's ``decode_audio`` (any container, codec, sample
rate and channel count, resampled by FFmpeg's resampler), so a phone recording at 8 kHz,
a stereo 48 kHz WAV or an MP3 all arrive the same way. A file that is not audio, is
truncated before any sound, or cannot be read gets an ``InputError`` that says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import wave
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from os1.errors import InputError

LISTEN_RATE = 16_000
log = logging.getLogger(__name__)


def read_audio(source: Path | BinaryIO) -> np.ndarray:
    """The sound of a file (or of bytes already read, e.g. from a pipe) as mono float32
    samples at 16 kHz.

    Raises:
        InputError: the file is missing, unreadable, or holds no decodable audio.
    """
    from faster_whisper import decode_audio

    name = source.name if isinstance(source, Path) else "The input"
    if isinstance(source, Path) and not source.is_file():
        raise InputError("audio_missing", f"There is no audio file at {source}.")
    try:
        samples = decode_audio(
            source if not isinstance(source, Path) else str(source), sampling_rate=LISTEN_RATE
        )
    except Exception as exc:  # PyAV raises many kinds (InvalidDataError, EOFError, ...)
        raise InputError(
            "audio_unreadable",
            f"{name} could not be read as audio ({type(exc).__name__}).",
            "Give a WAV, MP3, OGG or other common audio file.",
        ) from exc
    array = np.asarray(samples, dtype=np.float32).reshape(-1)
    if array.size == 0:
        raise InputError(
            "audio_empty",
            f"{name} holds no sound (it may be truncated).",
            "Record again, or check the file.",
        )
    return array


def resample(samples: np.ndarray, rate: int, to: int = LISTEN_RATE) -> np.ndarray:
    """``samples`` (mono) at ``rate`` as float32 at ``to`` Hz, by linear interpolation:
    enough for speech the models produce themselves; files go through ``read_audio``."""
    audio = samples.astype(np.float32)
    if samples.dtype == np.int16:
        audio /= 32768.0
    if rate == to or audio.size == 0:
        return audio
    count = max(1, round(audio.size * to / rate))
    return np.interp(np.linspace(0, audio.size - 1, count), np.arange(audio.size), audio).astype(
        np.float32
    )


def write_wav(path: Path | BinaryIO, samples: np.ndarray, rate: int) -> Path | BinaryIO:
    """Write 16-bit mono PCM to a file or a byte stream; float samples lie in -1..1."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with wave.open(str(path) if isinstance(path, Path) else path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def _save_recording(folder: Path, audio: np.ndarray) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_wav(folder / f"{dt.datetime.now():%Y%m%d-%H%M%S-%f}.wav", audio, LISTEN_RATE)
    except OSError as exc:  # a full disk must not end the conversation
        log.warning("could not keep a recording: %s", exc)


def recorder(home: Path, user_id: int) -> Callable[[np.ndarray], None]:
    """Keeps each spoken turn's audio (16 kHz) as a WAV under ``home/recordings/<user
    id>`` (by id: a deleted person's folder goes with them, and a newcomer of the same
    name never finds it), written off the event loop; only for people who chose to keep
    their recordings."""
    folder = home / "recordings" / str(user_id)

    def keep(audio: np.ndarray) -> None:
        asyncio.get_running_loop().run_in_executor(None, _save_recording, folder, audio.copy())

    return keep
