"""Spoken conversation with the real embedded models: how soon the reply is heard, how
well speech is understood, how fast a reply stops when the person talks over it.

Everything runs in one process on the real parts: the local GGUF model through
``Companion``, Whisper base and Piper through ``SpeechModels``, a ``VoiceSession`` fed
in real time (32 ms blocks paced by the clock) and a ``ClockSink`` playing the reply as
long as a person would hear it. The person's lines are spoken by Piper.

- **Latency** (``--utterances``, default 24): everyday remarks said into one ongoing
  voice session, so the model's prompt cache carries from turn to turn. Measured from
  the end of the person's speech (the last voiced sample, on the wall clock) to the
  first reply audio queued for playing, split by stage from ``VoiceTimings``. The
  person listens until the reply has been written out, then cuts in
  (``session.interrupt``): the run stays bounded and the history keeps what was heard.
- **Baseline**, same run, same remarks, same conversation, alternating which goes first:
  a competent simple streaming pipeline: 800 ms of VAD silence ends the turn, then
  Whisper, then the reply from the same ``Companion.turn``, each sentence given to Piper
  and played as soon as it is written. Only the pipeline differs; the ratio is printed.
  (os1 differs in hearing the pause twice, beginning the reply at the first pause, and
  speaking the first clause rather than the first sentence.)
- **Real-time factors** of Whisper and Piper over the remarks.
- **Word error rate** of Whisper on sentences of names, numbers and dates, spoken by
  Piper and by espeak-ng (a second, very different voice).
- **Real people** (``--recordings FOLDER``): recordings of people with what they said
  (see ``voice_recordings.py`` for the layouts read: a NAME.txt beside each clip,
  LibriSpeech, Common Voice). They then are the remarks of the latency part, where the
  speech's end is found by the VAD rather than by loudness, and a third group in the
  word error rate. Generated voices are clean and end crisply; people do not.
- **Barge-in**: a long reply is playing; the person says "wait, stop". Stop latency is
  the sink's stop minus the moment the first voiced sample was fed; the history must keep
  exactly the words played, a prefix of what the model wrote.

Settings: a fresh temporary home and os1's defaults, as shipped: every embedder route
and fact learning right after each turn (``learn_after = 0``), which shares the two
cores with the next turn's transcription (background work gives way to a turn within
one prompt batch). ``--embedders static --learn-after 30`` measures the lighter set-up
of the load benchmark's server, beside it.

Run: .venv/bin/python bench/voice.py [--utterances 24] [--wer-sentences 48]
     [--barge-ins 10] [--recordings FOLDER] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from figures import save
from os1.companion import Companion
from os1.config import load_settings
from os1.events import (
    BargedIn,
    ErrorEvent,
    TextDelta,
    Transcribed,
    TurnEvent,
    TurnFinished,
    Usage,
    VoiceTimings,
)
from os1.models.assets import models_dir
from os1.models.stt import WhisperSTT
from os1.models.tts import PiperTTS, Speech
from os1.voice.audio import LISTEN_RATE, read_audio, resample
from os1.voice.endpoint import TurnTaking
from os1.voice.engines import SpeechModels
from os1.voice.playback import ClockSink
from os1.voice.sentences import speakable
from os1.voice.session import VoiceSession
from os1.voice.vad import StreamingVAD
from os1.voice.wer import word_error_rate, word_errors, words
from voice_corpus import INTERRUPTIONS, LONG_REQUESTS, UTTERANCES, WER_SENTENCES
from voice_recordings import Recording, find_recordings

USER = "bench"
BLOCK = 512  # a microphone's 32 ms block
VOICED = 0.02  # |sample| above this is speech; the room tone (sd 0.002) never reaches it
BASELINE_SILENCE_MS = 800
TARGETS = {"first_audio_p50_s": 1.0, "wer": 0.10, "barge_in_stop_ms": 200.0}
STAGES = ("end_of_turn", "stt", "llm_first_piece", "tts_first_piece")
# A simple streaming pipeline cuts its reply at sentence ends, not at clauses as os1 does.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WIDTH = 118

Feed = Callable[[np.ndarray], Awaitable[None]]


# -- the microphone and the speaker --------------------------------------------------------


class Room:
    """Room tone, block by block: a real microphone never gives digital silence."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)

    def block(self) -> np.ndarray:
        return self.rng.normal(0, 0.002, BLOCK).astype(np.float32)


