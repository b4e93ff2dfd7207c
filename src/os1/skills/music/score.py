"""A piece written out: MIDI and MusicXML (music21), audio (FluidSynth with a General
MIDI soundfont: WAV, and Ogg Vorbis for the web) and engraved sheet music (MusicXML →
``musicxml2ly`` → LilyPond → PDF).

Everything is written in a hidden folder beside the destination and moved in only when
done, so a failure leaves no half-written file. A missing synthesizer, soundfont or
engraver costs only its own outputs: the others are still made, and the missing one is
named with what to install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from music21 import chord as m21chord
from music21 import duration, instrument, metadata, meter, stream, tempo
from music21 import key as m21key
from music21 import note as m21note
from music21 import pitch as m21pitch

from os1.errors import MusicError
from os1.skills.music.compose import Note, Piece, music21_key
from os1.skills.music.plan import INSTRUMENTS

# where Debian (fluid-soundfont-gm, musescore-general-soundfont) and others put one
SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
    Path("/usr/share/soundfonts/default.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
)
GAIN = "1.2"  # FluidSynth's default (0.2) is far below a normal listening level
RENDER_TIMEOUT = 120  # seconds any one tool may take


@dataclass(frozen=True)
class Written:
    """The files written (by kind: ``mid``, ``wav``, ``ogg``, ``musicxml``, ``pdf``) and
    the kinds that could not be, each with the reason and what to do."""

    files: dict[str, Path]
    missing: dict[str, str] = field(default_factory=dict)


def find_soundfont(given: Path | None = None) -> Path | None:
    """``given`` if it exists, else ``OS1_SOUNDFONT``, else the first General MIDI
    soundfont where Debian puts one."""
    candidates = [given] if given else []
    if os.environ.get("OS1_SOUNDFONT"):
        candidates.append(Path(os.environ["OS1_SOUNDFONT"]))
    for path in [*candidates, *SOUNDFONTS]:
        if path and path.is_file():
            return path
    return None


def spelled(midi: int, k: m21key.Key) -> m21pitch.Pitch:
    """``midi`` named as ``k`` names it: by its scale's own names, else as a degree
    raised (D♯ in E minor, the leading tone, not E♭)."""
    names = {p.pitchClass: p for p in k.pitches}
    if midi % 12 in names:
        named = m21pitch.Pitch(names[midi % 12].name)
    elif (midi - 1) % 12 in names:
        named = m21pitch.Pitch(names[(midi - 1) % 12].name).transpose("A1")
    else:
        return m21pitch.Pitch(midi=midi)
    named.octave = midi // 12 - 1
    named.octave += (midi - named.midi) // 12  # B♯ and C♭ sit across the octave line
    return named


def _part(notes: Sequence[Note], program: int, name: str, k: m21key.Key) -> stream.Part:
    part = stream.Part()
    part.partName = name
    part.insert(0, instrument.instrumentFromMidiProgram(program))
    together: dict[tuple[float, float], list[int]] = defaultdict(list)
    for n in notes:
        together[(n.start, n.length)].append(n.pitch)
    for (start, length), pitches in sorted(together.items()):
        if len(pitches) == 1:
            element: m21note.GeneralNote = m21note.Note(
                spelled(pitches[0], k), quarterLength=length
            )
        else:
            element = m21chord.Chord([spelled(p, k) for p in sorted(pitches)], quarterLength=length)
        part.insert(start, element)
    return part


def score_of(piece: Piece, title: str) -> stream.Score:
    """The piece as a music21 score: the melody on its instrument, the harmony on the
    piano, key, meter and tempo marked."""
    plan = piece.plan
    score = stream.Score()
    score.insert(0, metadata.Metadata(title=title, composer="os1"))
    program = INSTRUMENTS[plan.instrument]
    for notes, prog, name in (
        (piece.melody, program, plan.instrument.title()),
        (piece.accompaniment, INSTRUMENTS["piano"], "Piano"),
    ):
        part = _part(notes, prog, name, music21_key(plan))
        part.insert(0, music21_key(plan))
        part.insert(0, meter.TimeSignature(plan.meter))
        beat = duration.Duration(1.5 if plan.meter == "6/8" else 1.0)
        part.insert(0, tempo.MetronomeMark(number=plan.tempo, referent=beat))
        score.insert(0, part)
    return score.makeNotation()


def _run(command: list[str], what: str) -> str | None:
    """Runs ``command``; None when it worked, else why not."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RENDER_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return f"{what} took longer than {RENDER_TIMEOUT} s and was stopped."
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        return f"{what} failed: {last[0][:300]}"
    return None


def synth_command(font: Path, midi: Path, out: Path, kind: str = "wav") -> list[str]:
    """FluidSynth rendering ``midi`` to the file ``out`` (``kind``: wav, oga) as fast as
    it can, at a normal listening level."""
    return ["fluidsynth", "-ni", "-q", "-g", GAIN, "-r", "44100", "-T", kind, "-F",
            str(out), str(font), str(midi)]  # fmt: skip


