"""Checks of a piece against the rules of harmony, as shares a benchmark can compare.

- notes in key: a note counts when its pitch class is in the key's scale, or, being
  chromatic, in the chord sounding under it (the raised leading tone over the dominant
  in minor is explained; a stray C♯ in C major is not);
- cadences: a phrase closes on one when its last chord is the dominant (half) or the
  dominant goes to the tonic (authentic) and the melody ends on a tone of that chord;
- parallel fifths and octaves between any two voices of the harmony, per 100 chord
  changes;
- range: the melody's span in semitones (a song's must stay within a twelfth, 19).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from os1.skills.music.compose import Chord, Note, Piece, _parallels
from os1.skills.music.song import BEATS, Song

SINGABLE = 19  # semitones: an octave and a fifth


@dataclass(frozen=True)
class TheoryReport:
    in_key: float  # share of notes in the key or explained by the harmony under them
    cadences: float  # share of phrases that end on a cadence
    parallels_per_100: float  # parallel fifths/octaves per 100 chord changes
    melody_range: int  # semitones from the lowest melody note to the highest


def _sounding(chords: tuple[Chord, ...] | list[Chord], t: float) -> Chord:
    return next((c for c in chords if c.start <= t < c.start + c.length), chords[-1])


def in_key(notes: list[Note], chords: list[Chord], scale: tuple[int, ...]) -> float:
    if not notes:
        return 0.0
    fine = sum(
        1
        for n in notes
        if n.pitch % 12 in scale or n.pitch % 12 in _sounding(chords, n.start).tones
    )
    return fine / len(notes)


def _root(chord: Chord) -> int:
    return min(chord.voicing) % 12  # the bass carries the root


def cadences(
    melody: list[Note], chords: list[Chord], scale: tuple[int, ...], phrase_bars: int = 4
) -> float:
    """Share of four-bar phrases closing on a half or authentic cadence."""
    tonic, dominant = scale[0], scale[4]
    phrases = len(chords) // phrase_bars
    closed = 0
    for p in range(phrases):
        last, before = chords[(p + 1) * phrase_bars - 1], chords[(p + 1) * phrase_bars - 2]
        half = _root(last) == dominant
        authentic = _root(before) == dominant and _root(last) == tonic
        end = last.start + last.length
        sung = [n for n in melody if n.start < end]
        lands = bool(sung) and sung[-1].pitch % 12 in last.tones
        closed += (half or authentic) and lands
    return closed / phrases if phrases else 0.0


def parallels_per_100(chords: list[Chord]) -> float:
    changes = [(a, b) for a, b in itertools.pairwise(chords) if a.voicing != b.voicing]
    if not changes:
        return 0.0
    return 100.0 * sum(_parallels(a.voicing, b.voicing) for a, b in changes) / len(changes)


def melody_range(melody: list[Note]) -> int:
    pitches = [n.pitch for n in melody]
    return max(pitches) - min(pitches) if pitches else 0


def check(piece: Piece) -> TheoryReport:
    chords = list(piece.chords)
    notes = list(piece.melody) + list(piece.accompaniment)
    return TheoryReport(
        in_key(notes, chords, piece.scale),
        cadences(list(piece.melody), chords, piece.scale),
        parallels_per_100(chords),
        melody_range(list(piece.melody)),
    )


def random_walk(piece: Piece, seed: int) -> TheoryReport:
    """The baseline: as many bars, a melody that walks by random semitone steps from the
    tonic, and random triads of the key in close root position under it."""
    rng = random.Random(seed)
    bar = piece.plan.beats_per_bar
    start = piece.melody[0].pitch
    melody, t, pitch = [], 0.0, start
    while t < piece.quarters:
        melody.append(Note(pitch, t, 1.0))
        pitch = max(start - 7, min(start + 14, pitch + rng.choice((-2, -1, 1, 2))))
        t += 1.0
    chords = []
    for b in range(piece.bars):
        degree = rng.randrange(7)
        root = 48 + piece.scale[degree]
        third = 48 + piece.scale[(degree + 2) % 7] + (12 if degree + 2 > 6 else 0)
        fifth = 48 + piece.scale[(degree + 4) % 7] + (12 if degree + 4 > 6 else 0)
        voicing = (root - 12, root, third, fifth)
        chords.append(
            Chord(b * bar, bar, str(degree + 1), frozenset(p % 12 for p in voicing), voicing)
        )
    return TheoryReport(
        in_key(melody, chords, piece.scale),
        cadences(melody, chords, piece.scale),
        parallels_per_100(chords),
        melody_range(melody),
    )


def check_song(song: Song) -> TheoryReport:
    """The checks of ``check`` for a song, each section against its own key (a chorus
    may turn to the relative major or minor)."""
    melody, chords = list(song.melody), list(song.chords)
    per = len(chords) // len(song.scales)
    fine, closed = 0.0, 0.0
    for index, scale in enumerate(song.scales):
        start, end = index * per * BEATS, (index + 1) * per * BEATS
        here = chords[index * per : (index + 1) * per]
        notes = [n for n in melody if start <= n.start < end]
        fine += in_key(notes, here, scale) * len(notes)
        closed += cadences(notes, here, scale)
    return TheoryReport(
        fine / len(melody) if melody else 0.0,
        closed / len(song.scales),
        parallels_per_100(chords),
        melody_range(melody),
    )