@dataclass
class Fed:
    start: float  # monotonic time at which the first sample was "spoken"
    times: list[float] = field(default_factory=list)  # when each block was fed

    def spoken_at(self, sample: int) -> float:
        return self.start + sample / LISTEN_RATE


async def stream(
    feed: Feed,
    audio: np.ndarray,
    room: Room,
    until: Callable[[], bool] | None = None,
    limit: float = 0.0,
) -> Fed:
    """Feed ``audio`` at the pace it is spoken (a block is delivered once recorded), then
    room tone until ``until()`` holds or ``limit`` seconds of tone have gone by."""
    fed = Fed(time.monotonic())
    index = tone = 0
    while True:
        if index * BLOCK < audio.size:
            block = audio[index * BLOCK : (index + 1) * BLOCK]
        elif until is None or until() or tone * BLOCK / LISTEN_RATE >= limit:
            return fed
        else:
            block, tone = room.block(), tone + 1
        due = fed.start + (index + 1) * BLOCK / LISTEN_RATE
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        fed.times.append(time.monotonic())
        await feed(block)
        index += 1


def voiced(audio: np.ndarray) -> tuple[int, int]:
    """Index of the first and of the last voiced sample."""
    loud = np.flatnonzero(np.abs(audio) > VOICED)
    return int(loud[0]), int(loud[-1])


class MarkedSink(ClockSink):
    """A ``ClockSink`` that notes when the first audio of a reply was queued."""

    def __init__(self) -> None:
        super().__init__()
        self.first_at: float | None = None

    def begin(self) -> None:
        super().begin()
        self.first_at = None

    def enqueue(self, speech: Speech) -> None:
        if self.first_at is None and not self.stops_since_begin():
            self.first_at = time.monotonic()
        super().enqueue(speech)

    def stops_since_begin(self) -> bool:
        return self._stopped_at is not None


class SilenceListener:
    """The baseline's ears: a turn ends after a fixed 800 ms of VAD silence."""

    def __init__(self) -> None:
        self.vad = StreamingVAD()
        self.threshold = TurnTaking().threshold  # what os1's ears count as speech
        self.audio: list[np.ndarray] = []
        self.speaking = False
        self.silent = 0
        self.ended_at: float | None = None

    async def feed(self, samples: np.ndarray) -> None:
        self.audio.append(samples)
        for probability in self.vad.feed(samples):
            if probability >= self.threshold:
                self.speaking, self.silent = True, 0
            elif self.speaking:
                self.silent += 1
            if self.speaking and self.silent * 32 >= BASELINE_SILENCE_MS and not self.ended_at:
                self.ended_at = time.monotonic()


# -- the set-up ---------------------------------------------------------------------------


@dataclass
class Rig:
    companion: Companion
    stt: WhisperSTT
    tts: PiperTTS
    room: Room
    learn_after: float
    events: list[TurnEvent] = field(default_factory=list)
    embedders: str = ""

    async def emit(self, event: TurnEvent) -> None:
        self.events.append(event)

    def since(self, mark: int, kind: type[Any]) -> list[Any]:
        return [e for e in self.events[mark:] if isinstance(e, kind)]


async def start(home: Path, learn_after: float | None, embedders: str | None) -> Rig:
    environ = {k: v for k, v in os.environ.items() if k not in ("OS1_HOME", "OS1_LLM_BACKEND")}
    flags: dict[str, Any] = {"home": home}
    if learn_after is not None:
        flags["learn_after"] = learn_after
    if embedders is not None:
        flags["embedders"] = embedders
    settings = load_settings(flags, environ=environ)
    companion = await Companion.start(settings)
    await companion.skip_onboarding(USER)
    await companion.identity(USER)
    models = SpeechModels(models_dir(settings), settings.threads)
    return Rig(
        companion,
        await models.stt(),
        await models.tts(),
        Room(),
        settings.learn_after,
        embedders=settings.embedders,
    )


