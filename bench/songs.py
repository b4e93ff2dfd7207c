"""Songs: words fitted to a tune, and lyrics that rhyme and scan, against baselines.

Two parts, each with its baseline in the same run:

- Fitting real words (no model): lines of real English, twelve a song, set by
  ``compose_song`` as os1 sets any lyrics: lines of verse (``--verse``, a text file of
  poems, e.g. Shakespeare's sonnets) and clauses of 5–10 words taken evenly through
  prose (``--books``, e.g. Project Gutenberg's novels). Measured: stressed syllables sung on a
  beat (against the same syllables spread evenly over the two bars, one a note, the
  plain way to set words), one note a syllable, the melody within an octave and a fifth
  (against a random walk of one or two semitones a note), and the harmony's checks
  (notes in key, cadences, parallels) as for pieces. On verse rhymed ABAB, the rhyme
  check is scored too: the known rhymes (lines 1–3, 2–4 of each quatrain) it hears,
  and the pairs that do not rhyme (1–2, 3–4) it wrongly calls rhymes.
- Writing songs (the real model): ``Music.song`` end to end for each moment, as `os1
  song --about MOMENT` does, in a new home: the sections whose lines 2 and 4 rhyme and
  whose lines keep the meter, for the model's own draft (the baseline) and after os1
  mends it; lines rewritten; seconds a song, render included, and the first song in a
  new process with the rhyming dictionary built from nothing (the cold path).

Run: .venv/bin/python bench/songs.py [--verse FILE] [--books PATH] [--moments PATH]
[--songs 10] [--fits 50] [--quick]. Never commit the books or the poems.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from figures import save
from music import moments_from
from os1.companion import Companion
from os1.config import load_settings
from os1.skills.music.plan import TONICS, Lyrics, SongPlan
from os1.skills.music.song import BEATS, LINE_BARS, compose_song, fit_rhythm, stress_on_beats
from os1.skills.music.theory import SINGABLE, check_song
from os1.skills.music.words import rhymes, scan_lines

_CLAUSE = re.compile(r"^[A-Za-z][A-Za-z' ]+$")


def clauses_from(books: Path, count: int) -> list[str]:
    """``count`` clauses of 5–10 plain words, spread evenly through the books."""
    files = sorted(books.glob("*.txt")) if books.is_dir() else [books]
    per_book = -(-count // len(files))
    picked: list[str] = []
    for book in files:
        text = " ".join(book.read_text("utf-8", errors="replace").split())
        body = text[len(text) // 20 : -len(text) // 20]  # past the licence and front matter
        parts = [" ".join(p.split()) for p in re.split(r"[,;:.!?()—–-]+", body)]
        usable = [p for p in parts if 5 <= len(p.split()) <= 10 and _CLAUSE.match(p)]
        stride = max(1, len(usable) // per_book)
        picked += usable[stride // 2 :: stride][:per_book]
    return picked[:count]


def verse_from(path: Path) -> list[list[str]]:
    """The poems' quatrains: four lines of 5–14 words running, no blank line among them."""
    quatrains, run = [], []
    for raw in path.read_text("utf-8", errors="replace").splitlines():
        line = " ".join(raw.split())
        if 5 <= len(line.split()) <= 14:
            run.append(line)
            if len(run) == 4:
                quatrains.append(run)
                run = []
        else:
            run = []
    return quatrains


def rhyme_hearing(quatrains: list[list[str]]) -> dict[str, Any]:
    """How the rhyme check does on verse rhymed ABAB."""
    heard = wrong = 0
    for four in quatrains:
        a, b, c, d = scan_lines(four)
        heard += rhymes(a, c) + rhymes(b, d)
        wrong += rhymes(a, b) + rhymes(c, d)
    pairs = 2 * len(quatrains)
    return {
        "quatrains": len(quatrains),
        "known_rhymes_heard": round(heard / pairs, 3),
        "non_rhymes_called_rhymes": round(wrong / pairs, 3),
    }


def _even(stresses: tuple[int, ...]) -> list[tuple[float, int]]:
    """The plain setting: syllables spread evenly over the line's eighths."""
    slots = 2 * BEATS * LINE_BARS
    n = len(stresses)
    return [(int(i * slots / max(n, 1)) / 2, s) for i, s in enumerate(stresses)]


