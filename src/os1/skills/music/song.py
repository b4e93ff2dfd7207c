"""A song made by code from its lyrics and a plan: chords a bar, and a melody fitted to
the words, one note a syllable, the stressed ones on the strong beats.

The form is verse, chorus, verse, chorus; each section is four lines, each line two bars
of 4/4, so a section is two four-bar phrases (the first closing on the dominant, the
second on the tonic). A "happier" (or darker) chorus moves to the relative major (or
minor), which shares the verse's key signature, as so many songs do.

Fitting the words: each line's syllables are placed on a grid of eighths (sixteenths
for a crowded line) by dynamic programming, weighing a stressed syllable off the beat
heavily, an unstressed one on the downbeat lightly, and odd gaps between notes; the
last syllable is held. The melody keeps to one singable span (an octave and a fifth),
puts chord tones under stressed syllables, steps between them, and closes each section
on the tonic. The same lyrics, plan and seed give the same song.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from music21 import key as m21key
from music21 import roman

from os1.errors import MusicError
from os1.skills.music.compose import AWAY, PROGRESSIONS, Chord, Note, key_of, voice
from os1.skills.music.plan import LINES, Lyrics, SongPlan, checked_song
from os1.skills.music.words import Syllable, scan_lines

LINE_BARS = 2
BEATS = 4  # a bar of 4/4
MAX_SYLLABLES = 32  # in a line: two bars of sixteenths
SPAN = 19  # semitones the melody may cover: an octave and a fifth
_LOWEST = {"low": 50, "middle": 55, "high": 60}  # the lowest the tonic sits, by register
EIGHTHS_UP_TO = 12  # syllables in a line sung in eighths; more are sung in sixteenths


@dataclass(frozen=True)
class SungNote:
    pitch: int
    start: float  # quarter notes from the song's start
    length: float
    syllable: Syllable


@dataclass(frozen=True)
class SongLine:
    section: str
    text: str
    start: float
    notes: tuple[SungNote, ...]


@dataclass(frozen=True)
class Song:
    plan: SongPlan
    lyrics: Lyrics
    lines: tuple[SongLine, ...]
    chords: tuple[Chord, ...]  # one a bar
    symbols: tuple[str, ...]  # each chord's name, as a player reads it: "F#m", "Bb", "E7"
    scales: tuple[tuple[int, ...], ...]  # each section's pitch classes, tonic first
    bars: int

    @property
    def melody(self) -> tuple[Note, ...]:
        return tuple(Note(n.pitch, n.start, n.length) for line in self.lines for n in line.notes)

    @property
    def seconds(self) -> float:
        return self.bars * BEATS * 60.0 / self.plan.tempo


# -- the words' rhythm ------------------------------------------------------------------


def _strength(slot: int, per_beat: int) -> int:
    """3 on the downbeat, 2 on beat three, 1 on the other beats, 0 off the beat."""
    if slot % (BEATS * per_beat) == 0:
        return 3
    if slot % (BEATS * per_beat) == 2 * per_beat:
        return 2
    return 1 if slot % per_beat == 0 else 0


# cost of a syllable of stress 0/1/2 on a slot of strength 0..3
_PLACE = {1: (4.0, 1.0, 0.0, 0.0), 2: (2.0, 0.5, 0.0, 0.0), 0: (0.0, 0.2, 0.7, 1.5)}


def _gap_cost(gap: int, per_beat: int) -> float:
    beats = gap / per_beat
    if beats in (0.5, 1.0):
        return 0.0
    if beats in (1.5, 2.0):
        return 0.3
    if beats < 0.5:
        return 0.6
    return 1.5 + beats


@cache
def fit_rhythm(stresses: tuple[int, ...]) -> tuple[tuple[float, float], ...]:
    """Each syllable's start and length (quarter notes from the line's start) in a line
    of two bars, stressed syllables on the beats where they can be.

    Raises:
        MusicError: more syllables than two bars of sixteenths hold.
    """
    n = len(stresses)
    if n == 0:
        return ()
    if n > MAX_SYLLABLES:
        raise MusicError(
            "music_line_long",
            f"A line of {n} syllables cannot be sung in {LINE_BARS} bars.",
            f"Keep each line under {MAX_SYLLABLES // 2} syllables or so; split long ones.",
        )
    per_beat = 2 if n <= EIGHTHS_UP_TO else 4
    slots = BEATS * LINE_BARS * per_beat
    inf = float("inf")
    # best[i][s]: least cost with syllable i on slot s; came[i][s]: slot of syllable i-1
    best = [[inf] * slots for _ in range(n)]
    came = [[0] * slots for _ in range(n)]
    for s in range(slots - n + 1):
        best[0][s] = _PLACE[stresses[0]][_strength(s, per_beat)] + 0.25 * s / per_beat
    for i in range(1, n):
        place = _PLACE[stresses[i]]
        for s in range(i, slots - (n - 1 - i)):
            here = place[_strength(s, per_beat)]
            for r in range(i - 1, s):
                if best[i - 1][r] == inf:
                    continue
                cost = best[i - 1][r] + here + _gap_cost(s - r, per_beat)
                if stresses[i - 1] == 1 and s - r < per_beat:  # a stress wants some length
                    cost += 0.4
                if cost < best[i][s]:
                    best[i][s], came[i][s] = cost, r
    # the last syllable is held: best on a strong beat with a beat or more left
    end = [
        best[n - 1][s]
        + (2.0 if slots - s < per_beat else 0.0)
        + (0.8 if slots - s <= per_beat else 0.0)
        + 0.3 * max(0, slots // 2 - s)
        for s in range(slots)
    ]
    last = end.index(min(end))
    placed = [last]
    for i in range(n - 1, 0, -1):
        placed.append(came[i][placed[-1]])
    placed.reverse()
    unit = 1.0 / per_beat
    lengths = [(b - a) * unit for a, b in itertools.pairwise(placed)]
    lengths.append(max(unit, (slots - placed[-1]) * unit - 0.5))  # held, with a breath
    return tuple((s * unit, length) for s, length in zip(placed, lengths, strict=True))


def stress_on_beats(onsets: Sequence[tuple[float, int]]) -> float:
    """Share of stressed syllables (start in quarter notes, stress) sung on a beat."""
    stressed = [start for start, stress in onsets if stress == 1]
    if not stressed:
        return 1.0
    return sum(1 for start in stressed if abs(start - round(start)) < 1e-9) / len(stressed)


# -- harmony ----------------------------------------------------------------------------


def section_key(plan: SongPlan, label: str) -> m21key.Key:
    """The verse's key, or the chorus's: the relative major or minor when its mode
    differs (the same key signature, so a happier chorus still sits with the verse)."""
    k = key_of(plan.tonic, plan.mode)
    if label != "Chorus" or plan.chorus == plan.mode:
        return k
    return k.relative


@cache
def symbol_of(figure: str, tonic: str, mode: str) -> str:
    """The chord's name as a player reads it: "F#m", "Bb", "E7", "Bdim"."""
    numeral = roman.RomanNumeral(figure, key_of(tonic, mode))
    root = numeral.root().name.replace("-", "b")
    if numeral.isDominantSeventh():
        return root + "7"
    return root + {"minor": "m", "diminished": "dim", "augmented": "aug"}.get(numeral.quality, "")