def said(tts: PiperTTS, text: str) -> tuple[np.ndarray, float, float]:
    """Piper saying ``text`` at 16 kHz, with the synthesis time and the audio's length."""
    began = time.perf_counter()
    speech = tts.speak_now(text)
    spent = time.perf_counter() - began
    return resample(speech.samples, speech.rate), spent, speech.seconds


# -- one turn each way ----------------------------------------------------------------------


@dataclass(frozen=True)
class Remark:
    """What the person says in the latency part, and the sample where their speech ends."""

    text: str
    audio: np.ndarray
    end: int


def remark_said(tts: PiperTTS, text: str) -> tuple[Remark, float, float]:
    audio, spent, seconds = said(tts, text)
    return Remark(text, audio, voiced(audio)[1]), spent, seconds


async def os1_turn(rig: Rig, session: VoiceSession, sink: MarkedSink, remark: Remark) -> dict:
    mark = len(rig.events)
    sink.first_at = None
    fed = await stream(
        session.feed, remark.audio, rig.room, lambda: sink.first_at is not None, 25.0
    )
    speech_end = fed.spoken_at(remark.end + 1)
    first_at = sink.first_at
    written = lambda: bool(rig.since(mark, TurnFinished) or rig.since(mark, ErrorEvent))  # noqa: E731
    if first_at is not None:
        await stream(session.feed, np.zeros(0, np.float32), rig.room, written, 20.0)
    if sink.playing:
        session.interrupt()  # the person has the gist and moves on
    await session.finish()
    finished = rig.since(mark, TurnFinished)
    timings = rig.since(mark, VoiceTimings)
    heard = rig.since(mark, Transcribed)
    return {
        "first_audio": None if first_at is None else first_at - speech_end,
        "stages": {s: getattr(timings[0], s) for s in STAGES} if timings else None,
        "session_first_audio": timings[0].first_audio if timings else None,
        "drafted": bool(timings and timings[0].drafted),
        "heard": heard[0].text if heard else "",
        "usage": usage(finished[0].usage) if finished else None,
        "reply": finished[0].text if finished else "",
    }


async def baseline_turn(rig: Rig, remark: Remark) -> dict:
    """The simple streaming pipeline: a fixed silence ends the turn, Whisper hears it, and
    each sentence is spoken as soon as the model has written it."""
    listener, sink = SilenceListener(), MarkedSink()
    ended_yet = lambda: listener.ended_at is not None  # noqa: E731
    fed = await stream(listener.feed, remark.audio, rig.room, ended_yet, 10.0)
    speech_end = fed.spoken_at(remark.end + 1)
    ended = listener.ended_at or time.monotonic()
    heard = (await rig.stt.transcribe(np.concatenate(listener.audio))).text
    heard_at = time.monotonic()
    sentences: asyncio.Queue[str | None] = asyncio.Queue()
    first_written: float | None = None

    async def speak_in_turn() -> None:  # one sentence after another, as they are written
        sink.begin()
        while (sentence := await sentences.get()) is not None:
            sink.enqueue(await rig.tts.speak(speakable(sentence)))

    speaker = asyncio.create_task(speak_in_turn())
    reply, spent, pending = [], Usage(), ""
    async for event in rig.companion.turn(USER, heard):
        if isinstance(event, TextDelta):
            reply.append(event.text)
            *complete, pending = SENTENCE_END.split(pending + event.text)
            for sentence in filter(str.strip, complete):
                first_written = first_written or time.monotonic()
                sentences.put_nowait(sentence)
        elif isinstance(event, TurnFinished):
            spent = event.usage
    if pending.strip():
        first_written = first_written or time.monotonic()
        sentences.put_nowait(pending)
    sentences.put_nowait(None)
    await speaker
    sink.stop()  # the person cuts in once the reply is written, as in the os1 run
    # People pause mid-sentence: the fixed silence may end the turn before they finish.
    # A live pipeline would then answer half a sentence; here it still hears it all, so
    # its latency is flattering, and such turns are counted.
    early = ended < speech_end
    if sink.first_at is None or first_written is None:
        return {
            "first_audio": None,
            "stages": None,
            "heard": heard,
            "usage": usage(spent),
            "ended_early": early,
        }
    return {
        "ended_early": early,
        "first_audio": sink.first_at - speech_end,
        "stages": {
            "end_of_turn": ended - speech_end,
            "stt": heard_at - ended,
            "llm_first_piece": first_written - heard_at,
            "tts_first_piece": sink.first_at - first_written,
        },
        "heard": heard,
        "usage": usage(spent),
        "reply": "".join(reply),
    }


