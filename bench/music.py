"""Music from moments: theory checks, variety and time, against a random-walk baseline.

For each moment os1 composes a piece the way a person's `os1 compose --about MOMENT`
does (``Music.compose``: the real embedded model reads the moment and picks the musical
decisions, code composes, MIDI, WAV, Ogg, MusicXML and PDF are written), in a new home.

- Theory (shares over all pieces): notes in key or explained by the chord under them;
  phrases closing on a cadence; parallel fifths and octaves per 100 chord changes; the
  melody's range. The baseline, in the same run: for each piece, a melody walking by
  random steps of one or two semitones over random root-position triads of the key, as
  long as the piece (``theory.random_walk``).
- Variety: keys, modes, tempi, meters, forms, instruments and motifs across pieces.
- Time: seconds a piece end to end, render included (the model already loaded); the
  first piece, in a new process and a new home, is reported on its own (the cold path).
  Audio: seconds of music FluidSynth renders per second of work.

Moments: ``--moments PATH`` reads a text file (a moment a line) or a folder of books
(.txt): sentences of 12–45 words that set a scene (a time of day, weather, a place)
are taken, spread evenly through each book. Headline figures come from real books
(e.g. Project Gutenberg's); without a path, a built-in list of everyday moments is used
(regression only). Never commit the books.

Run: .venv/bin/python bench/music.py [--moments PATH] [--pieces 50] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from figures import save
from os1.companion import Companion
from os1.config import load_settings
from os1.skills.music.score import find_soundfont, synth_command
from os1.skills.music.theory import check, random_walk

EVERYDAY = [
    "the grey morning on the beach with Lena, the sea was cold",
    "dancing in the kitchen with Tom after the good news",
    "the last evening at grandmother's house before it was sold",
    "first snow in Oslo, walking home late from work",
    "Maya's fifth birthday party in the garden, balloons everywhere",
    "sitting with my father in the hospital at night",
    "the train to Lisbon at dawn, everything ahead of us",
    "a quiet Sunday reading by the window while it rained",
    "finishing the marathon in Porto, legs shaking, so proud",
    "saying goodbye to our old dog Biscuit",
]
_SCENE = re.compile(
    r"\b(morning|evening|night|dawn|dusk|sunset|sunrise|noon|afternoon|rain|snow|wind|storm|"
    r"sun|moon|sea|shore|garden|river|forest|field|walk(ed)?|sky|winter|summer|spring|autumn)\b",
    re.IGNORECASE,
)


def moments_from(path: Path | None, count: int) -> tuple[list[str], str]:
    """``count`` moments, and where they came from."""
    if path is None:
        return [EVERYDAY[i % len(EVERYDAY)] for i in range(count)], "built-in everyday moments"
    if path.is_file():
        lines = [" ".join(x.split()) for x in path.read_text("utf-8").splitlines() if x.strip()]
        return lines[:count], f"{path.name} (a moment a line)"
    books = sorted(path.glob("*.txt"))
    per_book = -(-count // len(books))
    picked: list[str] = []
    for book in books:
        text = " ".join(book.read_text("utf-8", errors="replace").split())
        sentences = [
            s
            for s in re.split(r"(?<!Mr\.)(?<!Mrs\.)(?<!Dr\.)(?<!St\.)(?<=[.!?])\s+", text)
            if 12 <= len(s.split()) <= 45 and _SCENE.search(s) and '"' not in s and "_" not in s
        ]
        stride = max(1, len(sentences) // per_book)
        picked += sentences[stride // 2 :: stride][:per_book]
    return picked[:count], f"{len(books)} books in {path} (scene-setting sentences)"


def audio_speed(midi: Path, seconds: float, folder: Path) -> float:
    """Seconds of music per second of FluidSynth's work."""
    font = find_soundfont()
    assert font is not None, "no soundfont: run the set-up (scripts/setup.sh)"
    start = time.perf_counter()
    subprocess.run(synth_command(font, midi, folder / "a.wav"), check=True, capture_output=True)
    return seconds / (time.perf_counter() - start)


def _share(values: list[float]) -> float:
    return round(statistics.fmean(values), 3) if values else 0.0


