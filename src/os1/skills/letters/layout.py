"""A letter laid out as a hand writes it: where every character goes, and how.

A font sets every "e" alike, on a ruler-straight line. A hand does not, and these are
the ways it differs, each drawn from one seeded random source so that the same letter
and seed give the same page, glyph for glyph:

- each line drifts off its baseline a little and slopes up or down;
- each character is a little larger or smaller, turned a degree or two, and sits a
  fraction above or below the line; a hand learned from the person's own writing has
  several forms of a letter, and the same form is never used twice in a row;
- the pen presses harder on some words than others (the ink is darker);
- the gaps between words vary, the left margin wanders, and a line ends where the next
  word would not comfortably fit, so the right edge is ragged.

Units are PDF points (1/72 inch) from the top-left corner of an A4 page.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field

from os1.errors import LetterError
from os1.skills.letters.hands import KNOWN, Hand, load_hand

PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89  # A4
MARGINS = (64.0, 56.0, 72.0, 64.0)  # left, right, top, bottom
MAX_PAGES = 20  # a letter longer than this is a manuscript; said, not drawn
MAX_CHARS = 60_000
# control characters and zero-width marks: nothing a pen draws
_INVISIBLE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)


@dataclass(frozen=True)
class Glyph:
    """One character on a page: its pen position on the baseline (x, y), size in
    points, turn in degrees (counter-clockwise), ink from 0 (paper) to 1 (full), and
    the hand that draws it (another than the letter's for a character it lacks), and
    the code point of the alternate form drawn ("" for the character's own)."""

    char: str
    x: float
    y: float
    size: float
    angle: float
    ink: float
    hand: str
    form: str = ""

    @property
    def drawn(self) -> str:
        return self.form or self.char


@dataclass
class Page:
    glyphs: list[Glyph] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """The pages of a letter, the characters another hand had to draw, and every hand
    used by name (the letter's own and those it borrowed from)."""

    hand: str
    seed: int
    pages: list[Page]
    borrowed: dict[str, str]  # character -> the hand that drew it
    hands: dict[str, Hand]


def _fallbacks(text: str, hand: Hand) -> dict[str, str]:
    """For each character ``hand`` lacks, the first other installed hand that has it;
    a clear error naming the ones no hand can draw."""
    wanted = sorted({c for c in text if not c.isspace() and not hand.covers(c)})
    if not wanted:
        return {}
    borrowed: dict[str, str] = {}
    others = [name for name in sorted(KNOWN) if name != hand.name]
    for char in wanted:
        for name in others:
            try:
                other = load_hand(name)
            except LetterError:
                continue
            if other.covers(char):
                borrowed[char] = name
                break
    missing = [c for c in wanted if c not in borrowed]
    if missing:
        shown = " ".join(missing[:20])
        raise LetterError(
            "letter_characters",
            f"No installed hand can write these characters: {shown}.",
            "Write them out in words, or leave them out.",
        )
    return borrowed


def _pieces(word: str, hand: Hand, size: float, width: float) -> list[str]:
    """A word wider than a whole line, cut where it must be (a hand would hyphenate)."""
    pieces, current = [], ""
    for char in word:
        if current and hand.width(current + char + "-", size) > width:
            pieces.append(current + "-")
            current = ""
        current += char
    return [*pieces, current]


def lay_out(text: str, hand_name: str | Hand = "caveat", seed: int = 0) -> Layout:
    """The pages of ``text`` written in the hand ``hand_name`` (a packaged hand's name,
    or a hand already opened, such as the person's own), varied by ``seed``.

    Paragraphs are separated by blank lines; a single line break is kept as a line
    break (an address, a sign-off). Raises ``LetterError`` for an empty letter, one
    too long, or characters no hand can draw.
    """
    clean = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    clean = _INVISIBLE.sub("", unicodedata.normalize("NFC", clean)).strip()
    if not clean:
        raise LetterError("letter_empty", "The letter has no words.", "Say what it should say.")
    if len(clean) > MAX_CHARS:
        raise LetterError(
            "letter_too_long",
            f"The letter is {len(clean):,} characters long; a hand-written letter here is at"
            f" most {MAX_PAGES} pages (about {MAX_CHARS:,} characters).",
            "Shorten it, or split it into several letters.",
        )
    hand = hand_name if isinstance(hand_name, Hand) else load_hand(hand_name)
    borrowed = _fallbacks(clean, hand)
    used = {hand.name: hand, **{name: load_hand(name) for name in set(borrowed.values())}}
    last_form: dict[str, str] = {}
    rng = random.Random(f"{hand.name}:{seed}")
    left, right, top, bottom = MARGINS
    width = PAGE_WIDTH - left - right
    size, line_height = hand.size, hand.size * hand.leading
    pages = [Page()]
    y = top + size

    def new_line(lines: float = 1.0) -> None:
        nonlocal y
        y += line_height * lines * rng.uniform(0.97, 1.04)
        if y > PAGE_HEIGHT - bottom:
            if len(pages) >= MAX_PAGES:
                raise LetterError(
                    "letter_too_long",
                    f"The letter needs more than {MAX_PAGES} pages.",
                    "Shorten it, or split it into several letters.",
                )
            pages.append(Page())
            y = top + size * rng.uniform(0.9, 1.1)

    def start_line(indent: float) -> tuple[float, float, float, float]:
        """Where the pen starts (the margin wanders), the line's slope, and its drift."""
        x = left + indent + rng.uniform(-2.0, 2.5)
        return x, math.tan(math.radians(rng.gauss(0.0, 0.35))), x, rng.uniform(-1.2, 1.2)

    for number, paragraph in enumerate(re.split(r"\n\s*\n", clean)):
        if number:
            new_line(1.4)  # a little air between paragraphs
        for line_number, line in enumerate(paragraph.split("\n")):
            if line_number:
                new_line()
            words = line.split()
            indent = size * 1.4 if line_number == 0 and number > 0 and len(words) > 8 else 0.0
            x, slope, start, drift = start_line(indent)
            queue = [p for w in words for p in _pieces(w, hand, size, width * 0.9)]
            for index, word in enumerate(queue):
                gap = hand.width(" ", size) * rng.uniform(0.85, 1.35) if index else 0.0
                slack = rng.uniform(0.0, 28.0)  # where this hand feels the line is full
                if index and x + gap + hand.width(word, size) > left + width - slack:
                    new_line()
                    (x, slope, start, drift), gap = start_line(0.0), 0.0
                x += gap
                pressure = rng.uniform(0.78, 1.0)  # one word, one pressing of the pen
                for char in word:
                    scale = rng.uniform(0.94, 1.06)
                    glyph_size = size * scale
                    wobble = 0.8 * math.sin((x - start) / 37.0 + drift * 3.0)
                    baseline = y + drift + (x - start) * slope + wobble + rng.gauss(0.0, 0.45)
                    drawn_by = borrowed.get(char, hand.name)
                    form = ""
                    if char in hand.variants and drawn_by == hand.name:
                        forms = [f for f in hand.variants[char] if f != last_form.get(char)]
                        form = last_form[char] = rng.choice(forms)
                    pages[-1].glyphs.append(
                        Glyph(
                            char,
                            round(x + rng.gauss(0.0, 0.25), 2),
                            round(baseline, 2),
                            round(glyph_size, 2),
                            round(max(-5.0, min(5.0, rng.gauss(0.0, 1.8))), 2),
                            round(min(1.0, pressure * rng.uniform(0.92, 1.0)), 3),
                            drawn_by,
                            "" if form == char else form,
                        )
                    )
                    step = used[drawn_by].width(form or char, glyph_size)
                    x += step * rng.uniform(0.97, 1.03)
    return Layout(hand.name, seed, pages, borrowed, used)
