"""Memory recall on real conversations: LoCoMo (snap-research/LoCoMo, ``data/locomo10.json``,
CC BY-NC 4.0, for evaluation only; read from the path given, never committed).

Each of the 10 long conversations is imported into a person of its own through the core
API, as ``os1 memory import-conversation … --no-extract`` does (each turn an episode
keeping its ``dia_id``, its speaker, its session and the session's date; a shared photo
is kept as its caption). Then every scored question (categories 1–4: multi-hop, temporal,
open-domain, single-hop) is searched with os1's default recall (``companion.memories
.search``, the cold path: a new process and a new home), and **evidence recall@k** is the
share of a question's evidence turns among the k hits, averaged over questions.

Baselines in the same run, over the same turns:
- BM25 (k1 1.2, b 0.75) with English stop words removed, and keeping them;
- dense only: the cosine similarity of os1's most exact embedder (the last of its
  ``embedders``: MPNet by default) over "Speaker: text", as os1 embeds a turn, nothing
  else.

Conversations 0–4 are the development split (tune on these), 5–9 the held-out split;
both are reported, and all ten.

Answers (``--answers N``): the first N scored questions of each conversation are also
answered by ``companion.memories.ask`` (the local model reading the 10 hits), scored by
token F1 against LoCoMo's gold answer (SQuAD-style: lower case, no punctuation or
articles); the share answered "I don't know" is the abstention rate. The first N
unanswerable questions (category 5, adversarial) are asked too: there "I don't know" is
the right answer. This needs the local model and takes about 10 s a question here.

Run: .venv/bin/python bench/locomo.py PATH/TO/locomo10.json [-k 10] [--only 0,1]
     [--embedders minilm] [--answers 20] [--database-url postgresql://os1@host/empty_db]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import re
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from figures import save
from os1.companion import Companion
from os1.config import load_settings

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
DEV, HELD = range(5), range(5, 10)
# a common English stop-word list (the words a search for meaning can do without)
STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing don down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with you your yours yourself
    yourselves""".split()  # noqa: SIM905  # a list of words reads better as a paragraph
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Turn:
    id: str
    speaker: str
    text: str
    time: dt.datetime
    session: str


@dataclass(frozen=True)
class Question:
    text: str
    evidence: frozenset[str]
    category: int
    answer: str = ""


@dataclass
class Scores:
    """Recall of each question, by system and question type."""

    by: dict[tuple[str, int], list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, system: str, category: int, value: float) -> None:
        self.by[(system, category)].append(value)

    def mean(self, system: str, categories: tuple[int, ...] = (1, 2, 3, 4)) -> float:
        values = [v for c in categories for v in self.by.get((system, c), [])]
        return sum(values) / len(values) if values else float("nan")

    def count(self, system: str) -> int:
        return sum(len(self.by.get((system, c), [])) for c in CATEGORIES)


def _when(text: str) -> dt.datetime:
    """ "1:56 pm on 8 May, 2023" as a time (the sessions' own dates)."""
    return dt.datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y")


def turns_of(conversation: dict[str, Any]) -> list[Turn]:
    turns: list[Turn] = []
    number = 1
    while f"session_{number}" in conversation:
        began = _when(conversation[f"session_{number}_date_time"])
        for offset, said in enumerate(conversation[f"session_{number}"]):
            text = said.get("text", "")
            if said.get("blip_caption"):
                text = f"{text} [shares a photo: {said['blip_caption']}]".strip()
            at = began + dt.timedelta(seconds=30 * offset)
            turns.append(Turn(said["dia_id"], said["speaker"], text, at, f"session {number}"))
        number += 1
    return turns


def questions_of(sample: dict[str, Any]) -> list[Question]:
    return [
        Question(q["question"], frozenset(q["evidence"]), q["category"], str(q.get("answer", "")))
        for q in sample["qa"]
        if q.get("category") in CATEGORIES and q.get("evidence")
    ]


def unanswerable_of(sample: dict[str, Any]) -> list[Question]:
    return [Question(q["question"], frozenset(), 5) for q in sample["qa"] if q.get("category") == 5]


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [w for w in words if w not in ("a", "an", "the", "and")]


