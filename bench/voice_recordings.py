"""Real people's recordings for ``bench/voice.py --recordings FOLDER``.

Generated speech (Piper, espeak-ng) is clean, evenly paced and ends crisply; a person
mumbles, trails off and breathes. So the voice benchmark also takes a folder of real
recordings with what was said, read here in any of three common layouts, found anywhere
under the folder:

- ``NAME.wav`` (or ``.flac``, ``.mp3``, ``.ogg``, ``.opus``, ``.m4a``) with ``NAME.txt``
  beside it holding the words;
- LibriSpeech: ``*.trans.txt`` files of ``ID words...`` lines, ``ID.flac`` beside them;
- Common Voice: a ``.tsv`` with ``path`` and ``sentence`` columns, the clips in a
  ``clips/`` folder beside it or beside the file itself.

The folder is read, never copied into the project; respect each corpus's licence.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from os1.errors import InputError
from os1.voice.audio import LISTEN_RATE, read_audio
from os1.voice.endpoint import TurnTaking
from os1.voice.vad import FRAME, StreamingVAD

AUDIO = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")
MAX_SECONDS = 30.0  # a remark, not a lecture: longer clips are left out and counted


@dataclass(frozen=True)
class Recording:
    path: Path
    text: str
    audio: np.ndarray  # mono float32 at 16 kHz
    end: int  # the last sample of speech in it


@dataclass
class Found:
    recordings: list[Recording]
    skipped: list[str]  # "NAME: why", for the report


def _sidecars(folder: Path) -> dict[Path, str]:
    pairs = {}
    for audio in folder.rglob("*"):
        if audio.suffix.lower() in AUDIO and (words := audio.with_suffix(".txt")).is_file():
            pairs[audio] = words.read_text(encoding="utf-8", errors="replace")
    return pairs


def _librispeech(folder: Path) -> dict[Path, str]:
    pairs = {}
    for listing in folder.rglob("*.trans.txt"):
        for line in listing.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, words = line.strip().partition(" ")
            if key and words and (audio := listing.parent / f"{key}.flac").is_file():
                pairs[audio] = words
    return pairs


def _common_voice(folder: Path) -> dict[Path, str]:
    pairs = {}
    for table in folder.rglob("*.tsv"):
        with table.open(encoding="utf-8", errors="replace", newline="") as rows:
            reader = csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE)
            if not {"path", "sentence"} <= set(reader.fieldnames or ()):
                continue
            for row in reader:
                for place in (table.parent / "clips", table.parent):
                    if (audio := place / (row["path"] or "")).is_file():
                        pairs[audio] = row["sentence"] or ""
                        break
    return pairs


def last_voiced_sample(audio: np.ndarray) -> int | None:
    """Where the speech in ``audio`` ends, by the same VAD os1 listens with: a real
    recording's room noise and breaths defeat a loudness threshold."""
    vad, threshold = StreamingVAD(), TurnTaking().threshold
    end = None
    for frame, probability in enumerate(vad.feed(audio.astype(np.float32))):
        if probability >= threshold:
            end = (frame + 1) * FRAME
    return None if end is None else min(end, audio.size) - 1


def find_recordings(folder: Path, limit: int | None = None) -> Found:
    """Every recording with its words under ``folder``, in name order (at most ``limit``).

    Raises:
        InputError: the folder is missing or holds no recording with words.
    """
    if not folder.is_dir():
        raise InputError("no_folder", f"There is no folder {folder}.")
    pairs = {**_common_voice(folder), **_librispeech(folder), **_sidecars(folder)}
    found = Found([], [])
    for path in sorted(pairs):
        if limit is not None and len(found.recordings) >= limit:
            break
        name, text = path.relative_to(folder), " ".join(pairs[path].split())
        if not text:
            found.skipped.append(f"{name}: no words given")
            continue
        try:
            audio = read_audio(path)
        except InputError as exc:
            found.skipped.append(f"{name}: {exc.message}")
            continue
        if audio.size > MAX_SECONDS * LISTEN_RATE:
            found.skipped.append(f"{name}: longer than {MAX_SECONDS:.0f} s")
        elif (end := last_voiced_sample(audio)) is None:
            found.skipped.append(f"{name}: no speech heard in it")
        else:
            found.recordings.append(Recording(path, text, audio, end))
    if not found.recordings:
        raise InputError(
            "no_recordings",
            f"No recording with its words was found under {folder}.",
            "Put NAME.txt beside each NAME.wav, or give a LibriSpeech or Common Voice folder.",
        )
    return found