def usage(spent: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": spent.prompt_tokens,
        "cached_tokens": spent.cached_tokens,
        "completion_tokens": spent.completion_tokens,
    }


async def latency(
    rig: Rig, count: int, recordings: list[Recording], progress: Progress
) -> dict[str, Any]:
    """Remarks by Piper, or the people's recordings when there are some."""
    task = progress.add_task("latency: os1 and baseline", total=count)
    sink = MarkedSink()
    session = VoiceSession(rig.companion, USER, rig.stt, rig.tts, sink, rig.emit)
    warm, _, _ = remark_said(rig.tts, "Hello! Let's have a little chat.")
    await os1_turn(rig, session, sink, warm)  # the prompt cache is warm, as mid-conversation
    runs: dict[str, list[dict]] = {"os1": [], "baseline": []}
    speech = {"tts_s": 0.0, "tts_audio_s": 0.0, "stt_s": 0.0, "stt_audio_s": 0.0}
    for n in range(count):
        if recordings:
            recording = recordings[n % len(recordings)]
            remark = Remark(recording.text, recording.audio, recording.end)
        else:
            remark, spent, seconds = remark_said(rig.tts, UTTERANCES[n % len(UTTERANCES)])
            speech["tts_s"] += spent
            speech["tts_audio_s"] += seconds
        began = time.perf_counter()
        rig.stt.transcribe_now(remark.audio)
        speech["stt_s"] += time.perf_counter() - began
        speech["stt_audio_s"] += remark.audio.size / LISTEN_RATE
        order = ("os1", "baseline") if n % 2 == 0 else ("baseline", "os1")
        for path in order:
            if path == "os1":
                run = await os1_turn(rig, session, sink, remark)
            else:
                run = await baseline_turn(rig, remark)
            runs[path].append({"said": remark.text, **run})
        progress.advance(task)
    await session.close()
    await rig.companion.stop_background()  # learning waits for later; it is not measured
    return {"runs": runs, "rtf": speech}


# -- word error rate -----------------------------------------------------------------------


def espeak(text: str, folder: Path, n: int) -> np.ndarray:
    path = folder / f"espeak-{n}.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(path), text], check=True)
    return read_audio(path)


def wer(rig: Rig, count: int, recordings: list[Recording], progress: Progress) -> dict[str, Any]:
    sentences = list(WER_SENTENCES[:count])
    people = recordings[:count]
    task = progress.add_task("word error rate", total=2 * len(sentences) + len(people))
    pairs: dict[str, list[tuple[str, str]]] = {"piper": [], "espeak-ng": []}
    stt_s = audio_s = tts_s = tts_audio_s = 0.0
    if people:
        pairs["recordings"] = []
    for recording in people:
        began = time.perf_counter()
        heard = rig.stt.transcribe_now(recording.audio).text
        stt_s += time.perf_counter() - began
        audio_s += recording.audio.size / LISTEN_RATE
        pairs["recordings"].append((recording.text, heard))
        progress.advance(task)
    with tempfile.TemporaryDirectory() as folder:
        for n, sentence in enumerate(sentences):
            for voice in ("piper", "espeak-ng"):
                if voice == "piper":
                    audio, spent, seconds = said(rig.tts, sentence)
                    tts_s, tts_audio_s = tts_s + spent, tts_audio_s + seconds
                else:
                    audio = espeak(sentence, Path(folder), n)
                began = time.perf_counter()
                heard = rig.stt.transcribe_now(audio).text
                stt_s += time.perf_counter() - began
                audio_s += audio.size / LISTEN_RATE
                pairs[voice].append((sentence, heard))
                progress.advance(task)
    everything = [p for voice in pairs.values() for p in voice]
    misheard = [
        {"voice": voice, "said": s, "heard": h}
        for voice, got in pairs.items()
        for s, h in got
        if word_errors(s, h)[0]
    ]
    return {
        "sentences": len(sentences),
        "by_voice": {voice: word_error_rate(got) for voice, got in pairs.items()},
        "said_by_voice": {voice: len(got) for voice, got in pairs.items()},
        "overall": word_error_rate(everything),
        "stt_rtf": stt_s / audio_s,
        "tts_rtf": tts_s / tts_audio_s if tts_audio_s else None,
        "misheard": misheard,
    }


