"""Learned fusion: the last ordering of recall, a logistic model over fourteen signals.

Reciprocal rank fusion (``retrieval.py``) gathers the candidates and orders them by rank
alone. It cannot see what real talk shows: the answer often sits one or two turns after
the words of the question ("Did you go?" "Yes, on Saturday!"); a long turn carries a fact
more often than "haha same"; a turn that asks something is rarely the answer; a session
that keeps matching is the one the question is about. This stage scores the best
``RERANK`` candidates on such signals. Its weights were learned by logistic regression
(pointwise learning to rank, in its plainest form) on LoCoMo's development conversations
(0-4) with ``bench/locomo_fusion.py``, and checked on the held-out ones (5-9): recall@10
0.705 -> 0.780 there at first (over MiniLM's cosines), 0.794 with MPNet as the exact
embedder, and 0.807 once a turn that says when was one more signal (learned again over
MPNet's cosines then; a listwise fit and gradient-boosted trees did no better held out:
the trees learned the development half by heart, 0.92 there, 0.79 held out).

Facts are scored by the same model. What a fact cannot have (a session, neighbouring
turns, a length like a turn's) is given the training average, so those signals neither
lift nor sink it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from os1.memory.when import Window
from os1.timewords import MONTH_NAMES, VERB_MONTHS, WEEKDAY_NAMES

if TYPE_CHECKING:
    from os1.memory.retrieval import Hit, Kind

RERANK = 100  # candidates scored; deeper was worth nothing on the development set

FEATURES = (
    "fused",  # the rank fusion's score, over the best one's
    "words",  # the word (BM25, with neighbours) score, over the best one's
    "meaning",  # cosine with the question, by the most exact embedder
    "meaning_gap",  # that cosine less the best candidate's
    "other_speaker",  # the question names one speaker, and this is someone else's turn
    "in_window",  # the question names a time, and this memory is inside it
    "session_words",  # the word scores of the other candidates of the same session
    "length",  # log(1 + characters)
    "question",  # the memory itself asks something
    "next_meaning",  # the best cosine of the turns just before and after
    "next_words",  # the best word score of the turns just before and after
    "two_away_words",  # the best word score of the turns two before and two after
    "second_hop",  # found by the second hop (a name the best memories mention)
    "tells_time",  # the turn says when something happened ("yesterday", "last May")
)
# In the features' own units (learned on standardized features, then unscaled); printed
# by bench/locomo_fusion.py, pasted here.
WEIGHTS = np.array(
    [3.440, 1.146, -0.675, 5.312, -2.026, 0.480, -0.038, 0.362, -0.690, 2.486, 0.541, 1.606,
     0.294, 0.645]
)  # fmt: skip
BIAS = -3.801
# The development set's average of each feature: what a fact gets for a turn's signals.
MEANS = np.array(
    [0.2306, 0.2066, 0.3137, -0.2732, 0.2872, 0.0469, 1.3389, 4.9800, 0.2290, 0.2971, 0.2442,
     0.1802, 0.0322, 0.2715]
)  # fmt: skip
TURN_ONLY = [FEATURES.index(n) for n in ("session_words", "length", "next_meaning",
                                         "next_words", "two_away_words", "tells_time")]  # fmt: skip
# A turn that places something in time tells of an event ("we went camping last
# weekend"), which is what questions about a life mostly ask for, and it is where "when
# did...?" finds its answer. Months that are also verbs ("may") are left out.
_MONTHS = "|".join(m for m in MONTH_NAMES if m not in VERB_MONTHS)
_SPANS = "week|weekend|month|year|morning|afternoon|evening|summer|winter|spring|fall|autumn"
TELLS_TIME = re.compile(
    rf"\b(?:yesterday|today|tonight|tomorrow|ago|last|next|recently|lately|just"
    rf"|this (?:{_SPANS})|(?:week|weekend|month|year)s?|(?:{'|'.join(WEEKDAY_NAMES)})s?"
    rf"|{_MONTHS}|(?:19|20)\d\d)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Signals:
    """What the earlier stages know about the candidates and the question.

    ``words`` and ``meaning`` hold scores by (kind, id), for the candidates and for the
    turns around them; ``around`` maps an episode to the turns one and two away from it
    in its session; ``hopped`` holds the memories the second hop found.
    """

    words: dict[tuple[Kind, int], float]
    meaning: dict[tuple[Kind, int], float]
    around: dict[int, tuple[tuple[int, ...], tuple[int, ...]]]
    hopped: set[tuple[Kind, int]]
    speaker: str = ""
    window: Window | None = None


def features(hits: Sequence[Hit], signals: Signals) -> np.ndarray:
    """One row of ``FEATURES`` per hit, in order."""
    if not hits:
        return np.zeros((0, len(FEATURES)))
    best_fused = max(h.score for h in hits) or 1.0
    best_words = max(signals.words.values(), default=0.0) or 1.0
    best_meaning = max((signals.meaning.get((h.kind, h.id), 0.0) for h in hits), default=0.0)

    def words(kind: Kind, item: int) -> float:
        return signals.words.get((kind, item), 0.0) / best_words

    sessions: dict[str, float] = defaultdict(float)
    for hit in hits:
        if hit.kind == "episode" and hit.session:
            sessions[hit.session] += words(hit.kind, hit.id)
    rows = np.zeros((len(hits), len(FEATURES)))
    for n, hit in enumerate(hits):
        cosine = signals.meaning.get((hit.kind, hit.id), 0.0)
        own_words = words(hit.kind, hit.id)
        rows[n, :6] = (
            hit.score / best_fused,
            own_words,
            cosine,
            cosine - best_meaning,
            float(bool(signals.speaker) and hit.kind == "episode"
                  and hit.speaker != signals.speaker),
            float(signals.window is not None and signals.window.contains(hit.time)),
        )  # fmt: skip
        rows[n, 8] = float(hit.text.rstrip().endswith("?"))
        rows[n, 12] = float((hit.kind, hit.id) in signals.hopped)
        if hit.kind != "episode":
            rows[n, TURN_ONLY] = MEANS[TURN_ONLY]
            continue
        one, two = signals.around.get(hit.id, ((), ()))
        rows[n, 6] = sessions[hit.session] - own_words if hit.session else 0.0
        rows[n, 7] = math.log1p(len(hit.text))
        rows[n, 9] = max((signals.meaning.get(("episode", i), 0.0) for i in one), default=0.0)
        rows[n, 10] = max((words("episode", i) for i in one), default=0.0)
        rows[n, 11] = max((words("episode", i) for i in two), default=0.0)
        rows[n, 13] = float(bool(TELLS_TIME.search(hit.text)))
    return rows


def learned_order(hits: Sequence[Hit], rows: np.ndarray) -> list[Hit]:
    """``hits`` ordered by the learned model, each scored with its probability of being
    what the question asks for (0-1)."""
    if not hits:
        return []
    logits = rows @ WEIGHTS + BIAS
    chances = 1.0 / (1.0 + np.exp(-logits))
    order = np.argsort(-chances, kind="stable")
    return [replace(hits[i], score=round(float(chances[i]), 4)) for i in order]
