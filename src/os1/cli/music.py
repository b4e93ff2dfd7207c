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
from os1.core.music import Composed, KeptSong, Shelved


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


def check_soundfont(soundfont: Path | None) -> None:
    """A ``--soundfont`` that is not a file is told at once (exit 2)."""
    if soundfont is not None and not soundfont.is_file():
        err.print(
            f"[red]There is no soundfont at {escape(str(soundfont))}.[/] [dim]Name a "
            "General MIDI .sf2 file, or leave --soundfont out to use the one installed.[/]"
        )
        raise typer.Exit(2)


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
    check_soundfont(soundfont)
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
    help="The pieces and songs os1 made with you: list them, show why, play them, forget "
    "them.\n\nA song's number starts with s.\n\n"
    "Examples: `os1 music list`, `os1 music show 3`, `os1 music play s2`, "
    "`os1 music forget 3`.",
    no_args_is_help=True,
)
_User = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose pieces.")
_Ref = typer.Argument(..., help="The piece's number, or a song's (s2); see `list`.")


def _which(ref: str) -> tuple[str, int]:
    """("piece", 3) for "3", ("song", 2) for "s2"."""
    text = ref.strip().lower()
    kind = "song" if text.startswith("s") else "piece"
    number = text.removeprefix("song").removeprefix("s").lstrip("-")
    if not number.isdigit() or len(number) > 12:
        err.print(
            f"[red]{escape(ref[:40])!r} is not a piece or a song.[/] [dim]A piece is a number "
            "(3), a song s and a number (s2); see `os1 music list`.[/]"
        )
        raise typer.Exit(2)
    return kind, int(number)


def _song_json(kept: KeptSong) -> dict[str, Any]:
    plan = kept.plan
    return {
        "id": f"s{kept.id}",
        "about": kept.moment.about,
        "memories": [m.ref for m in kept.moment.memories],
        "title": kept.lyrics.title,
        "key": f"{plan.tonic} {plan.mode}",
        "tempo": plan.tempo,
        "lyrics": {label.lower(): list(lines) for label, lines in kept.lyrics.sections()[:3]},
        "revised_from": None if kept.revised_from is None else f"s{kept.revised_from}",
        "created_at": dt.datetime.fromtimestamp(kept.created_at).isoformat(timespec="seconds"),
        "why": kept.why,
    }


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
    """The pieces and songs made, newest first."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            kept = await companion.music.pieces(user)
            songs = await companion.music.songs(user)
        if as_json:
            shown = [_shelved_json(k) for k in kept] + [_song_json(s) for s in songs]
            out.print_json(json.dumps(sorted(shown, key=lambda x: x["created_at"], reverse=True)))
            return 0
        if not kept and not songs:
            out.print(
                'Nothing yet. Compose a piece: os1 compose --about "this morning", or write'
                ' a song: os1 song --about "the summers at the lake"'
            )
        rows: list[tuple[float, str]] = []
        for piece in kept:
            plan = piece.plan
            rows.append((piece.created_at, f"{piece.id:>5}  {_day(piece.created_at)}  "
                         f"{plan.tonic} {plan.mode}, {plan.tempo} bpm, {plan.instrument}  "
                         f"{escape(piece.moment.about[:60])}"))  # fmt: skip
        for sung in songs:
            rows.append((sung.created_at, f"{'s' + str(sung.id):>5}  {_day(sung.created_at)}  "
                         f"song in {sung.plan.tonic} {sung.plan.mode}, {sung.plan.tempo} bpm  "
                         f"{escape(sung.lyrics.title)}"))  # fmt: skip
        for _, row in sorted(rows, reverse=True):
            out.print(row)
        return 0

    run(work)


def _day(at: float) -> str:
    return dt.datetime.fromtimestamp(at).strftime("%-d %b %Y")


@music_app.command("show")
def show(ref: str = _Ref, user: str = _User, as_json: bool = _Json) -> None:
    """What a piece or song is about, the memories behind it, and why it is as it is."""
    kind, number = _which(ref)

    async def work() -> int:
        async with opened_cheaply() as companion:
            if kind == "song":
                sung = await companion.music.kept_song(user, number)
            else:
                kept = await companion.music.piece(user, number)
        if kind == "song":
            if as_json:
                out.print_json(json.dumps(_song_json(sung)))
                return 0
            out.print(f"[bold]{escape(sung.lyrics.title)}[/] ({escape(sung.moment.about)})\n")
            for label, lines in sung.lyrics.sections()[:3]:
                out.print(f"[{label}]", markup=False)
                out.print("\n".join(lines) + "\n", markup=False)
            out.print(escape(sung.why.rstrip()))
            return 0
        if as_json:
            out.print_json(json.dumps(_shelved_json(kept)))
        else:
            out.print(f"[bold]{escape(kept.moment.about)}[/]")
            out.print(escape(kept.why.rstrip()))
        return 0

    run(work)


@music_app.command("play")
def play(ref: str = _Ref, user: str = _User) -> None:
    """Play a piece or a song's guide track on this machine's speakers (Ctrl-C stops it)."""
    kind, number = _which(ref)

    async def work() -> int:
        async with opened_cheaply() as companion:
            if kind == "song":
                written = await companion.music.song_files(user, number, "wav")
            else:
                written = await companion.music.files(user, number, "wav")
        wav = written.files.get("wav")
        if wav is None:
            err.print(f"[red]{escape(ref)} has no audio:[/] {escape(written.missing['wav'])}")
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
def forget(ref: str = _Ref, user: str = _User) -> None:
    """Forget a piece or a song, and its files."""
    kind, number = _which(ref)

    async def work() -> int:
        async with opened_cheaply() as companion:
            if kind == "song":
                await companion.music.forget_song(user, number)
            else:
                await companion.music.forget(user, number)
        out.print(f"{'Song s' if kind == 'song' else 'Piece '}{number} is forgotten.")
        return 0

    run(work)
