"""Ukulele chord fingerings and SVG chord diagrams for a song's lead sheet.

A person who wants to play a song along needs to see where to put their fingers, not just
the chord name. The fingerings are not a table copied from a chord book: they are searched
for (every fret 0-7 on each string of a G4 C4 E4 A4 ukulele) and the most playable voicing
that sounds exactly the chord's tones wins, so every symbol in every key gets one by the
same rule. The scoring is tuned so the shapes every beginner learns (C = 0003, G = 0232,
Am = 2000 ...) come out as they do in a chord book; a player would distrust anything else.
The diagrams are plain SVG text, so a lead sheet needs no drawing library.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from os1.errors import MusicError

OPEN = (7, 0, 4, 9)  # pitch classes of the open strings G, C, E, A
MAX_FRET = 7
NOTES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ACCIDENTALS = {"": 0, "#": 1, "♯": 1, "b": -1, "♭": -1}
QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "m7": (0, 3, 7, 10),
    "maj7": (0, 4, 7, 11),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "dim7": (0, 3, 6, 9),
    "m7b5": (0, 3, 6, 10),
}
_SYMBOL = re.compile(r"([A-G])([#♯b♭]?)(.*)")
# A symbol may reach diagram_svg from anywhere; these code points cannot appear in XML 1.0.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Fingering:
    symbol: str  # the chord symbol as given, e.g. "F#m"
    frets: tuple[int, int, int, int]  # per string G, C, E, A; 0 = open
    base: int  # first fret shown in the diagram (1 unless the shape sits higher up)


def parse_symbol(symbol: str) -> tuple[int, tuple[int, ...]]:
    """The root's pitch class (C = 0) and the chord's pitch classes relative to the root."""
    match = _SYMBOL.fullmatch(symbol.strip())
    if match is None or match.group(3) not in QUALITIES:
        shown = symbol if len(symbol) <= 20 else symbol[:20] + "…"
        raise MusicError(
            "music_chord_unknown",
            f"The chord symbol {shown!r} is not one os1 can finger.",
            "Write a root A-G, optionally with # or b, then one of: major (nothing), "
            + ", ".join(q for q in QUALITIES if q)
            + ' (for example "F#m", "Bb7", "Cmaj7").',
        )
    letter, accidental, quality = match.groups()
    return (NOTES[letter] + ACCIDENTALS[accidental]) % 12, QUALITIES[quality]


@lru_cache(maxsize=1)
def _voicings() -> dict[frozenset[int], list[tuple[int, int, int, int]]]:
    # Grouping all 8**4 fret combinations by what they sound once makes each chord a lookup.
    grouped: dict[frozenset[int], list[tuple[int, int, int, int]]] = {}
    for frets in itertools.product(range(MAX_FRET + 1), repeat=4):
        sounded = frozenset((o + f) % 12 for o, f in zip(OPEN, frets, strict=True))
        grouped.setdefault(sounded, []).append((frets[0], frets[1], frets[2], frets[3]))
    return grouped


def _cost(frets: tuple[int, ...]) -> int:
    fretted = [f for f in frets if f]
    if not fretted:
        return 0
    lowest = min(fretted)
    at_lowest = [i for i, f in enumerate(frets) if f == lowest]
    # The index finger can lie flat over the lowest fret only if nothing between rings open;
    # it saves fingers but tires the hand, so it is not free.
    barre = len(at_lowest) > 1 and all(frets[i] for i in range(at_lowest[0], at_lowest[-1]))
    fingers = len(fretted) - (len(at_lowest) - 1 if barre else 0)
    # An open string between two fingers, the one on the G side two or more frets higher, is
    # muted by that finger leaning across it: chord books write Em 0432, never 0402.
    leaning = sum(
        1 for i in (1, 2) if frets[i] == 0 and frets[i + 1] and frets[i - 1] - frets[i + 1] > 1
    )
    return 2 * fingers + 3 * barre + 2 * max(fretted) + sum(fretted) + 6 * leaning


@lru_cache(maxsize=512)
def fingering(symbol: str) -> Fingering:
    """The most playable voicing of ``symbol``; ties go to the lowest frets, G string first."""
    root, intervals = parse_symbol(symbol)
    tones = frozenset((root + i) % 12 for i in intervals)
    # Sounding exactly the chord's tones on four strings already means: the root is there,
    # a four-note chord has all four, and a triad doubles one tone.
    playable = [
        frets
        for frets in _voicings().get(tones, [])
        if max(frets) - min((f for f in frets if f), default=0) <= 3
    ]
    if not playable:  # pragma: no cover - every supported chord has a voicing below fret 8
        raise MusicError("music_chord_unknown", f"No ukulele voicing found for {symbol!r}.")
    best = min(playable, key=lambda frets: (_cost(frets), frets))
    return Fingering(symbol, best, 1 if max(best) <= 4 else min(f for f in best if f))


# Diagram geometry, in SVG user units.
WIDTH, HEIGHT = 84, 112
LEFT, GAP = 16, 16  # x of the G string, distance between strings
TOP, ROW = 40, 16  # y of the top line, distance between frets
FRETS_SHOWN = 4  # spaces between the 5 horizontal lines


def _chord(f: Fingering, x: int = 0, y: int = 0) -> str:
    name = escape(_NOT_XML.sub("", f.symbol))
    right, bottom = LEFT + 3 * GAP, TOP + FRETS_SHOWN * ROW
    parts = [
        f'<g class="chord" transform="translate({x},{y})">',
        f'<text x="{LEFT + 1.5 * GAP}" y="16" text-anchor="middle" font-size="14"'
        f' font-family="sans-serif">{name}</text>',
    ]
    for i in range(FRETS_SHOWN + 1):
        thick = 4 if i == 0 and f.base == 1 else 1
        parts.append(
            f'<line x1="{LEFT}" y1="{TOP + i * ROW}" x2="{right}" y2="{TOP + i * ROW}"'
            f' stroke="black" stroke-width="{thick}"/>'
        )
    for s in range(4):
        sx = LEFT + s * GAP
        parts.append(f'<line x1="{sx}" y1="{TOP}" x2="{sx}" y2="{bottom}" stroke="black"/>')
    if f.base != 1:
        parts.append(
            f'<text x="{right + 5}" y="{TOP + ROW // 2 + 3}" font-size="9"'
            f' font-family="sans-serif">{f.base}fr</text>'
        )
    for s, fret in enumerate(f.frets):
        sx = LEFT + s * GAP
        if fret == 0:
            parts.append(
                f'<circle cx="{sx}" cy="{TOP - 9}" r="4" fill="none" stroke="black" class="open"/>'
            )
        else:
            cy = TOP + (fret - f.base) * ROW + ROW // 2
            parts.append(f'<circle cx="{sx}" cy="{cy}" r="5" fill="black" class="fretted"/>')
    parts.append("</g>")
    return "\n".join(parts)


def _document(width: int, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}">\n{body}\n</svg>\n'
    )


def diagram_svg(f: Fingering) -> str:
    """One chord diagram as a standalone SVG document."""
    return _document(WIDTH, HEIGHT, _chord(f))


def sheet_svg(symbols: Sequence[str], per_row: int = 6) -> str:
    """Every chord of a song once, in the order the song first uses them, ``per_row`` a row.

    Raises:
        MusicError: a symbol is not one os1 can finger.
        ValueError: ``per_row`` is less than 1.
    """
    if per_row < 1:
        raise ValueError(f"per_row must be at least 1, not {per_row}")
    chords = [fingering(s) for s in dict.fromkeys(symbols)]
    columns, rows = min(len(chords), per_row), -(-len(chords) // per_row)
    body = "\n".join(
        _chord(f, (n % per_row) * WIDTH, (n // per_row) * HEIGHT) for n, f in enumerate(chords)
    )
    return _document(columns * WIDTH, rows * HEIGHT, body)