def _walk_range(notes: int, seed: int) -> int:
    rng = random.Random(seed)
    pitch, low, high = 64, 64, 64
    for _ in range(notes - 1):
        pitch += rng.choice((-2, -1, 1, 2))
        low, high = min(low, pitch), max(high, pitch)
    return high - low


def fitting(lines: list[str]) -> dict[str, Any]:
    songs = [lines[i : i + 12] for i in range(0, len(lines) - 11, 12)]
    ours, plain, one_each, ranges, walks, twelfths, walk_twelfths = [], [], [], [], [], [], []
    harmony: dict[str, list[float]] = {"in key": [], "cadences": [], "parallels": []}
    for i, twelve in enumerate(songs):
        lyrics = Lyrics(f"song {i}", (tuple(twelve[:4]), tuple(twelve[8:12])), tuple(twelve[4:8]))
        plan = SongPlan(tonic=TONICS[i % len(TONICS)], mode=("major", "minor")[i % 2], seed=i)
        song = compose_song(lyrics, plan)
        for line, scanned in zip(song.lines, scan_lines([x.text for x in song.lines]), strict=True):
            stresses = tuple(s.stress for s in scanned.syllables)
            ours.append(
                stress_on_beats([(n.start - line.start, n.syllable.stress) for n in line.notes])
            )
            plain.append(stress_on_beats(_even(stresses)))
            one_each.append(float(len(line.notes) == len(stresses) == len(fit_rhythm(stresses))))
        pitches = [n.pitch for n in song.melody]
        ranges.append(max(pitches) - min(pitches))
        walks.append(_walk_range(len(pitches), i))
        twelfths.append(float(ranges[-1] <= SINGABLE))
        walk_twelfths.append(float(walks[-1] <= SINGABLE))
        report = check_song(song)
        harmony["in key"].append(report.in_key)
        harmony["cadences"].append(report.cadences)
        harmony["parallels"].append(report.parallels_per_100)
    mean = lambda xs: round(statistics.fmean(xs), 3)  # noqa: E731
    return {
        "songs": len(songs),
        "lines": len(ours),
        "stressed_on_the_beat": {"os1": mean(ours), "even spread": mean(plain)},
        "one_note_a_syllable": mean(one_each),
        "melody_range_semitones": {"os1": mean(ranges), "random walk": mean(walks)},
        "within_a_twelfth": {"os1": mean(twelfths), "random walk": mean(walk_twelfths)},
        "harmony": {name: mean(values) for name, values in harmony.items()},  # parallels: per 100
    }


def _passes(check: Any) -> tuple[float, float]:
    rhymed = statistics.fmean(float(v) for v in check.rhymed.values())
    metered = statistics.fmean(float(v == 1.0) for v in check.meter.values())
    return rhymed, metered


async def writing(moments: list[str]) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="os1-songs-bench-"))
    settings = load_settings({"home": home / "home"})
    # a new home has no rhyming dictionary yet: the first song builds it (the cold path)
    start = time.perf_counter()
    companion = await Companion.start(settings)
    done, times, cold = [], [], 0.0
    try:
        for i, moment in enumerate(moments):
            began = time.perf_counter()
            sung = await companion.music.song("bench", home / f"s{i}", about=moment, seed=i)
            took = time.perf_counter() - began
            if i == 0:
                cold = time.perf_counter() - start
            else:
                times.append(took)
            done.append(sung)
            print(
                f"  {i + 1}/{len(moments)} {took:5.1f} s  rhymed "
                f"{sum(sung.check.rhymed.values())}/3 (the model's draft "
                f"{sum(sung.drafted.rhymed.values()) if sung.drafted else '?'}/3)  {moment[:50]}",
                flush=True,
            )
    finally:
        await companion.aclose()
    drafts = [_passes(s.drafted) for s in done if s.drafted]
    mended = [_passes(s.check) for s in done]
    rewritten = [int(re.search(r"(\d+) lines? written again", s.why).group(1))
                 if "written again" in s.why else 0 for s in done]  # fmt: skip
    mean = lambda xs: round(statistics.fmean(xs), 3)  # noqa: E731
    return {
        "songs": len(done),
        "sections_rhymed": {
            "os1": mean([m[0] for m in mended]),
            "model alone": mean([d[0] for d in drafts]),
        },
        "sections_in_meter": {
            "os1": mean([m[1] for m in mended]),
            "model alone": mean([d[1] for d in drafts]),
        },
        "lines_rewritten_mean": mean(rewritten),
        "seconds_per_song_median": round(statistics.median(times), 1) if times else None,
        "seconds_per_song_p90": round(sorted(times)[int(0.9 * (len(times) - 1))], 1)
        if times
        else None,
        "cold_first_song_seconds": round(cold, 1),
        "missing_outputs": sum(len(s.written.missing) for s in done),
        "example": done[0].written.files["txt"].read_text(encoding="utf-8") if done else "",
    }


