"""A piece composed by code from a plan and a seed: harmony with cadences, four voices
led without parallel fifths or octaves, and a melody that states the motif and develops
it (sequence, inversion, retrograde, augmentation) through the form.

Nothing here is random at play time: the same plan and seed give the same piece. The
harmony follows functional progressions (each four-bar phrase ends on a half or an
authentic cadence); the voicing of each chord is the one that moves the voices least,
among those with no parallel fifths or octaves against the chord before; the melody
keeps the motif as spelled when it is stated, and lands on a chord tone on every strong
beat elsewhere.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from music21 import key as m21key
from music21 import roman

from os1.skills.music.motif import Motif, motif_from
from os1.skills.music.plan import PHRASE_BARS, SECTIONS, PiecePlan, checked, phrases_per_section

# progressions of one chord a bar: (ending on a half cadence, ending on an authentic one)
_MAJOR = (
    (("I", "vi", "ii", "V"), ("I", "IV", "I", "V"), ("I", "iii", "IV", "V"), ("I", "ii", "I", "V")),
    (("I", "IV", "V", "I"), ("vi", "ii", "V", "I"), ("I", "ii", "V", "I"), ("I", "vi", "V", "I")),
)
_MINOR = (
    (
        ("i", "iv", "i", "V"),
        ("i", "VI", "iv", "V"),
        ("i", "III", "iv", "V"),
        ("i", "iio", "i", "V"),
    ),
    (("i", "iv", "V", "i"), ("VI", "iio", "V", "i"), ("i", "iio", "V", "i"), ("i", "VI", "V", "i")),
)
PROGRESSIONS = {"major": _MAJOR, "minor": _MINOR}
# a contrasting section starts away from home
AWAY = {"major": ("IV", "vi", "ii"), "minor": ("iv", "VI", "III")}
_CENTRE = {"low": 52, "middle": 60, "high": 67}  # lowest tonic of the melody, by register
_BASS = (38, 55)  # the harmony's lowest voice: D2 to G3
_UPPER = (52, 74)  # its three upper voices: E3 to D5
_START = (45, 57, 62, 66)  # where a first chord's voices sit best: A2, A3, D4, F♯4
_FALLBACK_MOTIFS = ((0, 2, 4, 3), (4, 3, 2, 0), (0, 1, 2, 4), (2, 4, 3, 1), (0, 4, 5, 4))


@dataclass(frozen=True)
class Note:
    """A note of a part: MIDI pitch, start and length in quarter notes."""

    pitch: int
    start: float
    length: float


@dataclass(frozen=True)
class Chord:
    """A chord of the harmony: its roman figure, pitch classes and four voices (bass up),
    and the cadence it closes ("authentic", "half") if it ends a phrase."""

    start: float
    length: float
    figure: str
    tones: frozenset[int]
    voicing: tuple[int, ...]
    cadence: str = ""


@dataclass(frozen=True)
class Section:
    label: str  # "A", "B", "T", "V1", …
    bar: int  # the bar it starts on, from 0
    treatment: str  # what the motif undergoes: "stated", "inverted", …


@dataclass(frozen=True)
class Piece:
    plan: PiecePlan
    seed: int
    motif: Motif
    scale: tuple[int, ...]  # the key's pitch classes, tonic first
    melody: tuple[Note, ...]
    accompaniment: tuple[Note, ...]
    chords: tuple[Chord, ...]
    sections: tuple[Section, ...]
    bars: int

    @property
    def quarters(self) -> float:
        return self.bars * self.plan.beats_per_bar

    @property
    def seconds(self) -> float:
        return self.plan.seconds(self.bars)


def music21_key(plan: PiecePlan) -> m21key.Key:
    return key_of(plan.tonic, plan.mode)


def key_of(tonic: str, mode: str) -> m21key.Key:
    name = tonic.replace("b", "-") if len(tonic) > 1 else tonic
    return m21key.Key(name.lower() if mode == "minor" else name)


def _pc(pitch: object) -> int:
    return int(pitch.pitchClass)  # type: ignore[attr-defined]


# -- harmony --------------------------------------------------------------------------


def _progressions(
    plan: PiecePlan, rng: random.Random, sections: int, per: int
) -> list[list[tuple[list[str], str]]]:
    """Per section, its phrases' figures and cadences."""
    half, authentic = PROGRESSIONS[plan.mode]
    out = []
    for index, label in enumerate(SECTIONS[plan.form][:sections]):
        phrases = []
        for p in range(per):
            last = p == per - 1
            ends_half = not last or (label in ("B", "C") and index < sections - 1 and per == 1)
            figures = list(rng.choice(half if ends_half else authentic))
            if p == 0 and label in ("B", "C"):
                figures[0] = rng.choice(AWAY[plan.mode])
            phrases.append((figures, "half" if ends_half else "authentic"))
        out.append(phrases)
    return out