def _figures(plan: SongPlan, label: str, mode: str, rng: random.Random) -> tuple[list[str], str]:
    half, authentic = PROGRESSIONS[mode]
    first, second = list(rng.choice(half)), list(rng.choice(authentic))
    if label == "Chorus":
        first[0] = rng.choice(AWAY[mode])
    if second[-2] == "V":
        second[-2] = "V7"  # the closing dominant, as a player would strum it
    return first + second, mode


def _tonic_name(k: m21key.Key) -> str:
    return k.tonic.name.replace("-", "b")


# -- melody -----------------------------------------------------------------------------


def _pitches(scale: tuple[int, ...], chord: Chord, low: int, high: int) -> list[int]:
    """The key's pitches between ``low`` and ``high``, with minor's leading tone raised
    where the chord raises it."""
    tones = set(scale)
    for pc in scale:
        raised = (pc + 1) % 12
        if raised in chord.tones and pc not in chord.tones and raised not in scale:
            tones = (tones - {pc}) | {raised}
    return [p for p in range(low, high + 1) if p % 12 in tones]


class _Singer:
    def __init__(self, plan: SongPlan, rng: random.Random) -> None:
        floor = _LOWEST[plan.register]
        tonic = floor + (key_of(plan.tonic, plan.mode).tonic.pitchClass - floor) % 12
        self.low = tonic - 5  # the dominant below: a twelfth up to the ninth above
        self.high = self.low + SPAN
        self.rng = rng

    def line(
        self,
        stresses: tuple[int, ...],
        rhythm: tuple[tuple[float, float], ...],
        chords: Sequence[Chord],
        scale: tuple[int, ...],
        start: float,
        lift: int,
        ending: str,
        previous: int | None,
    ) -> list[int]:
        """The pitches of one line: an arch around ``lift`` semitones above the range's
        floor, chord tones under stresses and strong beats, steps between."""
        n = len(rhythm)
        peak = self.rng.choice((3, 4, 5, 7))
        out: list[int] = []
        for i, (onset, _length) in enumerate(rhythm):
            last = i == n - 1
            # the last note is held into the line's last chord: it sings the cadence
            t = start + (LINE_BARS * BEATS - 1e-6 if last else onset)
            chord = next((c for c in chords if c.start <= t < c.start + c.length), chords[-1])
            scale_pitches = _pitches(scale, chord, self.low, self.high)
            strong = stresses[i] == 1 or onset % 2 == 0 or last
            candidates = [p for p in scale_pitches if p % 12 in chord.tones] if strong else []
            if last:  # and sounds in key over the chord it starts on, too
                candidates = [p for p in candidates if p % 12 in scale] or candidates
            if last and ending == "home":
                candidates = [p for p in scale_pitches if p % 12 == scale[0]]
            candidates = candidates or scale_pitches
            arch = peak * (1 - abs(2 * (i / max(1, n - 1)) - 1))
            target = self.low + 5 + lift + arch  # from the tonic up
            before = out[-1] if out else previous

            reach = 7 if strong else 3  # a leap beyond it is hard to sing
            out.append(min(candidates, key=lambda p: _sung_cost(p, target, before, reach)))
        return out


