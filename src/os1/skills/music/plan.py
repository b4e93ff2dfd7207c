"""The musical decisions behind a piece, checked before anything is composed.

A plan is what the model chooses (or a person overrides): key and mode, tempo, meter,
form, register, density, articulation, instrument, and the words a motif comes from.
Everything is bounded here, so an absurd value ("a tempo of 2,000", "0 bars") is told
plainly before a note is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from os1.errors import MusicError

Mode = Literal["major", "minor"]
Meter = Literal["3/4", "4/4", "6/8"]
Form = Literal["AABA", "ABA", "rondo", "theme and variations"]
Register = Literal["low", "middle", "high"]
Density = Literal["sparse", "moderate", "busy"]
Articulation = Literal["legato", "detached"]
# the choices of each, for the checks here and the model's schema
MODES: tuple[str, ...] = get_args(Mode)
REGISTERS: tuple[str, ...] = get_args(Register)
DENSITIES: tuple[str, ...] = get_args(Density)
ARTICULATIONS: tuple[str, ...] = get_args(Articulation)

TONICS = ("C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B")
METERS: tuple[Meter, ...] = ("3/4", "4/4", "6/8")
FORMS: tuple[Form, ...] = ("AABA", "ABA", "rondo", "theme and variations")
# the sections each form is made of, in order
SECTIONS: dict[str, tuple[str, ...]] = {
    "AABA": ("A", "A", "B", "A"),
    "ABA": ("A", "B", "A"),
    "rondo": ("A", "B", "A", "C", "A"),
    "theme and variations": ("T", "V1", "V2", "V3"),
}
# General MIDI programs (0-based) of the instruments a piece may be written for
INSTRUMENTS: dict[str, int] = {
    "piano": 0,
    "music box": 10,
    "nylon guitar": 24,
    "harp": 46,
    "strings": 48,
    "cello": 42,
    "violin": 40,
    "flute": 73,
    "clarinet": 71,
    "oboe": 68,
    "french horn": 60,
    "choir": 52,
}
TEMPO_RANGE = (40, 200)  # beats per minute a piece may take
SECONDS_RANGE = (30.0, 120.0)  # how long a piece lasts
BAR_RANGE = (8, 128)
PHRASE_BARS = 4
FORM = ("Verse 1", "Chorus", "Verse 2", "Chorus")  # a song's
LINES = 4  # lines a section of a song


@dataclass(frozen=True)
class PiecePlan:
    """What to compose. ``motif_word`` is spelled in notes (a name, a place); the rhythm
    of ``motif_phrase`` (words the person said) gives the motif its rhythm. ``bars`` of
    None lets the form and tempo decide the length. ``reasons`` says why each choice was
    made, in plain words, keyed by the choice's name."""

    tonic: str = "C"
    mode: Mode = "major"
    tempo: int = 90
    meter: Meter = "4/4"
    form: Form = "ABA"
    register: Register = "middle"
    density: Density = "moderate"
    articulation: Articulation = "legato"
    instrument: str = "piano"
    motif_word: str = ""
    motif_phrase: str = ""
    bars: int | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def beats_per_bar(self) -> float:
        """Quarter notes in a bar."""
        return {"3/4": 3.0, "4/4": 4.0, "6/8": 3.0}[self.meter]

    def seconds(self, bars: int) -> float:
        """How long ``bars`` bars last at this tempo (6/8's beat is a dotted quarter)."""
        quarter = 60.0 / self.tempo / (1.5 if self.meter == "6/8" else 1.0)
        return bars * self.beats_per_bar * quarter


def _name(value: str) -> str:
    return value.strip()[:1].upper() + value.strip()[1:].lower() if value.strip() else ""


