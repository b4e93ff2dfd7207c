"""``os1 compose``: a piece of music as a photograph of a moment: MIDI, audio, MusicXML,
sheet music and why it is as it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from os1.cli.actions import err, opened, out, run
from os1.cli.render import counted_progress
from os1.config import DEFAULT_USER
from os1.core.music import Composed


def _as_json(done: Composed) -> dict[str, Any]:
    plan, piece = done.piece.plan, done.piece
    return {
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
        out.print(escape(done.why.rstrip()))
        for kind, path in done.written.files.items():
            out.print(f"  {kind:9} {escape(str(path))}")
        for kind, reason in done.written.missing.items():
            err.print(f"[yellow]No {kind}:[/] {escape(reason)}")
        return 0

    run(work)