def audio_files(
    midi: Path, folder: Path, soundfont: Path | None, ogg: bool = True
) -> tuple[dict[str, Path], dict[str, str]]:
    """The piece played by FluidSynth as WAV, and as Ogg Vorbis if ``ogg``; or why not."""
    kinds = (("wav", ".wav", "wav"), ("ogg", ".ogg", "oga"))[: 2 if ogg else 1]
    if not shutil.which("fluidsynth"):
        why = "FluidSynth is not installed (apt-get install fluidsynth); no audio was made."
        return {}, {kind: why for kind, _, _ in kinds}
    font = find_soundfont(soundfont)
    if font is None:
        why = (
            "No General MIDI soundfont was found (apt-get install fluid-soundfont-gm, or"
            " set OS1_SOUNDFONT to one); no audio was made."
        )
        return {}, {kind: why for kind, _, _ in kinds}
    files: dict[str, Path] = {}
    missing: dict[str, str] = {}
    for kind, suffix, kind_flag in kinds:
        out = folder / f"{midi.stem}{suffix}"
        failed = _run(synth_command(font, midi, out, kind_flag), "FluidSynth")
        if failed or not out.is_file():
            missing[kind] = failed or "FluidSynth wrote no audio."
        else:
            files[kind] = out
    return files, missing


# musicxml2ly (2.24) writes a major chord as "c:5" and a minor one as "c:m5", which
# LilyPond 2.24 reads as power chords (C⁵); the triads are "c" and "c:m"
_POWER_CHORD = re.compile(r"(\b[a-g](?:is|es){0,2}\d+\.*):(m|dim|aug)?5\b")
_STANZA = re.compile(r'\\set stanza = "1\."\s*')  # a song has one verse line: no "1."
_SUBTITLE = re.compile(r'^(\s*)subtitle\s*=\s*"(.*)"\n', re.M)


def _mended(ly: str) -> str:
    """The LilyPond source musicxml2ly wrote, with its slips of version mended: chord
    names as triads, no stanza number, no subtitle repeating the title."""
    ly = _POWER_CHORD.sub(lambda m: m.group(1) + (f":{m.group(2)}" if m.group(2) else ""), ly)
    ly = _STANZA.sub("", ly)
    title = re.search(r'^\s*title\s*=\s*"(.*)"', ly, re.M)
    if title:
        ly = _SUBTITLE.sub(lambda m: "" if m.group(2) == title.group(1) else m.group(0), ly)
    return ly


def _engraved(musicxml: Path, folder: Path) -> tuple[dict[str, Path], dict[str, str]]:
    lacking = [tool for tool in ("musicxml2ly", "lilypond") if not shutil.which(tool)]
    if lacking:
        return {}, {
            "pdf": f"{' and '.join(lacking)} not installed (apt-get install lilypond);"
            " no sheet music was made."
        }
    ly = folder / f"{musicxml.stem}.ly"
    failed = _run(["musicxml2ly", "--no-page-layout", "-o", str(ly), str(musicxml)], "musicxml2ly")
    if not failed and ly.is_file():
        ly.write_text(_mended(ly.read_text(encoding="utf-8")), encoding="utf-8")
    failed = failed or _run(
        [
            "lilypond",
            "-dno-point-and-click",
            "--pdf",
            "-o",
            str(folder / musicxml.stem),
            str(ly),
        ],
        "LilyPond",
    )
    pdf = folder / f"{musicxml.stem}.pdf"
    for leftover in folder.glob(f"{musicxml.stem}*"):
        if leftover.suffix in (".ly", ".eps", ".tex", ".texi", ".count"):
            leftover.unlink()
    if failed or not pdf.is_file():
        return {}, {"pdf": failed or "LilyPond wrote no PDF."}
    return {"pdf": pdf}, {}


def write_piece(
    piece: Piece,
    destination: Path,
    title: str,
    *,
    stem: str = "piece",
    extra: dict[str, str] | None = None,
    soundfont: Path | None = None,
    ogg: bool = True,
) -> Written:
    """Writes ``piece`` into the folder ``destination`` (made if need be) as
    ``STEM.mid``, ``.wav``, ``.musicxml`` and ``.pdf``, ``.ogg`` too if ``ogg`` (for a
    browser), plus each ``extra`` file (name → text). Files are moved in only once all
    are made.

    Raises:
        MusicError: the destination cannot be written to.
    """
    score = score_of(piece, title)
    return write_scores(
        destination, (stem, score), (stem, score), extra=extra, soundfont=soundfont, ogg=ogg
    )


def write_scores(
    destination: Path,
    sound: tuple[str, stream.Score],
    sheet: tuple[str, stream.Score],
    *,
    extra: dict[str, str] | None = None,
    soundfont: Path | None = None,
    ogg: bool = True,
) -> Written:
    """Writes the ``sound`` score as ``STEM.mid`` and its audio, and the ``sheet`` score
    as ``STEM.musicxml`` and its engraved ``.pdf`` (a song's lead sheet shows the
    melody, words and chord names; its guide track plays the chords too), plus each
    ``extra`` file; all moved into ``destination`` only once all are made.

    Raises:
        MusicError: the destination cannot be written to.
    """
    try:
        destination.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".os1-music-", dir=destination))
    except OSError as exc:
        raise MusicError(
            "music_destination",
            f"Cannot write to {destination}: {exc.strerror}.",
            "Choose another folder with --out.",
        ) from exc
    try:
        files = {"mid": Path(sound[1].write("midi", fp=staging / f"{sound[0]}.mid"))}
        files["musicxml"] = Path(sheet[1].write("musicxml", fp=staging / f"{sheet[0]}.musicxml"))
        with ThreadPoolExecutor(2) as pool:  # two tools that wait on their own processes
            playing = pool.submit(audio_files, files["mid"], staging, soundfont, ogg)
            engraved, no_pdf = _engraved(files["musicxml"], staging)
            audio, missing = playing.result()
        files |= audio | engraved
        missing |= no_pdf
        for name, text in (extra or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
            files[name] = staging / name
        placed = {}
        for kind, path in files.items():
            final = destination / path.name
            os.replace(path, final)
            placed[kind] = final
        return Written(placed, missing)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