def token_f1(answer: str, gold: str) -> float:
    """SQuAD-style token F1 of an answer against the gold answer."""
    said, wanted = Counter(_tokens(answer)), Counter(_tokens(gold))
    common = sum((said & wanted).values())
    if not common:
        return 0.0
    precision, recall = common / sum(said.values()), common / sum(wanted.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class Answers:
    """Token F1 and abstention of the answers to answerable questions, and how often an
    unanswerable one was declined."""

    f1: list[float] = field(default_factory=list)
    abstained: list[bool] = field(default_factory=list)
    declined: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def report(self) -> dict[str, float | int]:
        def mean(values: list[float] | list[bool]) -> float:
            return sum(values) / len(values) if values else float("nan")

        print(f"\nanswers by the local model ({len(self.f1)} answerable questions,"
              f" {len(self.declined)} unanswerable)")  # fmt: skip
        print(f"token F1 (answerable)                 {mean(self.f1):.3f}")
        print(f"abstained on answerable questions     {mean(self.abstained):.3f}")
        print(f"declined unanswerable questions       {mean(self.declined):.3f}")
        median = sorted(self.seconds)[len(self.seconds) // 2] if self.seconds else float("nan")
        print(f"seconds per answer, median            {median:.1f}")
        return {
            "answerable": len(self.f1),
            "unanswerable": len(self.declined),
            "token_f1": mean(self.f1),
            "abstained_on_answerable": mean(self.abstained),
            "declined_unanswerable": mean(self.declined),
            "seconds_per_answer_p50": median,
        }


def _recall(found: list[str], evidence: frozenset[str]) -> float:
    return len(evidence & set(found)) / len(evidence)


class BM25:
    """Plain Okapi BM25 over the turns: the baseline, written here as the reference."""

    def __init__(self, turns: list[Turn], stop: frozenset[str]) -> None:
        self.stop = stop
        self.ids = [t.id for t in turns]
        self.docs = [Counter(self._words(t.text)) for t in turns]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.average = sum(self.lengths) / max(1, len(self.docs))
        seen = Counter(w for d in self.docs for w in d)
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in seen.items()}

    def _words(self, text: str) -> list[str]:
        return [w for w in _WORD.findall(text.lower()) if w not in self.stop]

    def search(self, query: str, k: int) -> list[str]:
        words = self._words(query)
        scored = []
        for i, doc in enumerate(self.docs):
            score = 0.0
            for w in words:
                f = doc.get(w)
                if f:
                    norm = 1.2 * (0.25 + 0.75 * self.lengths[i] / self.average)
                    score += self.idf[w] * f * 2.2 / (f + norm)
            if score:
                scored.append((score, i))
        scored.sort(reverse=True)
        return [self.ids[i] for _, i in scored[:k]]


class Dense:
    """Cosine similarity of one embedder's vectors, nothing else."""

    def __init__(self, turns: list[Turn], embedder: Any) -> None:
        self.ids = [t.id for t in turns]
        self.embedder = embedder
        self.vectors = self._unit(embedder.embed([f"{t.speaker}: {t.text}" for t in turns]))

    @staticmethod
    def _unit(vectors: Any) -> np.ndarray:
        array = np.asarray(vectors, dtype=np.float32)
        return array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-9)

    def search(self, query: str, k: int) -> list[str]:
        scores = self.vectors @ self._unit(self.embedder.embed([query]))[0]
        return [self.ids[i] for i in np.argsort(-scores)[:k]]


