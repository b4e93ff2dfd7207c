"""How a writer writes, counted from their own text: sentence length, vocabulary and
rare words, function-word rates, how sentences open, turns of phrase, punctuation, and
the languages they wrote in.

Counting, not a model: every number can be shown, and the persona's prompt reads the
profile as instructions. Function-word rates are the classic marker of authorship
(Mosteller and Wallace's Federalist study); the rest is what a reader hears as voice.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from os1.stopwords import STOPWORDS

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'’”)\]]*\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
MARKS = {",": "commas", ";": "semicolons", ":": "colons", "!": "exclamations",
         "?": "questions", "—": "dashes", "(": "brackets", '"': "quotation marks"}  # fmt: skip
FUNCTION_WORDS = ("the", "of", "and", "to", "a", "in", "that", "it", "is", "i", "but", "not",
                  "as", "with", "for", "be", "which", "we", "upon", "all", "there", "so",
                  "this", "what", "by", "must", "may", "shall", "yet", "thus")  # fmt: skip
WINDOW = 1000  # words per window for the vocabulary's richness (a text's length aside)
SAMPLE_WORDS = 400_000  # counted at most: a shelf of an author, not every word of it
# A few of each language's commonest words: enough to tell which one a passage is in.
LANGUAGES = {
    "en": "the and of to is that it was with for not you this but his they have",
    "fr": "le la les et des est une que qui dans pas pour sur avec ce il elle nous",
    "de": "der die und das ist nicht ein eine zu den mit sich auf dem ich sie es",
    "es": "el la los las y que de en un una es por con para no se lo como",
    "it": "il la che di e un una per non sono con del della gli le si è",
    "pt": "o a os as e que de em um uma não para com se do da por é",
    "nl": "de het een en van is dat niet op te zijn met voor ik je die",
}
_LANGUAGE_WORDS = {code: frozenset(words.split()) for code, words in LANGUAGES.items()}


@dataclass(frozen=True)
class WritingStyle:
    """The measurable parts of a writer's voice (rates per 100 or 1,000 words)."""

    words: int  # counted
    sentence_words: float  # mean words per sentence
    sentence_spread: float  # their standard deviation
    word_length: float  # mean letters per word
    vocabulary: float  # distinct words per 100, in windows of 1,000
    rare_words: float  # words used once in a window, per 100
    function_words: dict[str, float]  # per 1,000 words
    punctuation: dict[str, float]  # per 100 words
    openings: tuple[str, ...]  # how their sentences most often begin
    phrases: tuple[str, ...]  # turns of phrase they come back to
    favourite_words: tuple[str, ...]  # telling words they use most

    def describe(self) -> str:
        """The profile as instructions for writing in this voice."""
        marks = ", ".join(
            f"{rate:.1f} {MARKS[m]}" for m, rate in self.punctuation.items() if rate >= 0.2
        )
        parts = [
            f"sentences of about {self.sentence_words:.0f} words",
            "long, rich words" if self.word_length >= 4.6 else "plain, short words",
        ]
        if marks:
            parts.append(f"per 100 words: {marks}")
        if self.openings:
            begins = ", ".join(repr(o) for o in self.openings[:5])
            parts.append(f"often begins a sentence with: {begins}")
        if self.phrases:
            parts.append("turns of phrase: " + ", ".join(repr(p) for p in self.phrases[:6]))
        if self.favourite_words:
            parts.append("words they love: " + ", ".join(self.favourite_words[:12]))
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> WritingStyle:
        fields = {**raw}
        for name in ("openings", "phrases", "favourite_words"):
            fields[name] = tuple(fields.get(name, ()))
        return cls(**fields)


def _sentences(text: str) -> list[list[str]]:
    return [words for s in _SENTENCE_END.split(text) if (words := _WORD.findall(s))]


def style_of(texts: list[str]) -> WritingStyle:
    """The style of ``texts`` (a writer's works), from up to ``SAMPLE_WORDS`` words spread
    over all of them. Empty text gives an empty profile, never an error."""
    budget = SAMPLE_WORDS // max(1, len(texts))
    sentences: list[list[str]] = []
    counted = ""
    for text in texts:
        part = text[: budget * 7]  # about seven characters a word
        counted += part + "\n"
        sentences += _sentences(part)
    words = [w for s in sentences for w in s]
    lower = [w.lower() for w in words]
    if not words:
        return WritingStyle(0, 0.0, 0.0, 0.0, 0.0, 0.0, {}, {}, (), (), ())
    lengths = [len(s) for s in sentences]
    windows = [lower[n : n + WINDOW] for n in range(0, max(1, len(lower) - WINDOW + 1), WINDOW)]
    vocabulary = statistics.fmean(100 * len(set(w)) / len(w) for w in windows)
    rare = statistics.fmean(
        100 * sum(1 for c in Counter(w).values() if c == 1) / len(w) for w in windows
    )
    counts = Counter(lower)
    per_thousand = 1000 / len(lower)
    function = {w: round(counts[w] * per_thousand, 2) for w in FUNCTION_WORDS}
    per_hundred = 100 / len(words)
    text = counted.replace("--", "—").replace("“", '"').replace("”", '"')
    punctuation = {m: round(text.count(m) * per_hundred, 2) for m in MARKS}
    openings = Counter(" ".join(s[:2]) for s in sentences if len(s) >= 4)
    phrases = Counter(
        " ".join(lower[n : n + 3]) for n in range(len(lower) - 2)
        if not all(w in STOPWORDS for w in lower[n : n + 3])
    )  # fmt: skip
    telling = Counter(w for w in lower if len(w) >= 5 and w not in STOPWORDS)
    names = {w.lower() for w in words if w[:1].isupper()} - {w for w in words if w.islower()}
    return WritingStyle(
        words=len(words),
        sentence_words=round(statistics.fmean(lengths), 1),
        sentence_spread=round(statistics.pstdev(lengths), 1),
        word_length=round(statistics.fmean(len(w) for w in words), 2),
        vocabulary=round(vocabulary, 1),
        rare_words=round(rare, 1),
        function_words=function,
        punctuation=punctuation,
        openings=tuple(o for o, n in openings.most_common(8) if n >= 3),
        phrases=tuple(p for p, n in phrases.most_common(40) if n >= 3 and not _named(p, names))[
            :10
        ],
        favourite_words=tuple(w for w, _ in telling.most_common(60) if w not in names)[:20],
    )


def _named(phrase: str, names: set[str]) -> bool:
    """Whether a phrase holds a name (a character's, a place's): that is the story's, not
    the voice's."""
    return any(word in names for word in phrase.split())


def language_of(text: str) -> str | None:
    """The language of ``text`` by its commonest words, or None when it is too short or
    none of those known."""
    words = [w.lower() for w in _WORD.findall(text[:20_000])]
    if len(words) < 20:
        return None
    scores = {code: sum(1 for w in words if w in known) for code, known in _LANGUAGE_WORDS.items()}
    best = max(scores, key=lambda code: scores[code])
    return best if scores[best] >= 0.08 * len(words) else None


def languages_of(texts: list[str]) -> tuple[str, ...]:
    """Every language the texts are written in, the most used first."""
    found = Counter(code for text in texts if (code := language_of(text)) is not None)
    return tuple(code for code, _ in found.most_common())