# -- barge-in -------------------------------------------------------------------------------


async def barge_in(rig: Rig, trials: int, progress: Progress) -> dict[str, Any]:
    task = progress.add_task("barge-in", total=trials)
    out = []
    for n in range(trials):
        out.append(await one_barge_in(rig, n))
        progress.advance(task)
    await rig.companion.stop_background()  # learning waits for later; it is not measured
    return {"trials": out}


async def one_barge_in(rig: Rig, n: int) -> dict[str, Any]:
    request = said(rig.tts, LONG_REQUESTS[n % len(LONG_REQUESTS)])[0]
    stop_words = said(rig.tts, INTERRUPTIONS[n % len(INTERRUPTIONS)])[0]
    await rig.companion.new_conversation(USER)  # a fresh topic: the reply is a long one
    sink, mark = MarkedSink(), len(rig.events)
    session = VoiceSession(rig.companion, USER, rig.stt, rig.tts, sink, rig.emit)
    nothing = np.zeros(0, np.float32)
    await stream(session.feed, request, rig.room, lambda: sink.first_at is not None, 25.0)
    listen_until = time.monotonic() + 0.5 + (n % 5) * 0.5  # cut in at varied points
    await stream(session.feed, nothing, rig.room, lambda: time.monotonic() >= listen_until, 5)
    under_way = sink.first_at is not None and (sink.playing or not rig.since(mark, TurnFinished))
    result: dict[str, Any] = {"under_way": under_way, "listened_s": 0.5 + (n % 5) * 0.5}
    if not under_way:
        await session.close()
        return result | {
            "stop_ms": None,
            "written": "".join(e.text for e in rig.since(mark, TextDelta)),
        }
    fed = await stream(
        session.feed, stop_words, rig.room, lambda: bool(rig.since(mark, Transcribed)), 10.0
    )
    first_voiced = fed.times[voiced(stop_words)[0] // BLOCK]
    await session.close()
    finished = rig.since(mark, TurnFinished)
    if not finished:  # the turn ended in an error (it is in the events), not a reply
        return result | {"under_way": False, "stop_ms": None, "written": ""}
    cut = finished[0]
    barged = rig.since(mark, BargedIn)
    store = await rig.companion.db.user(USER)
    conversation = await store.latest_conversation() or 0
    if not sink.stops:  # the reply ran out just before the interruption was heard
        return result | {"under_way": False, "stop_ms": None, "written": cut.text}
    kept = [m for m in await store.messages(conversation) if m.id == cut.message_id]
    stored = kept[0].content if kept else ""
    written, heard = words(cut.text), words(stored)
    # the words heard, in order: a prefix, or all of it if the reply's last piece was
    # within its final moment when the person cut in
    prefix = bool(heard) and heard == written[: len(heard)]
    return result | {
        "stop_ms": (sink.stops[-1] - first_voiced) * 1000,
        "session_stop_ms": barged[0].stop_ms if barged else None,
        "written": cut.text,
        "kept": stored,
        "status": kept[0].status if kept else None,
        "prefix": prefix,
    }


# -- figures ----------------------------------------------------------------------------------


def spread(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "min": None, "p50": None, "p90": None, "max": None}
    return {
        "n": len(values),
        "min": float(min(values)),
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
        "max": float(max(values)),
    }


def summarize(latencies: dict[str, Any], errors: dict[str, Any], barges: dict[str, Any]) -> dict:
    runs = latencies["runs"]
    figures: dict[str, Any] = {"latency": {}}
    for path in ("os1", "baseline"):
        done = [r for r in runs[path] if r["first_audio"] is not None and r["stages"]]
        figures["latency"][path] = {
            "first_audio": spread([r["first_audio"] for r in done]),
            "missed": len(runs[path]) - len(done),
            # the turn ended, or the reply began, while the person was still speaking
            "ended_early": sum(
                bool(r.get("ended_early")) or (r["first_audio"] or 0) < 0 for r in runs[path]
            ),
            **{s: spread([r["stages"][s] for r in done]) for s in STAGES},
        }
        figures["latency"][path]["cache"] = cache_use(runs[path])
    os1, base = (
        figures["latency"]["os1"]["first_audio"],
        figures["latency"]["baseline"]["first_audio"],
    )
    figures["latency"]["ratio"] = {
        q: (os1[q] / base[q]) if os1[q] and base[q] else None for q in ("p50", "p90")
    }
    figures["latency"]["os1"]["session_first_audio"] = spread(
        [r["session_first_audio"] for r in runs["os1"] if r["session_first_audio"] is not None]
    )
    figures["latency"]["os1"]["drafted"] = sum(r["drafted"] for r in runs["os1"])
    rtf = latencies["rtf"]
    figures["rtf"] = {
        "stt": rtf["stt_s"] / rtf["stt_audio_s"],
        # Piper speaks the remarks, or (when they are people's recordings) the WER set
        "tts": rtf["tts_s"] / rtf["tts_audio_s"] if rtf["tts_audio_s"] else errors["tts_rtf"],
        "stt_on_wer_set": errors["stt_rtf"],
    }
    trials = [t for t in barges["trials"] if t["stop_ms"] is not None]
    figures["barge_in"] = {
        "trials": len(barges["trials"]),  # those whose reply had ended are not measured
        "measured": len(trials),
        "stop_ms": spread([t["stop_ms"] for t in trials]),
        "prefix": sum(bool(t["prefix"]) for t in trials),
        "marked_interrupted": sum(t["status"] == "interrupted" for t in trials),
    }
    figures["wer"] = {k: errors[k] for k in ("sentences", "by_voice", "said_by_voice", "overall")}
    figures["met"] = {
        "first_audio_p50": (os1["p50"] or 99) <= TARGETS["first_audio_p50_s"],
        "wer": errors["overall"] <= TARGETS["wer"],
        "barge_in_stop": bool(trials)
        and (figures["barge_in"]["stop_ms"]["p50"] or 1e9) <= TARGETS["barge_in_stop_ms"],
    }
    return figures


def cache_use(runs: list[dict]) -> dict[str, Any]:
    """How much of each prompt came from the model's cache (llama.cpp counts the tokens it
    had to process as ``prompt_tokens`` and the ones it reused as ``cached_tokens``)."""
    counted = [r["usage"] for r in runs if r["usage"] and r["usage"]["prompt_tokens"]]
    shares = [u["cached_tokens"] / (u["cached_tokens"] + u["prompt_tokens"]) for u in counted]
    return {
        "turns_with_usage": len(counted),
        "reused_share": spread(shares),
        "new_tokens": spread([u["prompt_tokens"] for u in counted]),
        "cached_tokens": spread([u["cached_tokens"] for u in counted]),
    }


# -- output -------------------------------------------------------------------------------------


def milliseconds(s: dict[str, Any]) -> str:
    return "-" if s["p50"] is None else f"{s['p50']:.0f} / {s['p90']:.0f} / {s['max']:.0f}"


def met(ok: bool) -> str:
    return "[green]met[/]" if ok else "[red]not met[/]"


def seconds(s: dict[str, Any]) -> str:
    return "-" if s["p50"] is None else f"{s['p50']:.2f} / {s['p90']:.2f}"


def show(result: dict[str, Any], console: Console) -> None:
    f = result["figures"]
    lat, ratio = f["latency"], f["latency"]["ratio"]
    console.print(
        f"remarks {result['settings']['remarks']}; "
        f"settings: embedders {result['settings']['embedders']}, "
        f"learn_after {result['settings']['learn_after']:g} s; "
        f"baseline ends a turn after {BASELINE_SILENCE_MS} ms of silence"
    )
    table = Table(
        title=f"end of speech → first reply audio, p50 / p90 in seconds "
        f"({lat['os1']['first_audio']['n']} utterances each)"
    )
    for column in ("stage", "os1", "baseline (streaming)", "os1 / baseline", "target"):
        table.add_column(column, justify="right")
    pairs = (
        ("end-of-turn wait", "end_of_turn"),
        ("speech to text", "stt"),
        ("LLM to first piece (os1: a clause; baseline: a sentence)", "llm_first_piece"),
        ("TTS of that piece", "tts_first_piece"),
    )
    for label, stage in pairs:
        table.add_row(label, seconds(lat["os1"][stage]), seconds(lat["baseline"][stage]), "", "")
    p50, p90 = ratio["p50"], ratio["p90"]
    table.add_row(
        "[bold]first audio[/]",
        seconds(lat["os1"]["first_audio"]),
        seconds(lat["baseline"]["first_audio"]),
        "-" if p50 is None or p90 is None else f"{p50:.2f} / {p90:.2f}",
        f"p50 ≤ {TARGETS['first_audio_p50_s']:.1f}: {met(f['met']['first_audio_p50'])}",
    )
    console.print(table)
    cache = lat["os1"]["cache"]
    if cache["turns_with_usage"]:
        console.print(
            f"prompt cache (os1 turns): median {cache['cached_tokens']['p50']:.0f} tokens "
            f"reused and {cache['new_tokens']['p50']:.0f} processed per turn "
            f"({cache['reused_share']['p50']:.0%} reused; least on any turn: "
            f"{cache['reused_share']['min']:.0%}, most processed: {cache['new_tokens']['max']:.0f})"
        )
    console.print(
        f"replies begun at a pause and kept when the turn ended there: "
        f"{lat['os1']['drafted']} of {lat['os1']['first_audio']['n']}"
    )
    for path in ("os1", "baseline"):
        if early := lat[path]["ended_early"]:
            console.print(
                f"[yellow]{path}: {early} turn(s) ended while the person was still speaking[/]"
                " (a pause mid-sentence; the baseline is still given the whole recording)"
            )
    missed = lat["os1"]["missed"] + lat["baseline"]["missed"]
    if missed:
        console.print(f"[yellow]{missed} turn(s) gave no audio and are left out[/]")
    quality = Table(title="speech models on this CPU")
    for column in ("measure", "value", "target"):
        quality.add_column(column, justify="right")
    quality.add_row("Whisper base real-time factor (remarks)", f"{f['rtf']['stt']:.3f}", "")
    quality.add_row("Whisper real-time factor (WER set)", f"{f['rtf']['stt_on_wer_set']:.3f}", "")
    piper = f["rtf"]["tts"]
    quality.add_row("Piper real-time factor", "-" if piper is None else f"{piper:.3f}", "")
    for voice, rate in f["wer"]["by_voice"].items():
        said_n = f["wer"]["said_by_voice"][voice]
        quality.add_row(f"WER, {voice} ({said_n} sentences)", f"{rate:.1%}", "")
    quality.add_row(
        "[bold]WER overall[/]",
        f"{f['wer']['overall']:.1%}",
        f"≤ {TARGETS['wer']:.0%}: {met(f['met']['wer'])}",
    )
    console.print(quality)
    b = f["barge_in"]
    barge = Table(title=f"barge-in: {b['measured']} of {b['trials']} trials cut a playing reply")
    for column in ("measure", "value", "target"):
        barge.add_column(column, justify="right")
    stop = b["stop_ms"]
    barge.add_row(
        "stop after first voiced sample p50 / p90 / max (ms)",
        "-"
        if stop["p50"] is None
        else f"{stop['p50']:.0f} / {stop['p90']:.0f} / {stop['max']:.0f}",
        f"≤ {TARGETS['barge_in_stop_ms']:.0f}: {met(f['met']['barge_in_stop'])}",
    )
    barge.add_row("history kept the words heard (a prefix of the reply)", f"{b['prefix']}", "all")
    barge.add_row("kept message marked interrupted", f"{b['marked_interrupted']}", "all")
    console.print(barge)
    console.print(summary(result))


def summary(result: dict[str, Any]) -> str:
    f = result["figures"]
    lat = f["latency"]
    ours, theirs = lat["os1"], lat["baseline"]
    slowest = max(STAGES, key=lambda s: ours[s]["p50"] or 0)
    stop = f["barge_in"]["stop_ms"]
    return (
        f"On this {result['machine']['cpus']}-core machine, a spoken remark is answered aloud "
        f"{ours['first_audio']['p50']:.2f} s after the person stops speaking (p50; p90 "
        f"{ours['first_audio']['p90']:.2f} s), against {theirs['first_audio']['p50']:.2f} s "
        f"for a simple streaming pipeline on the same model (a fixed {BASELINE_SILENCE_MS} ms "
        f"silence, Whisper, then each sentence spoken as it is written) "
        f"(ratio {lat['ratio']['p50']:.2f}). The largest stage is {slowest.replace('_', ' ')} "
        f"({ours[slowest]['p50']:.2f} s p50). Whisper runs at {f['rtf']['stt']:.2f}× real "
        f"time and Piper at {f['rtf']['tts'] or 0:.2f}×; Whisper mishears "
        f"{f['wer']['overall']:.1%} of words across the voices. A reply stops "
        + ("-" if stop["p50"] is None else f"{stop['p50']:.0f} ms")
        + f" (p50) after the person starts talking over it, and {f['barge_in']['prefix']}"
        f" of {f['barge_in']['measured']} interrupted replies were kept as the words heard."
    )


# -- main --------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> dict[str, Any]:
    console = Console(stderr=True, width=WIDTH)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="os1-bench-voice-") as home:
        with console.status("loading the model and the speech models"):
            rig = await start(Path(home), args.learn_after, args.embedders)
            found = (
                find_recordings(args.recordings, max(args.utterances, args.wer_sentences))
                if args.recordings
                else None
            )
        recordings = found.recordings if found else []
        for skipped in found.skipped if found else []:
            console.print(f"[yellow]left out[/] {skipped}")
        loaded = time.perf_counter() - began
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
            errors = await asyncio.to_thread(wer, rig, args.wer_sentences, recordings, progress)
            progress.log(f"word error rate measured ({time.perf_counter() - began:.0f} s)")
            latencies = await latency(rig, args.utterances, recordings, progress)
            progress.log(f"latency measured ({time.perf_counter() - began:.0f} s)")
            barges = await barge_in(rig, args.barge_ins, progress)
        await rig.companion.aclose()
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {
            "embedders": rig.embedders,
            "learn_after": rig.learn_after,
            "baseline_silence_ms": BASELINE_SILENCE_MS,
            "remarks": (
                f"{len(recordings)} recordings of people from {args.recordings}"
                if recordings
                else "spoken by Piper"
            ),
        },
        "load_s": loaded,
        "run_s": time.perf_counter() - began,
        "targets": TARGETS,
        "figures": summarize(latencies, errors, barges),
        "latency_runs": latencies["runs"],
        "misheard": errors["misheard"],
        "barge_in_trials": barges["trials"],
    }
    name = "voice-recordings" if recordings else "voice"
    save(f"{name}-quick" if args.quick else name, result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--utterances", type=int, default=24, help="remarks for latency (24)")
    parser.add_argument(
        "--wer-sentences", type=int, default=48, help="sentences per voice for WER (48)"
    )
    parser.add_argument("--barge-ins", type=int, default=10, help="barge-in trials (10)")
    parser.add_argument(
        "--quick", action="store_true", help="6 remarks, 12 WER sentences, 3 barge-ins"
    )
    parser.add_argument(
        "--learn-after",
        type=float,
        default=None,
        help="seconds of quiet before facts are learned (default: os1's own, 0)",
    )
    parser.add_argument(
        "--embedders", default=None, help="embedder routes (default: os1's own, static,mpnet)"
    )
    parser.add_argument(
        "--recordings",
        type=Path,
        default=None,
        help="a folder of people's recordings with their words (voice_recordings.py)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.utterances, arguments.wer_sentences, arguments.barge_ins = 6, 12, 3
    outcome = asyncio.run(main(arguments))
    if arguments.json:
        print(json.dumps(outcome, indent=2, ensure_ascii=False))
    else:
        show(outcome, Console(width=WIDTH))
