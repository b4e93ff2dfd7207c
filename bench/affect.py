"""How well does os1 read a person's feelings, and how fast? Measured on GoEmotions'
test split (real Reddit comments, labelled by three raters each), scored once.

1. Every test comment is read through ``companion.feelings`` (os1's shipped reader and
   its embedder, in a new home), and its feelings are compared with the raters' labels:
   macro-F1 over the 28 labels, with each label's own F1, against predicting the most
   common label (neutral) for all. BERT-base, fine-tuned in the GoEmotions paper, scored
   0.46.
2. Sentiment in three ways (positive, negative, neutral; the paper's grouping of the
   labels, comments whose labels are only "ambiguous" ones left out): os1's reader
   against the word list os1 used before (``persona.affect.mood_of``), in the same run.
3. Time per message, one at a time as in a turn and in batches as in the background,
   against the word list; and the cold path a person meets first: ``os1 affect`` on one
   line in a new process, against the same process doing no reading (``--help``).

Run: .venv/bin/python bench/affect.py DIR [--timed 300]   (DIR holds GoEmotions'
test.tsv, as for ``bench/affect_train.py``; about two minutes on this 2-core machine)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table
from sklearn.metrics import f1_score

from affect_train import read_split
from figures import save
from os1.companion import Companion
from os1.config import load_settings
from os1.persona.affect import mood_of
from os1.persona.emotions import EMOTIONS, NEUTRAL, UNKNOWN, Reading

# the GoEmotions paper's sentiment grouping of its labels
POSITIVE = frozenset(
    """admiration amusement approval caring desire excitement gratitude
    joy love optimism pride relief""".split()  # noqa: SIM905  # reads as a paragraph
)
NEGATIVE = frozenset(
    """anger annoyance disappointment disapproval disgust embarrassment
    fear grief nervousness remorse sadness""".split()  # noqa: SIM905
)
SENTIMENTS = ("positive", "negative", "neutral")
OS1 = Path(sys.executable).with_name("os1")


def sentiment_of_labels(labels: set[str]) -> str | None:
    """The sentiment of a set of labels; None when they are only ambiguous ones."""
    if labels & POSITIVE and not labels & NEGATIVE:
        return "positive"
    if labels & NEGATIVE and not labels & POSITIVE:
        return "negative"
    if labels == {NEUTRAL}:
        return "neutral"
    return None  # mixed, or surprise/curiosity/confusion/realization alone


def sentiment_of_reading(reading: Reading) -> str:
    first = reading.label
    if first in POSITIVE:
        return "positive"
    return "negative" if first in NEGATIVE else "neutral"


def sentiment_of_words(text: str, least: float = 0.05) -> str:
    mood = mood_of(text)
    if not mood.cues or abs(mood.valence) < least:
        return "neutral"
    return "positive" if mood.valence > 0 else "negative"


def predicted(readings: list[Reading]) -> NDArray[np.bool_]:
    out = np.zeros((len(readings), len(EMOTIONS)), dtype=bool)
    for row, reading in enumerate(readings):
        for feeling in reading.feelings:
            out[row, EMOTIONS.index(feeling.label)] = True
        if reading.label == UNKNOWN:
            out[row, EMOTIONS.index(NEUTRAL)] = True  # scored as neutral, never skipped
    return out


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cold_seconds(line: str, runs: int = 3) -> tuple[float, float]:
    """Wall time of ``os1 affect LINE`` in a new process, and of ``os1 affect --help``."""

    def wall(*args: str) -> float:
        start = time.perf_counter()
        subprocess.run([str(OS1), "affect", *args], capture_output=True, check=True)
        return time.perf_counter() - start

    reading = statistics.median(wall(line) for _ in range(runs))
    bare = statistics.median(wall("--help") for _ in range(runs))
    return reading, bare


async def measure(data: Path, timed: int, console: Console) -> dict[str, object]:
    texts, gold = read_split(data / "test.tsv")
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(overrides={"home": Path(home)})
        companion = await Companion.open(settings)
        try:
            start = time.perf_counter()
            readings = await companion.feelings.read(texts[:2000])
            for begin in range(2000, len(texts), 2000):
                readings += await companion.feelings.read(texts[begin : begin + 2000])
            batch_ms = (time.perf_counter() - start) * 1000 / len(texts)
            one_ms = []
            for text in texts[:timed]:
                start = time.perf_counter()
                await companion.feelings.read([text])
                one_ms.append((time.perf_counter() - start) * 1000)
        finally:
            await companion.aclose()
    words_ms = []
    for text in texts[:timed]:
        start = time.perf_counter()
        mood_of(text)
        words_ms.append((time.perf_counter() - start) * 1000)

    guessed = predicted(readings)
    per_label = f1_score(gold, guessed, average=None, zero_division=0)
    macro = float(np.mean(per_label))
    majority = np.zeros_like(gold)
    majority[:, EMOTIONS.index(NEUTRAL)] = True
    majority_f1 = float(f1_score(gold, majority, average="macro", zero_division=0))

    truth, ours, theirs = [], [], []
    for text, row, reading in zip(texts, gold, readings, strict=True):
        said = sentiment_of_labels({EMOTIONS[k] for k in np.flatnonzero(row)})
        if said is not None:
            truth.append(said)
            ours.append(sentiment_of_reading(reading))
            theirs.append(sentiment_of_words(text))
    ours_3 = float(f1_score(truth, ours, labels=SENTIMENTS, average="macro"))
    words_3 = float(f1_score(truth, theirs, labels=SENTIMENTS, average="macro"))
    unknown = sum(r.language == UNKNOWN for r in readings)
    cold, bare = cold_seconds("I can't believe you remembered my birthday!")

    table = Table(title="Each label's F1 on the test split", show_edge=False)
    for column in ("label", "F1", "label ", "F1 "):
        table.add_column(column, justify="right" if "F1" in column else "left")
    half = (len(EMOTIONS) + 1) // 2
    for k in range(half):
        right = (EMOTIONS[k + half], f"{per_label[k + half]:.2f}") if k + half < 28 else ("", "")
        table.add_row(EMOTIONS[k], f"{per_label[k]:.2f}", *right)
    console.print(table)
    return {
        "test_comments": len(texts),
        "macro_f1": round(macro, 4),
        "macro_f1_majority": round(majority_f1, 4),
        "macro_f1_bert_base_paper": 0.46,
        "per_label_f1": {e: round(float(f), 3) for e, f in zip(EMOTIONS, per_label, strict=True)},
        "sentiment_comments": len(truth),
        "sentiment_macro_f1": round(ours_3, 4),
        "sentiment_macro_f1_word_list": round(words_3, 4),
        "read_as_unknown": unknown,
        "ms_per_message_one_at_a_time_p50": round(statistics.median(one_ms), 2),
        "ms_per_message_one_at_a_time_p90": round(percentile(one_ms, 0.9), 2),
        "ms_per_message_batched": round(batch_ms, 3),
        "ms_per_message_word_list_p50": round(statistics.median(words_ms), 3),
        "cold_os1_affect_one_line_s": round(cold, 2),
        "cold_os1_affect_help_s": round(bare, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="folder with GoEmotions' test.tsv")
    parser.add_argument("--timed", type=int, default=300, help="messages timed one by one")
    parser.add_argument("--no-save", action="store_true", help="print only (a trial run)")
    args = parser.parse_args()
    console = Console()
    figures = asyncio.run(measure(args.data, args.timed, console))
    if not args.no_save:
        save("affect", figures)
    f = figures
    console.print(
        f"\nGoEmotions test, {f['test_comments']} comments, macro-F1 over 28 labels: "
        f"os1 {f['macro_f1']:.3f}, the most common label for all {f['macro_f1_majority']:.3f}"
        f" (BERT-base in the paper: 0.46). Target: 0.50.\n"
        f"Sentiment (3 ways, {f['sentiment_comments']} comments), macro-F1: os1 "
        f"{f['sentiment_macro_f1']:.3f}, the old word list {f['sentiment_macro_f1_word_list']:.3f}"
        f" ({f['sentiment_macro_f1'] / max(f['sentiment_macro_f1_word_list'], 1e-9):.2f}×).\n"
        f"Time per message: {f['ms_per_message_one_at_a_time_p50']:.1f} ms p50 and "
        f"{f['ms_per_message_one_at_a_time_p90']:.1f} ms p90 one at a time (target ≤ 20), "
        f"{f['ms_per_message_batched']:.2f} ms batched; the word list "
        f"{f['ms_per_message_word_list_p50']:.2f} ms.\n"
        f"Cold: `os1 affect` on one line in a new process {f['cold_os1_affect_one_line_s']:.2f} s,"
        f" `os1 affect --help` {f['cold_os1_affect_help_s']:.2f} s."
    )


if __name__ == "__main__":
    main()
