"""``os1 talk``: speak with the companion, through the sound card or through files.

With a microphone and speakers (PortAudio), it is a hands-free conversation: speak, pause,
hear the reply as it is written, and talk over it to cut it short. Headless, a recording
is the question and the spoken reply goes to a file (``--in Q.wav --out R.wav``), with
the transcript, the reply and where the time went; ``-`` reads or writes a pipe.
``os1 voice`` shows and changes the companion's voice.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TimeRemainingColumn

from os1.cli.output import ReaderWatch, unless_output_closed, write_file_or_stdout
from os1.cli.render import Renderer
from os1.cli.session import catches_signals, start_companion
from os1.companion import Companion
from os1.config import DEFAULT_USER, load_settings
from os1.core.speech import SpokenExchange, VoiceSettings, read_audio, write_wav
from os1.core.turns import CancelToken
from os1.errors import InputError, Os1Error
from os1.events import BargedIn, Notice, Transcribed, TurnEvent, VoiceTimings

_LONG = 30.0  # recordings longer than this (seconds) get a progress bar


def _read_input(source: str) -> np.ndarray:
    if source == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise InputError("audio_empty", "Nothing came in on stdin.", "Pipe a recording in.")
        return read_audio(io.BytesIO(data))
    return read_audio(Path(source).expanduser())


def _as_wav(exchange: SpokenExchange) -> bytes:
    buffer = io.BytesIO()
    write_wav(buffer, exchange.audio, exchange.rate)
    return buffer.getvalue()


def _show_exchange(
    out: Console, exchange: SpokenExchange, speaker: str, target: str | None
) -> None:
    out.print(f"[bold cyan]you[/] (heard) › {exchange.transcript}", highlight=False)
    out.print(f"[bold magenta]{speaker}[/] › {exchange.reply}", highlight=False)
    t = exchange.timings
    out.print(
        f"[dim]heard in {t['stt']:.2f} s (×{t['stt_rtf']:.2f} real time) · first words "
        f"{t['llm_first_piece']:.2f} s · first audio {t['first_audio']:.2f} s after the end "
        f"of the recording · {t['reply_audio']:.1f} s of speech"
        + (f" → {target}" if target else "")
        + "[/]",
        highlight=False,
    )


async def _headless(
    companion: Companion,
    user: str,
    voice: VoiceSettings,
    audio: np.ndarray,
    gone: asyncio.Event,
    **how: Any,
) -> int:
    """Answer one recording. If stdout's reader goes away meanwhile, the reply is stopped
    and kept as far as it went (``unless_output_closed`` raises BrokenPipeError)."""
    out = Console(highlight=False, soft_wrap=True, stderr=how["target"] == "-")
    err = Console(stderr=True, highlight=False)
    seconds = audio.size / 16_000
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        "{task.completed:.0f}/{task.total:.0f} s",
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=seconds <= _LONG or how["as_json"],
    )
    task = bar.add_task("Listening", total=seconds)
    cancel = CancelToken()
    with bar:
        answering = asyncio.create_task(
            companion.speech.answer(
                companion,
                user,
                audio,
                voice=voice,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                cancel=cancel,
            )
        )
        exchange = await unless_output_closed(answering, cancel.cancel, gone)
    if how["target"]:
        await write_file_or_stdout(Path(how["target"]), _as_wav(exchange))
    if how["as_json"]:
        record = {
            "transcript": exchange.transcript,
            "reply": exchange.reply,
            "seconds_heard": round(exchange.seconds_heard, 2),
            "reply_file": how["target"],
            "timings": exchange.timings,
            "events": [e.to_dict() for e in exchange.events],
        }
        stream = sys.stderr if how["target"] == "-" else sys.stdout
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    speaker = (await companion.identity(user)).name
    _show_exchange(out, exchange, speaker, how["target"])
    return 0


def _microphone_problem() -> str | None:
    """Why a live conversation cannot happen here, or None if it can."""
    try:
        import sounddevice
    except (ImportError, OSError):
        return "PortAudio is not available on this machine"
    try:
        sounddevice.check_input_settings(samplerate=16_000, channels=1, dtype="float32")
        sounddevice.check_output_settings(samplerate=22_050, channels=1, dtype="int16")
    except Exception as exc:  # PortAudioError or ValueError: no such device
        return f"no usable microphone and speakers ({exc})"
    return None


async def _live(companion: Companion, user: str, voice: VoiceSettings, render: Renderer) -> int:
    import sounddevice

    from os1.core.speech import DeviceSink

    tts = await companion.speech.models().tts()
    loop = asyncio.get_running_loop()
    heard: asyncio.Queue[np.ndarray | None] = asyncio.Queue()  # None: Ctrl-C, leave
    if catches_signals():
        loop.add_signal_handler(signal.SIGINT, heard.put_nowait, None)

    async def show(event: TurnEvent) -> None:
        if isinstance(event, Transcribed):
            render.out.print(f"[bold cyan]you[/] › {event.text}", highlight=False)
        elif isinstance(event, BargedIn):
            render.out.print(" [dim](you cut in)[/]")
        elif isinstance(event, Notice) and event.code == "not_addressed":
            render.err.print("[dim](not for me)[/]")
        elif isinstance(event, VoiceTimings):
            render.err.print(f"[dim]first audio {event.first_audio:.2f} s after you stopped[/]")
        else:
            render.show(event)

    def on_audio(block: np.ndarray, _frames: int, _time: object, _status: object) -> None:
        loop.call_soon_threadsafe(heard.put_nowait, block[:, 0].copy())

    sink = DeviceSink(tts.rate)
    session = await companion.speech.session(companion, user, sink, show, voice=voice)
    if session.wake is None:
        render.out.print("[green]Listening.[/] Speak any time; Ctrl-C to leave.")
    else:
        render.out.print(f"[green]Listening for “{session.wake.phrase}”.[/] Ctrl-C to leave.")
    with sounddevice.InputStream(
        samplerate=16_000, channels=1, dtype="float32", blocksize=512, callback=on_audio
    ):
        while (block := await heard.get()) is not None:
            await session.feed(block)
    await session.close()
    sink.close()
    return 0


def _fail(render: Renderer, exc: Os1Error, as_json: bool) -> None:
    if as_json:
        record = {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint}}
        print(json.dumps(record, ensure_ascii=False))
    else:
        render.error(exc.message, exc.hint)


async def run_talk(
    user: str, home: str | None, speed: float | None, new: bool, wake: bool | None, **how: Any
) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True, stderr=how["target"] == "-")
    render = Renderer(out, err, as_json=how["as_json"], interactive=True)
    if how["source"] is None and (problem := _microphone_problem()) is not None:
        render.error(
            f"Cannot talk aloud here: {problem}.",
            "Use files instead: os1 talk --in QUESTION.wav --out REPLY.wav",
        )
        return 1
    async with ReaderWatch() as reader:
        try:
            audio = None if how["source"] is None else _read_input(how["source"])
            one_shot = audio is not None  # no idle time to read ahead in
            companion = reader.companion = await start_companion(
                err, quiet=how["as_json"], warm=not one_shot, home=home
            )
            with companion.presence.hold(user):
                if new:
                    await companion.new_conversation(user)
                voice = (await companion.speech.voice(user)).changed(speed=speed, wake_phrase=wake)
                if audio is None:
                    render.speaker = (await companion.identity(user)).name
                    return await _live(companion, user, voice, render)
                return await _headless(companion, user, voice, audio, reader.gone, **how)
        except Os1Error as exc:
            _fail(render, exc, how["as_json"])
            return 1
    return 1  # the reader went away: the reply was stopped and kept as far as it went


def talk(
    source: str | None = typer.Option(
        None, "--in", help="A recording to answer (any common format; - reads stdin)."
    ),
    target: str | None = typer.Option(
        None, "--out", help="Where to write the spoken reply as WAV (- writes stdout)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object: transcript, reply, timings, events."
    ),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Who is talking."),
    speed: float | None = typer.Option(
        None, "--speed", help="Speaking pace this time (0.5 to 2.0; see `os1 voice`)."
    ),
    new: bool = typer.Option(False, "--new", help="Start a new conversation."),
    wake: bool | None = typer.Option(
        None,
        "--wake/--no-wake",
        help="Answer only speech that starts with its name, “hey <name>” (see `os1 voice`).",
    ),
    home: str | None = typer.Option(None, "--home", help="Data folder."),
) -> None:
    """Talk with your companion aloud.

    Examples:

      os1 talk                                        # microphone and speakers, hands-free

      os1 talk --wake                                 # always listening, answers "hey <name>"

      os1 talk --in question.wav --out reply.wav      # answer a recording

      os1 talk --in memo.mp3 --json                   # transcript, reply and timings as JSON

      arecord -d 5 -f S16_LE | os1 talk --in - --out - | aplay
    """
    code = asyncio.run(
        run_talk(user, home, speed, new, wake, source=source, target=target, as_json=as_json)
    )
    raise typer.Exit(code)


def voice(
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose companion."),
    speed: float | None = typer.Option(None, "--speed", help="0.5 (slow) to 2.0 (fast)."),
    keep_recordings: bool | None = typer.Option(
        None,
        "--keep-recordings/--no-keep-recordings",
        help="Keep what you say aloud as WAV files in the data folder (off by default).",
    ),
    name: str | None = typer.Option(None, "--voice", help="Which installed voice."),
    wake: bool | None = typer.Option(
        None,
        "--wake/--no-wake",
        help="Hands-free, answer only speech that starts with its name (“hey <name>”).",
    ),
    home: str | None = typer.Option(None, "--home", help="Data folder."),
) -> None:
    """Show or change the companion's voice.

    Examples:

      os1 voice                       # how it speaks now

      os1 voice --speed 1.15          # a little faster

      os1 voice --keep-recordings     # keep your spoken turns as audio files

      os1 voice --wake                # hands-free waits for "hey <name>"
    """
    out = Console(highlight=False)

    async def work() -> int:
        try:
            companion = await Companion.open(load_settings({"home": home}))
        except Os1Error as exc:
            out.print(f"[red]{exc.message}[/] [dim]{exc.hint}[/]")
            return 1
        try:
            wanted = await companion.speech.change_voice(
                user, speed=speed, keep_recordings=keep_recordings, voice=name, wake_phrase=wake
            )
        except Os1Error as exc:
            out.print(f"[red]{exc.message}[/] [dim]{exc.hint}[/]")
            return 1
        finally:
            await companion.aclose()
        kept = "kept" if wanted.keep_recordings else "not kept"
        wakes = "“hey <name>” when hands-free" if wanted.wake_phrase else "any speech"
        out.print(
            f"voice {wanted.voice}, speed {wanted.speed:g}; recordings {kept}; answers {wakes}"
        )
        return 0

    raise typer.Exit(asyncio.run(work()))
