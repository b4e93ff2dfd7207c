"""``os1 compose``: a piece of music as a photograph of a moment: MIDI, audio, MusicXML,
sheet music and why it is as it is. ``os1 music``: the pieces kept, to list, show, play
and forget."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.markup import escape

from os1.cli.actions import err, opened, opened_cheaply, out, run
from os1.cli.render import counted_progress
from os1.config import DEFAULT_USER
from os1.core.music import Composed, Shelved


def _as_json(done: Composed) -> dict[str, Any]:
    plan, piece = done.piece.plan, done.piece
    return {
        "id": done.id,
        "about": done.moment.about,
        "memories": [m.ref for m in done.moment.memories],
        "seed": piece.seed,
        "key": f"{plan.tonic} {plan.mode}",
        "tempo": plan.tempo,
        "meter": plan.meter,
        "form": plan.form,
        "instrument": plan.instrument,
        "bars": piece.bars,
        "seconds": round(piece.seconds, 1),
        "motif": {
            "spelled": piece.motif.spelled,
            "notes": piece.motif.letters,
            "rhythm_from": piece.motif.rhythm_from,
        },
        "why": done.why,
        "files": {kind: str(path) for kind, path in done.written.files.items()},
        "missing": done.written.missing,
    }


def compose(
    about: str | None = typer.Option(None, "--about", help="The moment, in your words."),
    memory: str | None = typer.Option(
        None, "--memory", help="A memory to photograph instead (f3, e40; see `os1 memory list`)."
    ),
    seed: int = typer.Option(0, "--seed", help="Another seed, another piece of the same moment."),
    out_dir: Path = typer.Option(Path("piece"), "--out", help="Folder for the files."),
    tempo: int | None = typer.Option(None, "--tempo", help="Beats a minute (40–200)."),
    key: str | None = typer.Option(None, "--key", help='A key of your own: "D minor", "G".'),
    bars: int | None = typer.Option(None, "--bars", help="How many bars (8–128)."),
    instrument: str | None = typer.Option(None, "--instrument", help='e.g. "cello", "harp".'),
    soundfont: Path | None = typer.Option(None, "--soundfont", help="A General MIDI .sf2."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose moments."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Compose a piece about a moment: piece.mid, .wav, .ogg, .musicxml, .pdf and why.txt.

    Examples: `os1 compose --about "this morning at the beach with Lena"`,
    `os1 compose --memory f3 --seed 2 --out beach`, `os1 compose --about "rain" --tempo 60`.
    """
    if not about and not memory:
        err.print(
            '[red]Say what the piece is about.[/] [dim]--about "this morning at the '
            'beach", or --memory f3.[/]'
        )
        raise typer.Exit(2)
    if soundfont is not None and not soundfont.is_file():
        err.print(
            f"[red]There is no soundfont at {escape(str(soundfont))}.[/] [dim]Name a "
            "General MIDI .sf2 file, or leave --soundfont out to use the one installed.[/]"
        )
        raise typer.Exit(2)
    tonic, mode = None, None
    if key:
        tonic, _, rest = key.strip().partition(" ")
        mode = rest.strip().lower() or "major"

    async def work() -> int:
        async with opened() as companion:
            with counted_progress(err, "Composing") as bar:
                bar.add_task("piece", total=None)
                done = await companion.music.compose(
                    user,
                    out_dir,
                    about=about,
                    memory=memory,
                    seed=seed,
                    soundfont=soundfont,
                    tempo=tempo,
                    tonic=tonic,
                    mode=mode,
                    bars=bars,
                    instrument=instrument,
                )
        if as_json:
            out.print_json(json.dumps(_as_json(done)))
            return 0
        out.print(f"[bold]Piece {done.id}[/] (`os1 music play {done.id}`)")
        out.print(escape(done.why.rstrip()))
        for kind, path in done.written.files.items():
            out.print(f"  {kind:9} {escape(str(path))}")
        for kind, reason in done.written.missing.items():
            err.print(f"[yellow]No {kind}:[/] {escape(reason)}")
        return 0

    run(work)