async def run(moments: list[str]) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="os1-music-bench-"))
    start = time.perf_counter()
    companion = await Companion.start(load_settings({"home": home / "home"}))
    pieces, times, speeds, cold = [], [], [], 0.0
    try:
        for i, moment in enumerate(moments):
            began = time.perf_counter()
            done = await companion.music.compose("bench", home / f"p{i}", about=moment, seed=i)
            took = time.perf_counter() - began
            if i == 0:
                cold = time.perf_counter() - start
            else:
                times.append(took)
            pieces.append(done)
            speeds.append(audio_speed(done.written.files["mid"], done.piece.seconds, home))
            print(
                f"  {i + 1}/{len(moments)} {took:5.1f} s  {done.piece.plan.tonic} "
                f"{done.piece.plan.mode} {done.piece.plan.tempo} bpm  "
                f"{done.piece.motif.spelled or '-':8} {moment[:60]}",
                flush=True,
            )
    finally:
        await companion.aclose()
    ours = [check(p.piece) for p in pieces]
    walks = [random_walk(p.piece, i) for i, p in enumerate(pieces)]
    plans = [p.piece.plan for p in pieces]
    return {
        "pieces": len(pieces),
        "theory": {
            name: {
                "os1": _share([getattr(r, attr) for r in ours]),
                "random walk": _share([getattr(r, attr) for r in walks]),
            }
            for name, attr in (
                ("notes in key or explained", "in_key"),
                ("phrases ending on a cadence", "cadences"),
                ("parallel 5ths/8ves per 100 changes", "parallels_per_100"),
                ("melody range, semitones (mean)", "melody_range"),
            )
        },
        "songs_within_a_twelfth": _share([float(r.melody_range <= 19) for r in ours]),
        "variety": {
            "keys": dict(Counter(f"{p.tonic} {p.mode}" for p in plans).most_common()),
            "modes": dict(Counter(p.mode for p in plans)),
            "tempo_min_median_max": [
                min(p.tempo for p in plans),
                statistics.median(p.tempo for p in plans),
                max(p.tempo for p in plans),
            ],
            "meters": dict(Counter(p.meter for p in plans)),
            "forms": dict(Counter(p.form for p in plans)),
            "instruments": dict(Counter(p.instrument for p in plans)),
            "distinct_motifs": len({p.piece.motif.degrees for p in pieces}),
            "spelled_from_the_moment": _share([float(bool(p.piece.motif.spelled)) for p in pieces]),
        },
        "seconds_per_piece_median": round(statistics.median(times), 2) if times else None,
        "seconds_per_piece_p90": round(sorted(times)[int(0.9 * (len(times) - 1))], 2)
        if times
        else None,
        "cold_first_piece_seconds": round(cold, 1),
        "audio_times_real_time_median": round(statistics.median(speeds), 1),
        "music_seconds_median": round(statistics.median(p.piece.seconds for p in pieces), 1),
        "missing_outputs": sum(len(p.written.missing) for p in pieces),
    }


def show(figures: dict[str, Any], source: str) -> None:
    console = Console()
    table = Table(title=f"Music theory over {figures['pieces']} pieces ({source})")
    table.add_column("check")
    table.add_column("os1", justify="right")
    table.add_column("random walk", justify="right")
    for name, pair in figures["theory"].items():
        table.add_row(name, str(pair["os1"]), str(pair["random walk"]))
    console.print(table)
    variety = figures["variety"]
    console.print(f"keys: {variety['keys']}")
    console.print(
        f"tempo min/median/max: {variety['tempo_min_median_max']}; meters "
        f"{variety['meters']}; forms {variety['forms']}"
    )
    console.print(
        f"instruments: {variety['instruments']}; distinct motifs "
        f"{variety['distinct_motifs']}/{figures['pieces']}, spelled from the moment "
        f"{variety['spelled_from_the_moment']}"
    )
    console.print(
        f"time per piece, render included: median {figures['seconds_per_piece_median']}"
        f" s, p90 {figures['seconds_per_piece_p90']} s (target <= 10); first piece in "
        f"a new process and home: {figures['cold_first_piece_seconds']} s"
    )
    console.print(
        f"audio: {figures['audio_times_real_time_median']}x real time (target >= 20);"
        f" pieces last {figures['music_seconds_median']} s (median)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moments", type=Path, help="a text file or a folder of books")
    parser.add_argument("--pieces", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="3 pieces; figures not saved")
    args = parser.parse_args()
    moments, source = moments_from(args.moments, 3 if args.quick else args.pieces)
    figures = asyncio.run(run(moments))
    figures["moments"] = source
    show(figures, source)
    if not args.quick:
        print(f"saved: {save('music', figures)}")


if __name__ == "__main__":
    main()
