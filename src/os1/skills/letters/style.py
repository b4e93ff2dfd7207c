"""How the sender writes, counted from their own letters and mail: sentence length,
vocabulary, greeting and sign-off, punctuation habits and favourite phrases.

It builds on the mail skill's tone profile (greeting, sign-off, length, formality,
phrases; quoted replies and signatures cut first) and adds what a letter's voice needs
beyond a mail's. Counting, not a model: every number can be shown to the person, and
the letter prompt reads them as instructions.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from os1.errors import InputError
from os1.skills.mail.text import own_words
from os1.skills.mail.tone import ToneProfile, profile_from

MAX_STYLE_BYTES = 2_000_000  # of samples read; a life's letters, not a library
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_CONTRACTION = re.compile(r"\b[^\W\d_]+['’](m|re|ll|ve|s|d|t)\b", re.IGNORECASE)
EXAMPLE_WORDS = (30, 110)  # a passage of the sender's own to show the model: not a line
EXAMPLES_AT_MOST, EXAMPLE_BUDGET = 3, 260  # passages, and words in all (the prompt's cost)
MARKS = {"!": "exclamations", "?": "questions", ";": "semicolons", "—": "dashes",
         "…": "ellipses", ",": "commas"}  # fmt: skip


@dataclass(frozen=True)
class StyleProfile:
    """The measurable parts of a writer's voice (rates are per 100 words)."""

    samples: int
    words: int  # a typical piece's length
    sentence_words: float  # mean words per sentence
    vocabulary: float  # distinct words per 100, over the first 1,000 words
    greeting: str
    sign_off: str
    formality: str
    punctuation: dict[str, float]
    contractions: float
    phrases: tuple[str, ...]
    examples: tuple[str, ...] = ()  # a few passages in their own words, to write like

    def describe(self) -> str:
        """The profile as instructions for writing in this voice."""
        habits = [f"{rate:.1f} {MARKS[mark]}" for mark, rate in self.punctuation.items() if rate]
        parts = [
            f"{self.formality} tone",
            f"sentences of about {self.sentence_words:.0f} words",
            f"about {self.words} words in all",
            "uses contractions" if self.contractions >= 1.0 else "avoids contractions",
        ]
        if habits:
            parts.append("per 100 words: " + ", ".join(habits))
        if self.greeting:
            parts.append(f"opens like: {self.greeting!r}")
        if self.sign_off:
            parts.append(f"signs off like: {self.sign_off!r}")
        if self.phrases:
            parts.append("phrases they often use: " + ", ".join(repr(p) for p in self.phrases))
        return "; ".join(parts)


def _dashes(text: str) -> str:
    return text.replace(" -- ", " — ").replace(" - ", " — ").replace("...", "…")


def _sentence_words(text: str) -> float:
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    return statistics.fmean(len(_WORD.findall(s)) for s in sentences) if sentences else 0.0


def examples_from(own: list[str], sentence_words: float) -> tuple[str, ...]:
    """A few passages the sender wrote, in full, whose sentences run as theirs usually do:
    the model imitates a voice it reads far better than one it is told about in numbers.
    Paragraphs of the body only (no greeting, sign-off or dialogue), each from another
    sample where there are several, within a budget of words; the same every time."""
    low, high = EXAMPLE_WORDS
    candidates: list[tuple[float, int, str]] = []
    for n, text in enumerate(own):
        for paragraph in re.split(r"\n\s*\n", text):
            flat = " ".join(paragraph.split())
            words = len(_WORD.findall(flat))
            if not low <= words <= high or flat.count('"') + flat.count("“") > 2:
                continue
            candidates.append((abs(_sentence_words(flat) - sentence_words), n, flat))
    chosen: list[str] = []
    used: set[int] = set()
    budget = EXAMPLE_BUDGET
    for _, n, flat in sorted(candidates):
        words = len(_WORD.findall(flat))
        if len(chosen) == EXAMPLES_AT_MOST or (n in used and len(own) > 1) or words > budget:
            continue
        chosen.append(flat)
        used.add(n)
        budget -= words
    return tuple(chosen)


def style_from(texts: list[str]) -> StyleProfile | None:
    """A profile of the writer of ``texts`` (None when there is no text of theirs)."""
    own = [_dashes(own_words(t)) for t in texts]
    own = [t for t in own if t.strip()]
    tone: ToneProfile | None = profile_from(own)
    if tone is None:
        return None
    words = [w.lower() for t in own for w in _WORD.findall(t)]
    sentences = [s for t in own for s in _SENTENCE_END.split(t) if _WORD.search(s)]
    count = max(1, len(words))
    first = words[:1000]
    sentence_words = (
        statistics.fmean(len(_WORD.findall(s)) for s in sentences) if sentences else 0.0
    )
    return StyleProfile(
        samples=tone.samples,
        words=tone.words,
        sentence_words=round(sentence_words, 1),
        vocabulary=round(100 * len(set(first)) / max(1, len(first)), 1),
        greeting=tone.greeting,
        sign_off=tone.sign_off,
        formality=tone.formality,
        punctuation={m: round(100 * sum(t.count(m) for t in own) / count, 2) for m in MARKS},
        contractions=round(100 * sum(len(_CONTRACTION.findall(t)) for t in own) / count, 2),
        phrases=tone.phrases,
        examples=examples_from(own, sentence_words),
    )


def read_samples(paths: list[Path]) -> list[str]:
    """The texts in ``paths`` (files, or folders searched for .txt, .md and .eml), each
    file one sample; a clear error for a path that is missing or not text."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.suffix.lower() in (".txt", ".md", ".eml")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise InputError("style_missing", f"{path} does not exist.", "Check the path.")
    texts, budget = [], MAX_STYLE_BYTES
    for file in files:
        try:
            data = file.read_bytes()[:budget]
        except OSError as exc:
            raise InputError("style_unreadable", f"Cannot read {file}: {exc.strerror}.") from exc
        if b"\x00" in data[:4096]:
            raise InputError(
                "style_not_text",
                f"{file.name} is not a text file.",
                "Point to letters or mails saved as text (.txt, .md, .eml).",
            )
        texts.append(data.decode("utf-8", errors="replace").replace("\r\n", "\n"))
        budget -= len(data)
        if budget <= 0:
            break
    if not files:
        raise InputError("style_empty", "No .txt, .md or .eml files were found there.")
    return texts