music_app = typer.Typer(
    help="The pieces os1 composed with you: list them, show why, play them, forget them.\n\n"
    "Examples: `os1 music list`, `os1 music show 3`, `os1 music play 3`, "
    "`os1 music forget 3`.",
    no_args_is_help=True,
)
_User = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose pieces.")
_Json = typer.Option(False, "--json", help="Print the result as JSON.")


def _shelved_json(kept: Shelved) -> dict[str, Any]:
    plan = kept.plan
    return {
        "id": kept.id,
        "about": kept.moment.about,
        "memories": [m.ref for m in kept.moment.memories],
        "key": f"{plan.tonic} {plan.mode}",
        "tempo": plan.tempo,
        "form": plan.form,
        "instrument": plan.instrument,
        "seed": kept.seed,
        "created_at": dt.datetime.fromtimestamp(kept.created_at).isoformat(timespec="seconds"),
        "why": kept.why,
    }


@music_app.command("list")
def list_pieces(user: str = _User, as_json: bool = _Json) -> None:
    """The pieces composed, newest first."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            kept = await companion.music.pieces(user)
        if as_json:
            out.print_json(json.dumps([_shelved_json(k) for k in kept]))
            return 0
        if not kept:
            out.print('No pieces yet. Compose one: os1 compose --about "this morning"')
        for piece in kept:
            day = dt.datetime.fromtimestamp(piece.created_at).strftime("%-d %b %Y")
            plan = piece.plan
            out.print(
                f"{piece.id:4}  {day}  {plan.tonic} {plan.mode}, {plan.tempo} bpm, "
                f"{plan.instrument}  {escape(piece.moment.about[:60])}"
            )
        return 0

    run(work)


@music_app.command("show")
def show(
    piece: int = typer.Argument(..., help="The piece's number (see `list`)."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """What a piece is about, the memories it photographs, and why it is as it is."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            kept = await companion.music.piece(user, piece)
        if as_json:
            out.print_json(json.dumps(_shelved_json(kept)))
        else:
            out.print(f"[bold]{escape(kept.moment.about)}[/]")
            out.print(escape(kept.why.rstrip()))
        return 0

    run(work)


@music_app.command("play")
def play(
    piece: int = typer.Argument(..., help="The piece's number (see `list`)."), user: str = _User
) -> None:
    """Play a piece on this machine's speakers (Ctrl-C stops it)."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            written = await companion.music.files(user, piece, "wav")
        wav = written.files.get("wav")
        if wav is None:
            err.print(f"[red]Piece {piece} has no audio:[/] {escape(written.missing['wav'])}")
            return 1
        problem = await asyncio.to_thread(_play, wav)
        if problem:
            err.print(
                f"[red]Cannot play it here: {escape(problem)}.[/] [dim]The audio is at "
                f"{escape(str(wav))}; open it in any player.[/]"
            )
            return 1
        return 0

    run(work)


def _play(wav: Path) -> str | None:
    """Plays ``wav`` to the end; why not, if it cannot be."""
    try:
        import sounddevice
    except (ImportError, OSError):
        return "PortAudio is not available"
    with wave.open(str(wav)) as audio:
        rate, channels = audio.getframerate(), audio.getnchannels()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype=np.int16)
    try:
        sounddevice.play(samples.reshape(-1, channels), rate)
        sounddevice.wait()
    except KeyboardInterrupt:
        sounddevice.stop()
    except Exception as exc:  # PortAudioError or ValueError: no output device
        return f"no speakers ({exc})"
    return None


@music_app.command("forget")
def forget(
    piece: int = typer.Argument(..., help="The piece's number (see `list`)."), user: str = _User
) -> None:
    """Forget a piece and its files."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            await companion.music.forget(user, piece)
        out.print(f"Piece {piece} is forgotten.")
        return 0

    run(work)
