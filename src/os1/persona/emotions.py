"""Emotions: the 28 GoEmotions feelings a message carries, with intensities, and a
valence/arousal summary.

The labels are those of GoEmotions (Demszky et al., 2020: 58,000 Reddit comments, each
labelled by three raters with any of 27 emotions or neutral). The model is ours, trained
on its train and dev splits by ``bench/affect_train.py`` (the test split, scored once, is
``bench/affect.py``'s; the figures are in the README):

- a TF-IDF bag of words and word pairs (so "not happy" and "thank you" count as such);
- the sentence vector of the embedder named in the weights (``static``, the one memory
  computes for every message anyway);
- one logistic regression per feeling over both, each with its own threshold chosen on
  out-of-fold readings (a feeling is present when its probability reaches its threshold;
  a message that reaches none gets its likeliest feeling).

Why not a fine-tuned encoder: it would need torch to train and tens of megabytes to ship,
while this reads a message in under a millisecond on a laptop CPU from a 3.4 MB file;
what was tried, with figures, is in the README.

Valence (-1 unpleasant .. +1 pleasant) and arousal (0 calm .. 1 excited) place each
feeling on Russell's circumplex (1980); a message's summary is the mean of its feelings'
places weighted by their intensities. The places are our own reading of the circumplex.

Text in another language, or with no words at all, is marked ``unknown``, never guessed;
a message of emoji alone is read by its emoji, when the model learned them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

WEIGHTS = Path(__file__).parent / "data" / "goemotions.npz"
EMOTIONS = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip
NEUTRAL = "neutral"
UNKNOWN = "unknown"
MAX_CHARS = 4_000  # a longer message is read by its first 4,000 characters
WORDS_SHOWN = 3
KNOWN_SHARE = 0.6
KNOWN_SHARE_PLAIN = 0.75

# (valence, arousal) of each feeling on the circumplex, in EMOTIONS order
PLACES = {
    "admiration": (0.6, 0.4), "amusement": (0.7, 0.6), "anger": (-0.7, 0.85),
    "annoyance": (-0.5, 0.6), "approval": (0.4, 0.3), "caring": (0.6, 0.3),
    "confusion": (-0.2, 0.5), "curiosity": (0.3, 0.55), "desire": (0.4, 0.65),
    "disappointment": (-0.55, 0.35), "disapproval": (-0.45, 0.45), "disgust": (-0.7, 0.6),
    "embarrassment": (-0.5, 0.6), "excitement": (0.75, 0.9), "fear": (-0.7, 0.8),
    "gratitude": (0.75, 0.4), "grief": (-0.9, 0.4), "joy": (0.85, 0.7),
    "love": (0.85, 0.55), "nervousness": (-0.5, 0.75), "optimism": (0.6, 0.5),
    "pride": (0.7, 0.6), "realization": (0.05, 0.45), "relief": (0.6, 0.2),
    "remorse": (-0.6, 0.4), "sadness": (-0.75, 0.25), "surprise": (0.2, 0.8),
    "neutral": (0.0, 0.2),
}  # fmt: skip

_TOKEN = re.compile(r"\[[a-z]+\]|[a-z0-9]+(?:'[a-z]+)?|[!?]|[^\w\s]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")  # words in any alphabet, "müde" whole
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
# English words so common that most English sentences of a few words have one
_ENGLISH = frozenset(
    """i you he she it we they me my your his her our their a an the and
    or but if so not no is am are was were be been do does did have has had will would can
    could should to of in on at for with about from this that what who how why when where
    there here just all very really too im i'm it's don't dont lol yes yeah oh thanks
    thank""".split()  # noqa: SIM905  # reads as a paragraph
)


def tokens(text: str) -> list[str]:
    """The words, ``!``/``?`` and emoji of ``text``, lower-cased, in order."""
    lowered = text[:MAX_CHARS].lower().replace("’", "'")
    return [
        t for t in _TOKEN.findall(lowered)
        if t[0].isalnum() or t in "!?" or t[0] == "[" or unicodedata.category(t[0]) == "So"
    ]  # fmt: skip


def grams(text: str) -> Counter[str]:
    """The words and word pairs of ``text`` with their counts: the lexical features."""
    said = tokens(text)
    return Counter(said + [f"{a} {b}" for a, b in itertools.pairwise(said)])


def language(text: str) -> str:
    """``en`` for text in the Latin alphabet (or emoji alone), ``unknown`` for another
    script or no words at all: a reading of a language the model never saw would be a
    guess. ``EmotionModel.language`` tells English from other Latin-alphabet languages."""
    said = tokens(text)
    words = [t for t in said if t[0].isalpha()]
    letters = _LETTER.findall(text[:MAX_CHARS])
    if not words:
        emoji = any(unicodedata.category(t[0]) == "So" for t in said)
        return "en" if emoji and not letters else UNKNOWN
    if letters and len(_LATIN.findall(text[:MAX_CHARS])) < 0.8 * len(letters):
        return UNKNOWN  # another script
    return "en"


def labelled(probability: NDArray[Any], thresholds: NDArray[Any]) -> NDArray[np.bool_]:
    """Which feelings each row of probabilities carries: those at or over their
    threshold, or else the likeliest one (every message feels like something, if only
    neutral). Rows are messages, columns ``EMOTIONS``."""
    present = np.atleast_2d(probability) >= thresholds
    none = ~present.any(axis=1)
    present[none, np.atleast_2d(probability)[none].argmax(axis=1)] = True
    return present


@dataclass(frozen=True)
class Feeling:
    """One feeling a message carries and how strongly (the model's probability)."""

    label: str
    intensity: float


@dataclass(frozen=True)
class Reading:
    """What a message feels like.

    ``feelings`` are those present, strongest first (``neutral`` when none is);
    ``scores`` every label's intensity; ``valence`` -1..1 and ``arousal`` 0..1 the
    summary; ``words`` those of the message that most drove its first feeling. A message
    in another language, or empty, has ``language`` ``unknown`` and no feelings.
    """

    language: str
    feelings: tuple[Feeling, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    valence: float = 0.0
    arousal: float = 0.0
    words: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.feelings[0].label if self.feelings else UNKNOWN

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language, "label": self.label,
            "feelings": [{"label": f.label, "intensity": f.intensity} for f in self.feelings],
            "valence": self.valence, "arousal": self.arousal, "words": list(self.words),
            "scores": self.scores,
        }  # fmt: skip


@dataclass(frozen=True)
class Summary:
    """Many messages' feelings together (a day's, a conversation's): the mean valence of
    those that felt like something (0.0 when all were neutral), the feelings by their
    share of the intensity (neutral left out), and the words that drove them most often."""

    messages: int
    valence: float
    feelings: tuple[Feeling, ...]
    words: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.feelings[0].label if self.feelings else NEUTRAL


def summary(readings: Sequence[Reading], most: int = 3) -> Summary:
    """The ``most`` strongest feelings and words of ``readings`` (see ``Summary``)."""
    felt = [r for r in readings if r.language != UNKNOWN and r.label != NEUTRAL]
    weight: dict[str, float] = {}
    for reading in felt:
        for feeling in reading.feelings:
            if feeling.label != NEUTRAL:
                weight[feeling.label] = weight.get(feeling.label, 0.0) + feeling.intensity
    total = sum(weight.values()) or 1.0
    strongest = sorted(weight.items(), key=lambda item: -item[1])[:most]
    words = Counter(w for r in felt for w in r.words if w not in ("!", "?"))
    return Summary(
        len(readings),
        round(sum(r.valence for r in felt) / len(felt), 3) if felt else 0.0,
        tuple(Feeling(label, round(w / total, 3)) for label, w in strongest),
        tuple(w for w, _ in words.most_common(most + 2)),
    )


class EmotionModel:
    """The trained reader (see the module docstring). Load it with ``EmotionModel.load()``;
    ``read`` is synchronous and CPU-bound, safe from several threads at once."""

    def __init__(self, weights: dict[str, NDArray[Any]]) -> None:
        vocabulary = [str(w) for w in weights["vocabulary"]]
        self.index = {w: i for i, w in enumerate(vocabulary)}
        self.vocabulary = vocabulary
        self.idf = weights["idf"].astype(np.float32)
        self.lexical = weights["lexical"].astype(np.float32)  # (vocabulary, 28)
        self.vector = weights["vector"].astype(np.float32)  # (384, 28)
        self.bias = weights["bias"].astype(np.float32)
        self.thresholds = weights["thresholds"].astype(np.float32)
        self.info: dict[str, Any] = json.loads(str(weights["info"]))
        self.embedder = str(self.info["embedder"])  # whose sentence vectors it reads

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> EmotionModel:
        return _loaded(str(path))

    def language(self, text: str) -> str:
        """``language(text)``, and ``unknown`` too for three words or more of which the
        model learned fewer than ``KNOWN_SHARE``, or fewer than ``KNOWN_SHARE_PLAIN``
        with no common English word among them. Spanish or French share a few short words
        with English ("no", "de"), never most of them; on GoEmotions' dev split this
        reads 25 of 5,426 English comments as unknown ("Woot! Happy New Year!")."""
        if (found := language(text)) == UNKNOWN:
            return found
        words = _WORD.findall(text[:MAX_CHARS].lower().replace("’", "'"))
        if not words and not any(t in self.index for t in tokens(text)):
            return UNKNOWN  # emoji alone, none of which the model ever saw
        if len(words) < 3:
            return found
        known = sum(w in self.index for w in words) / len(words)
        plain = any(w in _ENGLISH for w in words)
        if known < KNOWN_SHARE or (not plain and known < KNOWN_SHARE_PLAIN):
            return UNKNOWN
        return found

    def features(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The TF-IDF row of ``text``: the vocabulary ids it uses and their weights,
        sub-linear counts times idf, of unit length (as it was trained)."""
        counts = grams(text)
        ids = np.array([self.index[g] for g in counts if g in self.index], dtype=np.int64)
        if not len(ids):
            return ids, np.zeros(0, np.float32)
        tf = np.array([1.0 + math.log(counts[self.vocabulary[i]]) for i in ids], dtype=np.float32)
        values = tf * self.idf[ids]
        return ids, values / np.float32(np.linalg.norm(values))

    def read(self, texts: Sequence[str], vectors: NDArray[np.float32]) -> list[Reading]:
        """The reading of each text, given its unit-length sentence vector from the
        embedder named ``self.embedder`` (``vectors`` is ``(len(texts), 384)``)."""
        if len(texts) != len(vectors):
            raise ValueError("one sentence vector per text is needed")
        logits = vectors.astype(np.float32) @ self.vector + self.bias
        out: list[Reading] = []
        for row, text in enumerate(texts):
            if self.language(text) == UNKNOWN:
                out.append(Reading(UNKNOWN))
                continue
            ids, values = self.features(text)
            logit = logits[row] + values @ self.lexical[ids]
            probability = 1.0 / (1.0 + np.exp(-logit))
            out.append(self._reading(probability, ids, values))
        return out

    def _reading(
        self, probability: NDArray[np.float32], ids: NDArray[np.int64], values: NDArray[Any]
    ) -> Reading:
        flags = labelled(probability, self.thresholds)[0]
        present = [k for k in np.argsort(-probability) if flags[k]]
        feelings = tuple(Feeling(EMOTIONS[k], round(float(probability[k]), 3)) for k in present)
        weights = probability / probability.sum()
        valence = sum(float(w) * PLACES[e][0] for w, e in zip(weights, EMOTIONS, strict=True))
        arousal = sum(float(w) * PLACES[e][1] for w, e in zip(weights, EMOTIONS, strict=True))
        first = present[0]
        words: tuple[str, ...] = ()
        if EMOTIONS[first] != NEUTRAL and len(ids):
            pull = values * self.lexical[ids, first]
            words = tuple(
                self.vocabulary[ids[i]] for i in np.argsort(-pull)[:WORDS_SHOWN] if pull[i] > 0.05
            )
        scores = {e: round(float(p), 3) for e, p in zip(EMOTIONS, probability, strict=True)}
        return Reading("en", feelings, scores, round(valence, 3), round(arousal, 3), words)


@lru_cache(maxsize=2)
def _loaded(path: str) -> EmotionModel:
    with np.load(path, allow_pickle=False) as weights:
        return EmotionModel(dict(weights))
