"""A motif taken from the moment itself: a name spelled in notes, in the rhythm of words
the person said.

Spelling: letters A–G are their own notes, and the rest of the alphabet runs on over the
same seven names (H is A again, I is B, …), the "French" way composers spelled HAYDN
and FAURÉ in notes (Ravel, Debussy), here kept inside the piece's key. Rhythm: each
word's stressed syllable is long, the others short, a rough English reading (the first
syllable of a word carries its stress, as it does in most English words).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MOTIF_NOTES = (3, 7)  # a motif has 3 to 7 notes
_LETTERS = "ABCDEFG"
_VOWELS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Motif:
    """Scale degrees (0 is the tonic, 7 the octave above) with their lengths in
    quarter notes, and how they were found, for the why."""

    degrees: tuple[int, ...]
    lengths: tuple[float, ...]
    spelled: str  # the letters that became notes ("LENA"), or ""
    letters: str  # the note names they became ("E E G A")
    rhythm_from: str  # the words the rhythm came from, or ""


def _plain_letters(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word)
    return "".join(c for c in folded if c.isascii() and c.isalpha()).upper()


def spelled(word: str, tonic_letter: str) -> tuple[list[int], str]:
    """The scale degrees (from the tonic) that spell ``word``'s first letters, and the
    note names they are."""
    letters = _plain_letters(word)[: MOTIF_NOTES[1]]
    start = _LETTERS.index(tonic_letter.upper()[0])
    degrees, names = [], []
    for letter in letters:
        name = _LETTERS[(ord(letter) - ord("A")) % 7]
        names.append(name)
        degrees.append((_LETTERS.index(name) - start) % 7)
    return degrees, " ".join(names)


def syllables(word: str) -> int:
    """A rough syllable count: groups of vowels, a silent final e left out."""
    word = word.lower()
    count = len(_VOWELS.findall(word))
    if word.endswith("e") and count > 1 and not word.endswith(("le", "ee")):
        count -= 1
    return max(1, count)


def rhythm(phrase: str, notes: int) -> list[float]:
    """``notes`` lengths from ``phrase``'s syllables: a word's first syllable a quarter,
    the rest eighths; the last note held for a half."""
    pattern: list[float] = []
    for word in re.findall(r"[A-Za-z']+", phrase):
        pattern += [1.0] + [0.5] * (syllables(word) - 1)
    if not pattern:
        pattern = [1.0, 0.5, 0.5]
    lengths = [pattern[i % len(pattern)] for i in range(notes)]
    lengths[-1] = 2.0
    return lengths


def _contour(degrees: list[int]) -> tuple[int, ...]:
    """Degrees placed so each step to the next is the smaller way round (a 6th down is a
    3rd up), the start on the degree itself: a singable line."""
    placed = [degrees[0]]
    for degree in degrees[1:]:
        step = (degree - placed[-1]) % 7
        placed.append(placed[-1] + (step if step <= 3 else step - 7))
    return tuple(placed)


def motif_from(word: str, phrase: str, tonic_letter: str, fallback: list[int]) -> Motif:
    """The motif for a piece in the key on ``tonic_letter``: ``word`` spelled, or the
    ``fallback`` degrees (drawn from the seed) when it has too few letters."""
    degrees, names = spelled(word, tonic_letter)
    used = _plain_letters(word)[: len(degrees)]
    if len(degrees) < MOTIF_NOTES[0]:
        degrees, names, used = fallback, "", ""
    return Motif(
        _contour(degrees),
        tuple(rhythm(phrase, len(degrees))),
        used,
        names,
        phrase.strip() if re.search(r"[A-Za-z]", phrase) else "",
    )