def _sung_cost(p: int, target: float, before: int | None, reach: int) -> float:
    leap = abs(p - before) if before is not None else 0
    too_far = max(0, leap - reach) * 2.0
    return abs(p - target) * 0.6 + leap * 0.25 + too_far + (0.8 if leap == 0 else 0)


def compose_song(lyrics: Lyrics, plan: SongPlan) -> Song:
    """The song the lyrics and plan make, the same every time for the same seed.

    Raises:
        MusicError: a line too long to sing, or a plan that cannot be sung.
    """
    plan = checked_song(plan)
    rng = random.Random(f"{plan.seed}|{plan.tonic}|{plan.mode}|{plan.chorus}|{lyrics.title}")
    texts = [t for _, lines in lyrics.sections() for t in lines]
    scanned = dict(zip(texts, scan_lines(texts), strict=True))
    singer = _Singer(plan, rng)
    bar = float(BEATS)
    chords: list[Chord] = []
    symbols: list[str] = []
    scales: list[tuple[int, ...]] = []
    lines: list[SongLine] = []
    made: dict[str, tuple[list[str], list[list[int]]]] = {}  # a chorus sung again is the same
    previous: int | None = None
    for label, section in lyrics.sections():
        k = section_key(plan, label)
        mode = "minor" if k.mode == "minor" else "major"
        tonic = _tonic_name(k)
        scale = tuple(int(p.pitchClass) for p in k.getPitches()[:7])
        if mode == "minor":
            scale = (*scale[:6], (scale[0] + 10) % 12)
        scales.append(scale)
        if label not in made:
            figures, _ = _figures(plan, label, mode, rng)
            made[label] = (figures, [])
        figures, sung = made[label]
        first_bar = len(chords)
        before = chords[-1].voicing if chords else None  # led on from the section before
        for i, (figure, (tones, voicing)) in enumerate(
            zip(figures, voice(figures, k, before), strict=True)
        ):
            cadence = {3: "half", 7: "authentic"}.get(i, "")
            chords.append(Chord((first_bar + i) * bar, bar, figure, tones, voicing, cadence))
            symbols.append(symbol_of(figure, tonic, mode))
        here = chords[first_bar:]
        for index, text in enumerate(section):
            line = scanned[text]
            stresses = tuple(s.stress for s in line.syllables)
            rhythm = fit_rhythm(stresses)
            start = (first_bar + index * LINE_BARS) * bar
            if len(sung) <= index:
                lift = (5 if label == "Chorus" else 0) + (0, 2, 3, 0)[index]
                ending = "home" if index == LINES - 1 else "chord"
                sung.append(
                    singer.line(stresses, rhythm, here, scale, start, lift, ending, previous)
                )
            pitches = sung[index]
            notes = tuple(
                SungNote(p, start + onset, length, syllable)
                for p, (onset, length), syllable in zip(
                    pitches, rhythm, line.syllables, strict=True
                )
            )
            if notes:
                previous = notes[-1].pitch
            lines.append(SongLine(label, text, start, notes))
    return Song(
        plan, lyrics, tuple(lines), tuple(chords), tuple(symbols), tuple(scales), len(chords)
    )