def checked(plan: PiecePlan, *, length: bool = True) -> PiecePlan:
    """``plan`` with its names tidied, or a MusicError saying which value is out of
    bounds and what would do. ``length=False`` leaves out whether its bars at its tempo
    last 30–120 s (for a plan whose tempo is still to be chosen)."""
    tonic = _name(plan.tonic).replace("♯", "#").replace("♭", "b")
    if tonic not in TONICS:
        raise MusicError(
            "music_key", f"'{plan.tonic}' is not a key.", f"Name one of {', '.join(TONICS)}."
        )
    low, high = TEMPO_RANGE
    if not low <= plan.tempo <= high:
        raise MusicError(
            "music_tempo",
            f"A tempo of {plan.tempo} beats a minute cannot be played.",
            f"Choose one from {low} (very slow) to {high} (very fast).",
        )
    for name, value, allowed in (
        ("mode", plan.mode, MODES),
        ("meter", plan.meter, METERS),
        ("form", plan.form, FORMS),
        ("register", plan.register, REGISTERS),
        ("density", plan.density, DENSITIES),
        ("articulation", plan.articulation, ARTICULATIONS),
        ("instrument", plan.instrument, tuple(INSTRUMENTS)),
    ):
        if value not in allowed:
            raise MusicError(
                f"music_{name}",
                f"'{value}' is not a {name} os1 can write.",
                f"Choose one of: {', '.join(allowed)}.",
            )
    if plan.bars is not None:
        bars_low, bars_high = BAR_RANGE
        if not bars_low <= plan.bars <= bars_high:
            raise MusicError(
                "music_bars",
                f"A piece of {plan.bars} bars cannot be written.",
                f"Ask for {bars_low} to {bars_high} bars, or leave the length to the form.",
            )
        seconds = plan.seconds(plan.bars)
        if length and not SECONDS_RANGE[0] <= seconds <= SECONDS_RANGE[1]:
            raise MusicError(
                "music_length",
                f"{plan.bars} bars at {plan.tempo} beats a minute last {seconds:.0f} s; a "
                f"piece lasts {SECONDS_RANGE[0]:.0f} to {SECONDS_RANGE[1]:.0f} s.",
                "Ask for more or fewer bars, or another tempo.",
            )
    return replace(plan, tonic=tonic)


def phrases_per_section(plan: PiecePlan) -> int:
    """How many four-bar phrases each section of the form holds: as many as make the
    piece last closest to the middle of 30–120 s, at least one, or as the bars asked."""
    sections = len(SECTIONS[plan.form])
    if plan.bars:
        return max(1, round(plan.bars / PHRASE_BARS / sections))
    best = min(
        range(1, 9),
        key=lambda n: (
            abs(plan.seconds(n * PHRASE_BARS * sections) - 60.0)
            + (
                1000.0
                if not SECONDS_RANGE[0]
                <= plan.seconds(n * PHRASE_BARS * sections)
                <= SECONDS_RANGE[1]
                else 0.0
            )
        ),
    )
    return best


@dataclass(frozen=True)
class SongPlan:
    """What the music of a song is: key, the chorus's mode, tempo, register and seed."""

    tonic: str = "C"
    mode: Mode = "major"
    chorus_mode: Mode | None = None  # None: the verse's mode
    tempo: int = 92
    register: Register = "middle"
    seed: int = 0
    reasons: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def chorus(self) -> Mode:
        return self.chorus_mode or self.mode


@dataclass(frozen=True)
class Lyrics:
    title: str
    verses: tuple[tuple[str, ...], ...]  # verse 1, verse 2
    chorus: tuple[str, ...]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Lyrics:
        """The lyrics from ``dataclasses.asdict`` of them, read back from JSON."""
        verses = tuple(tuple(str(x) for x in v) for v in data["verses"])
        return cls(str(data["title"]), verses, tuple(str(x) for x in data["chorus"]))

    def sections(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(label, self.stanza(label)) for label in FORM]

    def stanza(self, name: str) -> tuple[str, ...]:
        """The lines of "Verse 1", "Chorus" or "Verse 2" (any case)."""
        name = name.lower()
        return self.chorus if name == "chorus" else self.verses[int(name[-1]) - 1]

    def with_stanza(self, name: str, lines: tuple[str, ...]) -> Lyrics:
        name = name.lower()
        if name == "chorus":
            return Lyrics(self.title, self.verses, lines)
        verses = (lines, self.verses[1]) if name == "verse 1" else (self.verses[0], lines)
        return Lyrics(self.title, verses, self.chorus)


def checked_song(plan: SongPlan) -> SongPlan:
    """Raises: MusicError: a key, tempo or register that cannot be sung."""
    low, high = TEMPO_RANGE
    if not low <= plan.tempo <= high:
        raise MusicError(
            "music_tempo",
            f"A tempo of {plan.tempo} beats a minute cannot be sung.",
            f"Choose one from {low} (very slow) to {high} (very fast).",
        )
    if plan.tonic not in TONICS or plan.mode not in ("major", "minor"):
        raise MusicError(
            "music_key",
            f"{plan.tonic} {plan.mode} is not a key a song can be in.",
            f"Choose a key such as G major or A minor (tonics: {', '.join(TONICS)}).",
        )
    if plan.register not in REGISTERS:
        raise MusicError(
            "music_register", f"There is no register {plan.register!r}.", "low, middle or high."
        )
    return plan
