"""``os1 song``: a song written together about a moment (words, chords with ukulele
diagrams, a lead sheet and a guide track), and revised in plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from os1.cli.actions import err, opened, out, run
from os1.cli.music import check_soundfont
from os1.cli.render import counted_progress
from os1.config import DEFAULT_USER
from os1.core.music import Sung


def song_json(done: Sung) -> dict[str, Any]:
    song, plan = done.song, done.song.plan
    return {
        "id": done.id,
        "about": done.moment.about,
        "memories": [m.ref for m in done.moment.memories],
        "title": song.lyrics.title,
        "key": f"{plan.tonic} {plan.mode}",
        "chorus_mode": plan.chorus,
        "tempo": plan.tempo,
        "seed": plan.seed,
        "bars": song.bars,
        "seconds": round(song.seconds, 1),
        "lyrics": {label.lower(): list(lines) for label, lines in song.lyrics.sections()[:3]},
        "chords": list(song.symbols),
        "check": {
            "meter": done.check.meter,
            "rhymed": done.check.rhymed,
            "syllables": {k: list(v) for k, v in done.check.syllables.items()},
            "problems": list(done.check.problems),
        },
        "changes": list(done.changes),
        "why": done.why,
        "files": {kind: str(path) for kind, path in done.written.files.items()},
        "missing": done.written.missing,
    }


def song(
    change: str | None = typer.Argument(
        None, help='With --revise, the change in your words: "in G", "slower".'
    ),
    about: str | None = typer.Option(None, "--about", help="The moment, in your words."),
    memory: str | None = typer.Option(
        None, "--memory", help="A memory to sing about instead (f3, e40; see `os1 memory list`)."
    ),
    revise: int | None = typer.Option(
        None, "--revise", help="A song's number to change (see `os1 music list`)."
    ),
    seed: int = typer.Option(0, "--seed", help="Another seed, other words and tune."),
    out_dir: Path = typer.Option(Path("song"), "--out", help="Folder for the files."),
    soundfont: Path | None = typer.Option(None, "--soundfont", help="A General MIDI .sf2."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose moments."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Write a song together about a moment: song.txt (words and chords), chords.svg
    (ukulele diagrams), lead.pdf (lead sheet), song.mid and song.wav (a guide track).

    Examples: `os1 song --about "the summers at the lake with Lena"`,
    `os1 song --revise 4 "in G"`, `os1 song --revise 4 "make the chorus happier"`,
    `os1 song --revise 5 "slower"`.
    """
    if revise is None and not about and not memory:
        err.print(
            '[red]Say what the song is about.[/] [dim]--about "the summers at the lake", '
            '--memory f3, or --revise 4 "slower" to change a song.[/]'
        )
        raise typer.Exit(2)
    if revise is not None and not (change or "").strip():
        err.print(
            "[red]Say how to change the song.[/] [dim]For example: os1 song --revise "
            f'{revise} "in G" (or "slower", "make the chorus happier").[/]'
        )
        raise typer.Exit(2)
    check_soundfont(soundfont)

    async def work() -> int:
        async with opened() as companion:
            with counted_progress(err, "Writing the song") as bar:
                bar.add_task("song", total=None)
                if revise is not None:
                    done = await companion.music.revise_song(
                        user, revise, change or "", out_dir, soundfont=soundfont
                    )
                else:
                    done = await companion.music.song(
                        user, out_dir, about=about, memory=memory, seed=seed, soundfont=soundfont
                    )
        if as_json:
            out.print_json(json.dumps(song_json(done)))
            return 0
        out.print(f"[bold]Song s{done.id}[/] (`os1 music play s{done.id}`)\n")
        out.print(escape(done.written.files["txt"].read_text(encoding="utf-8").rstrip()))
        out.print()
        out.print(escape(done.why.rstrip()), style="dim")
        out.print()
        for kind, path in done.written.files.items():
            out.print(f"  {kind:9} {escape(str(path))}")
        for kind, reason in done.written.missing.items():
            err.print(f"[yellow]No {kind}:[/] {escape(reason)}")
        return 0

    run(work)
