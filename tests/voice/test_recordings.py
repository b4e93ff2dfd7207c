"""The voice benchmark reads people's recordings in the layouts corpora come in, leaves out
what it cannot use with a reason, and finds where the speech ends by the VAD."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from os1.errors import InputError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from voice_recordings import find_recordings, last_voiced_sample


def _speak(text: str, path: Path, silence_after: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    if silence_after:
        with wave.open(str(path)) as read:
            params, frames = read.getparams(), read.readframes(read.getnframes())
        with wave.open(str(path), "wb") as write:
            write.setparams(params)
            tail = int(silence_after * params.framerate) * params.sampwidth
            write.writeframes(frames + b"\0" * tail)
    return path


def test_three_layouts_are_read_and_the_unusable_left_out_with_a_reason(tmp_path: Path) -> None:
    _speak("the garden is full of roses", tmp_path / "mine" / "roses.wav")
    (tmp_path / "mine" / "roses.txt").write_text("The garden is full of roses.\n")
    _speak("no words were written for this one", tmp_path / "mine" / "bare.wav")
    (tmp_path / "mine" / "bare.txt").write_text("  \n")
    (tmp_path / "mine" / "broken.wav").write_bytes(b"RIFF\x00\x00not audio")
    (tmp_path / "mine" / "broken.txt").write_text("whatever")
    (tmp_path / "mine" / "orphan.wav").write_bytes(b"")  # no words beside it: not a pair

    chapter = tmp_path / "LibriSpeech" / "dev" / "84" / "121123"
    _speak("go do you hear", chapter / "84-121123-0000.wav")
    _flac(chapter / "84-121123-0000.wav")  # LibriSpeech ships FLAC
    (chapter / "84-121123.trans.txt").write_text(
        "84-121123-0000 GO DO YOU HEAR\n84-121123-0001 A LINE WITHOUT ITS FILE\n"
    )
    voices = tmp_path / "cv"
    _speak("the bus leaves at nine", voices / "clips" / "common_voice_en_1.wav")
    (voices / "validated.tsv").write_text(
        "client_id\tpath\tsentence\tup_votes\n"
        'abc\tcommon_voice_en_1.wav\t"The bus leaves at nine."\t2\n'
        "abc\tmissing.mp3\tNot there.\t1\n"
    )
    (voices / "other.tsv").write_text("id\ttext\n1\tnot a Common Voice table\n")

    found = find_recordings(tmp_path)
    said = {r.path.name: r.text for r in found.recordings}
    assert said == {
        "roses.wav": "The garden is full of roses.",
        "84-121123-0000.flac": "GO DO YOU HEAR",
        "common_voice_en_1.wav": '"The bus leaves at nine."',
    }
    reasons = "\n".join(found.skipped)
    assert "bare.wav: no words given" in reasons
    assert "broken.wav: broken.wav could not be read as audio" in reasons
    assert len(found.skipped) == 2
    assert all(r.audio.dtype == np.float32 and r.audio.size > 8000 for r in found.recordings)
    assert len(find_recordings(tmp_path, limit=2).recordings) == 2


def test_the_speech_end_is_where_the_voice_stops_not_the_file(tmp_path: Path) -> None:
    found = find_recordings(_with_words(_speak("please call my sister", tmp_path / "a.wav", 1.5)))
    audio = found.recordings[0].audio
    end = last_voiced_sample(audio)
    assert end is not None and found.recordings[0].end == end
    assert 0.4 < end / 16000 < audio.size / 16000 - 1.2  # the 1.5 s of silence is not speech
    assert last_voiced_sample(np.zeros(16000, np.float32)) is None


def test_a_folder_without_recordings_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        find_recordings(tmp_path / "nowhere")
    assert missing.value.code == "no_folder"
    (tmp_path / "notes.txt").write_text("just a note")
    np.zeros(16000, np.int16).tofile(tmp_path / "noise.raw")
    with pytest.raises(InputError) as empty:
        find_recordings(tmp_path)
    assert empty.value.code == "no_recordings"
    assert "NAME.txt beside each NAME.wav" in (empty.value.hint or "")
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes(b"\0" * 32000)
    silent.with_suffix(".txt").write_text("hello")
    with pytest.raises(InputError):
        find_recordings(tmp_path)  # a clip with no speech in it is not a recording of one


def _flac(wav: Path) -> None:
    """``wav`` re-encoded as FLAC beside it, by PyAV (which faster-whisper brings)."""
    import av

    with av.open(str(wav)) as source, av.open(str(wav.with_suffix(".flac")), "w") as target:
        out = target.add_stream("flac", rate=source.streams.audio[0].rate)
        for frame in source.decode(audio=0):
            for packet in out.encode(frame):
                target.mux(packet)
        for packet in out.encode(None):
            target.mux(packet)
    wav.unlink()


def _with_words(path: Path) -> Path:
    path.with_suffix(".txt").write_text("please call my sister")
    return path.parent