def _jsonl(turns: list[Turn], folder: Path) -> Path:
    path = folder / "conversation.jsonl"
    lines = [
        json.dumps(
            {
                "id": t.id,
                "speaker": t.speaker,
                "text": t.text,
                "time": t.time.isoformat(),
                "session": t.session,
            }
        )
        for t in turns
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


async def answer_some(
    companion: Companion, user: str, sample: dict[str, Any], count: int, answers: Answers
) -> None:
    asked = questions_of(sample)[:count] + unanswerable_of(sample)[:count]
    for question in asked:
        started = time.perf_counter()
        answer = await companion.memories.ask(user, question.text)
        answers.seconds.append(time.perf_counter() - started)
        if question.category == 5:
            answers.declined.append(not answer.known)
        else:
            answers.f1.append(token_f1(answer.text, question.answer) if answer.known else 0.0)
            answers.abstained.append(not answer.known)


async def run(
    path: Path,
    k: int,
    only: list[int] | None,
    embedders: str = "",
    answers: int = 0,
    database_url: str = "",
) -> tuple[Scores, Answers]:
    from os1.models.embed import embedder_from

    samples = json.loads(await asyncio.to_thread(path.read_text, "utf-8"))
    scores, answered = Scores(), Answers()
    overrides: dict[str, str] = {"embedders": embedders} if embedders else {}
    if not answers:  # no model is needed to search
        overrides["llm_backend"] = "scripted"
    if database_url:  # an empty PostgreSQL database instead of SQLite in the new home
        overrides["database_url"] = database_url
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"home": home, **overrides})
        companion = await Companion.open(settings)
        exact = settings.embed_routes[-1] if settings.embed_routes else "mpnet"
        dense_model = embedder_from(exact, settings.cache_dir, None)
        try:
            for number, sample in enumerate(samples):
                if only is not None and number not in only:
                    continue
                started = time.perf_counter()
                turns = turns_of(sample["conversation"])
                user = f"locomo{number}"
                report = await companion.memories.import_conversation(
                    user, _jsonl(turns, Path(home)), learn=False
                )
                await companion.memories.index(user)
                systems = {
                    "bm25": BM25(turns, STOP).search,
                    "bm25+stop": BM25(turns, frozenset()).search,
                    "dense": Dense(turns, dense_model).search,
                }
                questions = questions_of(sample)
                for question in questions:
                    hits = await companion.memories.search(user, question.text, k=k)
                    found = [sid for h in hits for sid in h.source_ids]
                    scores.add(
                        f"os1/{number}", question.category, _recall(found, question.evidence)
                    )
                    for name, search in systems.items():
                        recall = _recall(search(question.text, k), question.evidence)
                        scores.add(f"{name}/{number}", question.category, recall)
                if answers:
                    await answer_some(companion, user, sample, answers, answered)
                print(
                    f"conversation {number}: {report.added} turns, {len(questions)} questions,"
                    f" {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        finally:
            await companion.aclose()
    return scores, answered


def _merged(scores: Scores, system: str, conversations: range | list[int]) -> Scores:
    out = Scores()
    for (name, category), values in scores.by.items():
        base, _, number = name.partition("/")
        if base == system and int(number) in conversations:
            out.by[(system, category)].extend(values)
    return out


def report(scores: Scores, k: int) -> dict[str, dict[str, dict[str, float]]]:
    """Prints the recall table and returns it: {split: {system: {type: recall}}}."""
    table: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    splits = {"dev 0-4": DEV, "held-out 5-9": HELD, "all": range(10)}
    systems = ("os1", "bm25", "bm25+stop", "dense")
    print(f"\nevidence recall@{k} (categories 1-4)")
    print(f"{'split':<14}{'system':<11}" + "".join(f"{n:>13}" for n in CATEGORIES.values())
          + f"{'overall':>10}{'questions':>11}")  # fmt: skip
    for label, conversations in splits.items():
        for system in systems:
            merged = _merged(scores, system, conversations)
            if not merged.count(system):
                continue
            row = "".join(f"{merged.mean(system, (c,)):>13.3f}" for c in CATEGORIES)
            overall = merged.mean(system)
            print(f"{label:<14}{system:<11}{row}{overall:>10.3f}{merged.count(system):>11}")
            table[label][system] = {
                **{name: merged.mean(system, (c,)) for c, name in CATEGORIES.items()},
                "overall": overall,
                "questions": merged.count(system),
            }
        os1_all = _merged(scores, "os1", conversations).mean("os1")
        bm25_all = _merged(scores, "bm25", conversations).mean("bm25")
        if not math.isnan(os1_all):
            print(f"{label:<14}os1 - bm25 = {os1_all - bm25_all:+.3f}")
    return dict(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="locomo10.json from snap-research/LoCoMo")
    parser.add_argument("-k", type=int, default=10, help="hits per question (default 10)")
    parser.add_argument("--only", default="", help="conversations to run, e.g. 0,1 (default all)")
    parser.add_argument(
        "--answers", type=int, default=0, help="answer this many questions a conversation"
    )
    parser.add_argument(
        "--embedders", default="", help="os1's embedding routes, e.g. minilm (default: os1's)"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="run on this empty PostgreSQL database (default: SQLite, os1's default)",
    )
    options = parser.parse_args()
    chosen = [int(n) for n in options.only.split(",") if n.strip()] or None
    scores, answered = asyncio.run(
        run(
            options.path,
            options.k,
            chosen,
            options.embedders,
            options.answers,
            options.database_url,
        )
    )
    figures: dict[str, Any] = {"k": options.k, "recall": report(scores, options.k)}
    if options.answers:
        figures["answers"] = answered.report()
    if chosen is None:  # a partial run is a look, not the figures the README cites
        save("locomo_postgresql" if options.database_url else "locomo", figures)