def _parallels(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """Pairs of voices moving from a perfect fifth or octave (or unison) to the same
    interval, both voices moving: the consecutive fifths and octaves harmony forbids."""
    count = 0
    for i, j in itertools.combinations(range(len(a)), 2):
        before, after = (a[j] - a[i]) % 12, (b[j] - b[i]) % 12
        if before == after and before in (0, 7) and a[i] != b[i] and a[j] != b[j]:
            count += 1
    return count


def _voicings(tones: frozenset[int], root: int, third: int) -> list[tuple[int, int, int]]:
    pitches = [p for p in range(_UPPER[0], _UPPER[1] + 1) if p % 12 in tones]
    return [
        v
        for v in itertools.combinations(pitches, 3)
        if v[1] - v[0] <= 12
        and v[2] - v[1] <= 12
        and third in {p % 12 for p in v}
        and len({p % 12 for p in v} | {root}) >= min(3, len(tones))
    ]


def _cost(chord: tuple[int, ...], before: tuple[int, ...] | None, leading: int) -> float:
    """How far the voices move from ``before`` (from a middle spacing for the first
    chord), a parallel fifth or octave and a doubled leading tone costing far more."""
    if before is None:
        return sum(abs(x - y) for x, y in zip(chord, _START, strict=True))
    moved = sum(abs(x - y) for x, y in zip(chord, before, strict=True))
    doubled = sum(1 for p in chord if p % 12 == leading) > 1
    return moved + 100 * _parallels(before, chord) + 30 * doubled


def voice(
    figures: list[str], k: m21key.Key, before: tuple[int, ...] | None = None
) -> list[tuple[frozenset[int], tuple[int, ...]]]:
    """Each figure's pitch classes and four voices (bass up), each voicing the closest
    move from the one before (``before``: the chord the music comes from, if any) that
    makes no parallel fifth or octave."""
    leading = (_pc(k.tonic) + 11) % 12
    out: list[tuple[frozenset[int], tuple[int, ...]]] = []
    for figure in figures:
        numeral = roman.RomanNumeral(figure, k)
        tones = frozenset(_pc(p) for p in numeral.pitches)
        root, third = _pc(numeral.root()), _pc(numeral.third)
        basses = [p for p in range(_BASS[0], _BASS[1] + 1) if p % 12 == root]
        near = (before or _START)[0]
        bass = min(basses, key=lambda p: abs(p - near))
        uppers = _voicings(tones, root, third)
        above = [upper for upper in uppers if upper[0] > bass]  # the bass stays the lowest
        chords = [(bass, *upper) for upper in above or uppers]
        costs = [_cost(chord, before, leading) for chord in chords]
        before = chords[costs.index(min(costs))]
        out.append((tones, before))
    return out


# -- melody ---------------------------------------------------------------------------


def _fit(lengths: list[float], bar: float) -> tuple[list[float], float]:
    """The motif's lengths halved until it fits two bars, the last note held to the end
    of the bar it ends in; returns the lengths and how many quarters they fill."""
    # eighths first; sixteenths only for a motif too long for eighths (seven notes
    # ornamented into fourteen, in 3/4), where halving down to eighths never ended
    for shortest in (0.5, 0.25):
        while sum(lengths) > 2 * bar and max(lengths) > shortest:
            lengths = [max(shortest, x / 2) for x in lengths]
    total = sum(lengths)
    span = bar if total <= bar else 2 * bar
    lengths[-1] += max(0.0, span - total)
    return lengths, span


def _treated(motif: Motif, treatment: str, shift: int) -> tuple[list[int], list[float]]:
    degrees, lengths = list(motif.degrees), list(motif.lengths)
    if treatment == "inverted":
        degrees = [2 * degrees[0] - d for d in degrees]
    elif treatment == "reversed":
        degrees, lengths = degrees[::-1], lengths[::-1]
        lengths[-1], lengths[0] = max(lengths[-1], 2.0), min(lengths[0], 1.0)
    elif treatment == "augmented":
        lengths = [x * 2 for x in lengths]
    elif treatment == "in sequence" or treatment == "ornamented":
        degrees = [d + 1 for d in degrees]
    if treatment == "ornamented":  # long notes split into two, the second a step above
        split_d, split_l = [], []
        for d, x in zip(degrees, lengths, strict=True):
            if x >= 1.0:
                split_d += [d, d + 1]
                split_l += [x / 2, x / 2]
            else:
                split_d.append(d)
                split_l.append(x)
        degrees, lengths = split_d, split_l
    return [d + shift for d in degrees], lengths


_TREATMENT = {
    "A": "stated",
    "B": "inverted",
    "C": "reversed",
    "T": "stated",
    "V1": "ornamented",
    "V2": "inverted",
    "V3": "augmented",
}


class _Writer:
    """Writes the melody phrase by phrase, in scale degrees turned into pitches with the
    sounding chord in mind."""

    def __init__(self, plan: PiecePlan, scale: tuple[int, ...], rng: random.Random) -> None:
        self.plan, self.scale, self.rng = plan, scale, rng
        centre = _CENTRE[plan.register]
        self.tonic = centre + (scale[0] - centre) % 12
        self.low, self.high = self.tonic - 3, self.tonic + 16  # a twelfth: singable
        self.notes: list[Note] = []

    def _sounded(self, degree: int, chord: Chord) -> int:
        """The degree's pitch class as it sounds over ``chord``: raised a semitone where
        the harmony raises it (minor's leading tone under the dominant)."""
        pc = self.scale[degree % 7]
        raised = (pc + 1) % 12
        if raised in chord.tones and pc not in chord.tones and raised not in self.scale:
            return raised
        return pc

    def pitch(self, degree: int, chord: Chord) -> int:
        pc = self._sounded(degree, chord)
        pitch = self.tonic + (pc - self.scale[0]) % 12 + 12 * (degree // 7)
        while pitch > self.high:
            pitch -= 12
        while pitch < self.low:
            pitch += 12
        return pitch

    def to_chord_tone(self, degree: int, chord: Chord) -> int:
        """The nearest degree (itself first) that is a tone of ``chord``."""
        for step in (0, -1, 1, -2, 2):
            if self._sounded(degree + step, chord) in chord.tones:
                return degree + step
        return degree

    def add(
        self,
        degrees: list[int],
        lengths: list[float],
        start: float,
        chords: list[Chord],
        keep: bool,
    ) -> None:
        bar = self.plan.beats_per_bar
        strong = {0.0, 2.0} if bar == 4.0 else {0.0}
        t = start
        for degree, length in zip(degrees, lengths, strict=True):
            chord = next(c for c in chords if c.start <= t < c.start + c.length)
            if not keep and (t % bar) in strong:
                degree = self.to_chord_tone(degree, chord)
            sounding = length
            if self.plan.articulation == "detached" and length >= 1.0:
                sounding = length - 0.5
            self.notes.append(Note(self.pitch(degree, chord), t, sounding))
            t += length

    def phrase(
        self, motif: Motif, treatment: str, start: float, chords: list[Chord], cadence: str
    ) -> None:
        """One four-bar phrase: the motif (treated), a sequence of it, and a cadence."""
        bar = self.plan.beats_per_bar
        first = chords[0]
        shift = (
            0
            if treatment in ("stated", "augmented", "ornamented")
            else (self.to_chord_tone(motif.degrees[0], first) - motif.degrees[0])
        )
        degrees, lengths = _treated(motif, treatment, shift)
        lengths, span = _fit(lengths, bar)
        self.add(degrees, lengths, start, chords, keep=treatment == "stated")
        t = start + span
        end = start + PHRASE_BARS * bar
        step = self.rng.choice((-1, 1, 2))
        while t < end - bar:
            room = end - bar - t
            seq = [d + step for d in degrees]
            seq_lengths, seq_span = _fit(list(lengths), bar)
            if seq_span > room:
                seq, seq_lengths = self._figure(degrees[-1] + step, room)
                seq_span = room
            if self.plan.density == "sparse":
                seq, seq_lengths = self._merged(seq, seq_lengths)
            self.add(seq, seq_lengths, t, chords, keep=False)
            t += seq_span
            step += self.rng.choice((-1, 1))
        self._cadence(t, end, chords, cadence)

    def _figure(self, degree: int, room: float) -> tuple[list[int], list[float]]:
        """A bar of steps towards the cadence: quarter notes (eighths when busy)."""
        unit = 0.5 if self.plan.density == "busy" else 1.0
        count = max(1, int(room / unit))
        direction = self.rng.choice((-1, 1))
        degrees = [degree + direction * (i if i < 3 else 4 - i) for i in range(count)]
        lengths = [unit] * count
        lengths[-1] += room - unit * count
        return degrees, lengths

    @staticmethod
    def _merged(degrees: list[int], lengths: list[float]) -> tuple[list[int], list[float]]:
        merged_d, merged_l = [], []
        for i in range(0, len(degrees), 2):
            merged_d.append(degrees[i])
            merged_l.append(sum(lengths[i : i + 2]))
        return merged_d, merged_l

    def _cadence(self, t: float, end: float, chords: list[Chord], cadence: str) -> None:
        """The phrase's last bar: an approach, then the tonic (authentic) or a tone of
        the dominant (half), held."""
        goal = 0 if cadence == "authentic" else self.rng.choice((1, 4))
        last = self.notes[-1].pitch if self.notes else self.tonic
        octave = (last - self.tonic) // 12
        approach = goal + (1 if self.rng.random() < 0.5 else -1)
        bar = self.plan.beats_per_bar
        chord = next(c for c in chords if c.start <= end - 0.5 < c.start + c.length)
        before = next(c for c in chords if c.start <= t < c.start + c.length)
        self.notes.append(
            Note(
                self.pitch(self.to_chord_tone(approach, before) + 7 * octave, before),
                t,
                end - bar - t + 1.0 if t < end - bar else 1.0,
            )
        )
        t = max(t + 1.0, end - bar + 1.0) if t < end - bar else t + 1.0
        self.notes.append(Note(self.pitch(goal + 7 * octave, chord), t, end - t))


def _accompaniment(plan: PiecePlan, chords: list[Chord]) -> list[Note]:
    """The harmony played: held chords (sparse), a bass and chords on the beats
    (moderate), or broken chords in eighths (busy)."""
    pulse = 1.5 if plan.meter == "6/8" else 1.0
    notes: list[Note] = []
    for chord in chords:
        bass, *upper = chord.voicing
        if plan.density == "sparse":
            notes += [Note(p, chord.start, chord.length) for p in chord.voicing]
        elif plan.density == "moderate":
            notes.append(Note(bass, chord.start, chord.length))
            beat = chord.start
            while beat < chord.start + chord.length - 1e-9:
                notes += [Note(p, beat, pulse) for p in upper]
                beat += pulse
        else:
            order = [bass, upper[0], upper[1], upper[2], upper[1], upper[0]]
            steps = int(chord.length / 0.5)
            notes += [Note(order[i % len(order)], chord.start + 0.5 * i, 0.5) for i in range(steps)]
    return notes


def compose(plan: PiecePlan, seed: int = 0) -> Piece:
    """The piece ``plan`` asks for, the same for the same ``seed``."""
    plan = checked(plan)
    rng = random.Random(f"{seed}|{plan.tonic}|{plan.mode}|{plan.form}|{plan.motif_word}")
    k = music21_key(plan)
    scale = tuple(_pc(p) for p in k.getPitches()[:7])
    if plan.mode == "minor":  # natural minor: the raised 7th comes only with the harmony
        scale = (*scale[:6], (scale[0] + 10) % 12)
    motif = motif_from(
        plan.motif_word, plan.motif_phrase, plan.tonic[0], list(rng.choice(_FALLBACK_MOTIFS))
    )
    labels = SECTIONS[plan.form]
    per = phrases_per_section(plan)
    bar = plan.beats_per_bar
    progressions = _progressions(plan, rng, len(labels), per)
    figures = [f for section in progressions for phrase, _ in section for f in phrase]
    voiced = voice(figures, k)
    cadences = [c for section in progressions for _, c in section]
    chords = [
        Chord(
            i * bar,
            bar,
            figure,
            tones,
            voicing,
            cadences[i // PHRASE_BARS] if i % PHRASE_BARS == PHRASE_BARS - 1 else "",
        )
        for i, (figure, (tones, voicing)) in enumerate(zip(figures, voiced, strict=True))
    ]
    writer = _Writer(plan, scale, rng)
    sections, phrase_index = [], 0
    seen: set[str] = set()
    for s, label in enumerate(labels):
        treatment = _TREATMENT[label]
        if label == "A" and label in seen and s == len(labels) - 1 and per > 1:
            treatment = "augmented"  # the last return grows broader
        seen.add(label)
        sections.append(Section(label, phrase_index * PHRASE_BARS, treatment))
        for p in range(per):
            start = phrase_index * PHRASE_BARS * bar
            here = chords[phrase_index * PHRASE_BARS : (phrase_index + 1) * PHRASE_BARS]
            writer.phrase(
                motif, treatment if p == 0 else "in sequence", start, here, here[-1].cadence
            )
            phrase_index += 1
    return Piece(
        plan,
        seed,
        motif,
        scale,
        tuple(writer.notes),
        tuple(_accompaniment(plan, chords)),
        tuple(chords),
        tuple(sections),
        phrase_index * PHRASE_BARS,
    )