def show(
    fits: dict[str, dict[str, Any]], hearing: dict[str, Any] | None, wrote: dict[str, Any] | None
) -> None:
    console = Console()
    for source, fit in fits.items():
        _show_fit(console, fit, source)
    if hearing:
        console.print(
            f"rhyme check on {hearing['quatrains']} ABAB quatrains: hears "
            f"{hearing['known_rhymes_heard']} of the known rhymes, calls "
            f"{hearing['non_rhymes_called_rhymes']} of the pairs that do not rhyme rhymes"
        )
    if wrote:
        _show_writing(console, wrote)


def _show_fit(console: Console, fit: dict[str, Any], source: str) -> None:
    table = Table(
        title=f"Words fitted to tunes: {fit['lines']} real lines, {fit['songs']} songs ({source})"
    )
    table.add_column("check")
    table.add_column("os1", justify="right")
    table.add_column("baseline", justify="right")
    table.add_row("stressed syllables on the beat", str(fit["stressed_on_the_beat"]["os1"]),
                  f"{fit['stressed_on_the_beat']['even spread']} (even spread)")  # fmt: skip
    table.add_row("melody range, semitones (mean)", str(fit["melody_range_semitones"]["os1"]),
                  f"{fit['melody_range_semitones']['random walk']} (random walk)")  # fmt: skip
    table.add_row("songs within a twelfth (19)", str(fit["within_a_twelfth"]["os1"]),
                  f"{fit['within_a_twelfth']['random walk']} (random walk)")  # fmt: skip
    table.add_row("one note a syllable", str(fit["one_note_a_syllable"]), "")
    for name, value in fit["harmony"].items():
        table.add_row(f"harmony: {name}", str(value), "")
    console.print(table)


def _show_writing(console: Console, wrote: dict[str, Any]) -> None:
    table = Table(title=f"Songs written with the real model: {wrote['songs']} moments")
    table.add_column("check")
    table.add_column("os1", justify="right")
    table.add_column("model alone", justify="right")
    for name in ("sections_rhymed", "sections_in_meter"):
        table.add_row(
            name.replace("_", " "), str(wrote[name]["os1"]), str(wrote[name]["model alone"])
        )
    console.print(table)
    console.print(
        f"lines rewritten a song: {wrote['lines_rewritten_mean']}; seconds a song, render "
        f"included: median {wrote['seconds_per_song_median']}, p90 "
        f"{wrote['seconds_per_song_p90']}; the first song in a new process, the rhyming "
        f"dictionary built: {wrote['cold_first_song_seconds']} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verse", type=Path, help="a text file of poems (e.g. the sonnets)")
    parser.add_argument("--books", type=Path, help="a book (.txt) or a folder of them")
    parser.add_argument("--moments", type=Path, help="moments for the model: a file or books")
    parser.add_argument("--songs", type=int, default=10, help="songs the model writes (0: none)")
    parser.add_argument("--fits", type=int, default=50, help="songs of real lines to fit")
    parser.add_argument("--quick", action="store_true", help="fewer; figures not saved")
    args = parser.parse_args()
    if not args.verse and not args.books:
        parser.error("give real words to fit: --verse FILE and/or --books PATH")
    fits_n, songs = (5, min(2, args.songs)) if args.quick else (args.fits, args.songs)
    fits, hearing = {}, None
    if args.verse:
        quatrains = verse_from(args.verse)
        fits[f"verse: {args.verse.name}"] = fitting(
            [x for q in quatrains for x in q][: 12 * fits_n]
        )
        hearing = rhyme_hearing(quatrains)
    if args.books:
        fits[f"prose clauses: {args.books.name}"] = fitting(clauses_from(args.books, 12 * fits_n))
    wrote = None
    if songs:
        moments, where = moments_from(args.moments, songs)
        wrote = asyncio.run(writing(moments))
        wrote["moments"] = where
    show(fits, hearing, wrote)
    if not args.quick:
        print(
            f"saved: {save('songs', {'fitting': fits, 'rhyme_check': hearing, 'writing': wrote})}"
        )


if __name__ == "__main__":
    main()
