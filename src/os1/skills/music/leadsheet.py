"""A song written out: the lead sheet (melody, words under the notes, chord names over
them) engraved by LilyPond, a guide track (the melody sung over strummed chords and a
bass), the words with chords above them as text, and the ukulele diagrams of every chord.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

from music21 import chord as m21chord
from music21 import expressions, harmony, metadata, meter, stream, tempo
from music21 import instrument as m21instrument
from music21 import note as m21note

from os1.skills.music.compose import key_of
from os1.skills.music.plan import LINES
from os1.skills.music.score import Written, spelled, write_scores
from os1.skills.music.song import BEATS, LINE_BARS, Song, SongLine, section_key
from os1.skills.music.ukulele import fingering, sheet_svg

UKULELE = (67, 60, 64, 69)  # G4 C4 E4 A4: the re-entrant tuning
_VOICE, _STRUM, _BASS = 53, 24, 32  # General MIDI: voice oohs, nylon guitar, acoustic bass


def _figure(symbol: str) -> str:
    """A chord name as music21 spells it (B- for B♭)."""
    return symbol[0] + "-" + symbol[2:] if symbol[1:2] == "b" else symbol


def _head(song: Song, part: stream.Part) -> None:
    part.insert(0, key_of(song.plan.tonic, song.plan.mode))
    part.insert(0, meter.TimeSignature(f"{BEATS}/4"))
    part.insert(0, tempo.MetronomeMark(number=song.plan.tempo))


def lead_sheet(song: Song) -> stream.Score:
    """The melody with its words and chord names, as a singer reads it."""
    score = stream.Score()
    score.insert(0, metadata.Metadata(title=song.lyrics.title, composer="os1 and you"))
    part = stream.Part()
    part.partName = "Voice"
    _head(song, part)
    for chord, symbol in zip(song.chords, song.symbols, strict=True):
        part.insert(chord.start, harmony.ChordSymbol(_figure(symbol)))
    keys = [section_key(song.plan, line.section) for line in song.lines[::LINES]]
    for i, line in enumerate(song.lines):
        if i % LINES == 0:
            part.insert(line.start, expressions.RehearsalMark(line.section))
        before_end = True
        k = keys[i // LINES]
        for n in line.notes:
            sung = m21note.Note(spelled(n.pitch, k), quarterLength=n.length)
            sung.addLyric(n.syllable.text)
            sung.lyrics[0].syllabic = _syllabic(before_end, n.syllable.word_end)
            before_end = n.syllable.word_end
            part.insert(n.start, sung)
    part.makeRests(fillGaps=True, inPlace=True)
    score.insert(0, part)
    return score.makeNotation()


def _syllabic(word_began: bool, word_ends: bool) -> Literal["single", "begin", "end", "middle"]:
    if word_began:
        return "single" if word_ends else "begin"
    return "end" if word_ends else "middle"


def guide_track(song: Song) -> stream.Score:
    """The melody (voice oohs) over the chords strummed on each beat as a ukulele holds
    them, with a bass on beats one and three."""
    score = stream.Score()
    voice, strum, bass = stream.Part(), stream.Part(), stream.Part()
    for part, program in ((voice, _VOICE), (strum, _STRUM), (bass, _BASS)):
        part.insert(0, m21instrument.instrumentFromMidiProgram(program))
        _head(song, part)
    for n in song.melody:
        voice.insert(n.start, m21note.Note(n.pitch, quarterLength=n.length))
    for chord, symbol in zip(song.chords, song.symbols, strict=True):
        frets = fingering(symbol).frets
        held = sorted(open_ + fret for open_, fret in zip(UKULELE, frets, strict=True))
        for beat in range(BEATS):
            strum.insert(chord.start + beat, _strummed(held))
        root = min(chord.voicing)
        for beat in (0, 2):
            bass.insert(chord.start + beat, m21note.Note(36 + root % 12, quarterLength=2))
    for part in (voice, strum, bass):
        part.makeRests(fillGaps=True, inPlace=True)
        score.insert(0, part)
    return score


def _strummed(pitches: Sequence[int]) -> m21chord.Chord:
    return m21chord.Chord(list(pitches), quarterLength=1)


def _chord_line(song: Song, line: SongLine) -> str:
    """The chord names over ``line``'s words, each over the syllable its bar starts on."""
    first_bar = int(line.start // BEATS)
    offsets = _syllable_offsets(line)
    marks = ""
    for b in range(LINE_BARS):
        start = (first_bar + b) * BEATS
        at = next(
            (offsets[i] for i, n in enumerate(line.notes) if n.start >= start - 1e-9),
            len(line.text),
        )
        at = max(at, len(marks) + 1 if marks else 0)
        marks = marks.ljust(at) + song.symbols[first_bar + b]
    return marks.rstrip()


def _syllable_offsets(line: SongLine) -> list[int]:
    offsets, cursor, lowered = [], 0, line.text.lower()
    for n in line.notes:
        found = lowered.find(n.syllable.text.lower(), cursor)
        if found < 0:
            found = cursor
        offsets.append(found)
        cursor = found + len(n.syllable.text)
    return offsets


def words_with_chords(song: Song) -> str:
    """The song as text: title, key and tempo, and each section's lines with the chords
    over them."""
    plan = song.plan
    key = f"{plan.tonic} {plan.mode}".replace("b ", "♭ ").replace("#", "♯")
    if plan.chorus != plan.mode:
        chorus = key_of(plan.tonic, plan.mode).relative
        key += f", the chorus in {chorus.tonic.name.replace('-', '♭')} {chorus.mode}"
    out = [song.lyrics.title, f"{key} · {plan.tempo} beats a minute · {BEATS}/4", ""]
    written: set[str] = set()
    for i, line in enumerate(song.lines):
        if i % LINES == 0:
            out.append(f"[{line.section}]" + (" (again)" if line.section in written else ""))
            written.add(line.section)
        out += [_chord_line(song, line), line.text]
        if i % LINES == LINES - 1:
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_song(
    song: Song,
    destination: Path,
    *,
    why: str = "",
    soundfont: Path | None = None,
    ogg: bool = False,
) -> Written:
    """Writes ``song`` into ``destination``: ``song.txt``, ``chords.svg``, ``lead.pdf``
    (with ``lead.musicxml``), ``song.mid`` and ``song.wav`` (``song.ogg`` if ``ogg``),
    and ``why.txt`` if there is a ``why``.

    Raises:
        MusicError: the destination cannot be written to.
    """
    symbols = list(dict.fromkeys(song.symbols))
    written = write_scores(
        destination,
        ("song", guide_track(song)),
        ("lead", lead_sheet(song)),
        extra={
            "song.txt": words_with_chords(song),
            "chords.svg": sheet_svg(symbols),
            **({"why.txt": why} if why else {}),
        },
        soundfont=soundfont,
        ogg=ogg,
    )
    kinds = {"song.txt": "txt", "chords.svg": "svg", "why.txt": "why"}
    return replace(written, files={kinds.get(k, k): path for k, path in written.files.items()})
