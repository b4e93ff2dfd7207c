"""Trains os1's emotion reader (``src/os1/persona/emotions.py``) on GoEmotions and writes
the weights it ships with, ``src/os1/persona/data/goemotions.npz``.

The data: GoEmotions (Demszky et al., 2020; CC BY 4.0), the ``train.tsv`` and ``dev.tsv``
of ``google-research/google-research`` (goemotions/data) or of the mirror
``monologg/GoEmotions-pytorch`` (data/original): one comment a line, its text, the ids of
its labels (comma-separated, in ``emotions.EMOTIONS`` order) and the comment's id. The
test split is never read here: ``bench/affect.py`` scores it once.

Train and dev are pooled (48,836 comments) and cut into ``--folds`` (5):

1. Each comment becomes its TF-IDF row over the words and word pairs seen in at least
   two comments (``emotions.grams``, the same code the reader runs), beside the
   sentence vector of ``--embedder`` (``static``: the route memory computes anyway).
2. One logistic regression per feeling (scikit-learn's liblinear, L2, ``--c``) over
   both, fitted once per fold without it; each comment is then read by the model that
   never saw it, and each feeling's threshold is the one with the best F1 over those
   out-of-fold readings (the macro-F1 printed). The shipped model is fitted on all.
3. Words and pairs whose weights are all weak are dropped, up to the bar that costs fold
   0's held-out comments at most 0.002 of macro-F1, which keeps the file smaller.

Run: .venv/bin/python bench/affect_train.py DIR [--embedder static] [--c 4] [--folds 5]
(about 20 minutes with the static embedder on this 2-core machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import Progress
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier

from os1.config import load_settings
from os1.models.embed import embedder_from
from os1.persona.emotions import EMOTIONS, WEIGHTS, grams, labelled

GRID = np.arange(0.05, 0.9, 0.025)
# a word or pair is kept when some feeling weighs it at least this much: the largest
# bar that costs at most LOSS of dev macro-F1
PRUNING = (0.5, 0.8, 1.0, 1.2, 1.5)
LOSS = 0.002
FOLDS = 5
SEED = 20


def read_split(path: Path) -> tuple[list[str], NDArray[np.bool_]]:
    """The texts of a GoEmotions split and their labels, one row of 28 flags each."""
    texts, labels = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split("\t")
        if len(parts) < 2:
            raise SystemExit(f"{path}:{number}: expected text<TAB>labels<TAB>id")
        row = np.zeros(len(EMOTIONS), dtype=bool)
        row[[int(i) for i in parts[1].split(",")]] = True
        texts.append(parts[0])
        labels.append(row)
    return texts, np.array(labels)


def vocabulary(texts: list[str]) -> tuple[list[str], NDArray[np.float32]]:
    """The words and pairs seen in at least two texts, and their smoothed idf."""
    seen: Counter[str] = Counter()
    for text in texts:
        seen.update(set(grams(text)))
    kept = sorted(g for g, n in seen.items() if n >= 2)
    idf = [math.log((1 + len(texts)) / (1 + seen[g])) + 1.0 for g in kept]
    return kept, np.array(idf, dtype=np.float32)


def tfidf(texts: list[str], words: list[str], idf: NDArray[np.float32]) -> sparse.csr_matrix:
    """Rows of sub-linear counts times idf, each of unit length (as the reader makes them)."""
    index = {w: i for i, w in enumerate(words)}
    rows, cols, values = [], [], []
    for row, text in enumerate(texts):
        counts = grams(text)
        ids = [index[g] for g in counts if g in index]
        weights = np.array([(1.0 + math.log(counts[words[i]])) * idf[i] for i in ids])
        norm = float(np.linalg.norm(weights)) if ids else 1.0
        rows += [row] * len(ids)
        cols += ids
        values += list(weights / norm)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(texts), len(words)))


def best_thresholds(labels: NDArray[np.bool_], probability: NDArray[np.float64]) -> NDArray:
    return np.array([
        max(GRID, key=lambda t: f1_score(labels[:, k], probability[:, k] >= t, zero_division=0))
        for k in range(len(EMOTIONS))
    ])  # fmt: skip


def macro_f1(labels: NDArray[np.bool_], probability: NDArray, thresholds: NDArray) -> float:
    guessed = labelled(probability, thresholds)
    return float(f1_score(labels, guessed, average="macro", zero_division=0))


def fitted(x: sparse.csr_matrix, labels: NDArray[np.bool_], c: float) -> tuple[NDArray, NDArray]:
    """One logistic regression per feeling: the weights ``(features, 28)`` and biases."""
    solver = LogisticRegression(C=c, max_iter=3000, solver="liblinear")
    model = OneVsRestClassifier(solver).fit(x, labels)
    weights = np.vstack([e.coef_[0] for e in model.estimators_]).T
    return weights, np.array([e.intercept_[0] for e in model.estimators_])


def probability(x: sparse.csr_matrix, weights: NDArray, bias: NDArray) -> NDArray:
    return np.asarray(1 / (1 + np.exp(-(x @ weights + bias))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="folder with GoEmotions train.tsv and dev.tsv")
    parser.add_argument("--embedder", default="static", choices=("static", "minilm", "mpnet"))
    parser.add_argument("--c", type=float, default=4.0, help="inverse L2 strength")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    console = Console()
    texts, labels = read_split(args.data / "train.tsv")
    dev_texts, dev_labels = read_split(args.data / "dev.tsv")
    texts, labels = texts + dev_texts, np.vstack([labels, dev_labels])
    settings = load_settings()
    with console.status(f"sentence vectors ({args.embedder})"):
        embedder = embedder_from(args.embedder, settings.cache_dir)
        vectors = embedder.embed(texts)
    words, idf = vocabulary(texts)
    lexical_x = tfidf(texts, words, idf)
    x = sparse.hstack([lexical_x, vectors]).tocsr()
    console.print(f"{len(texts)} comments (train and dev), {len(words)} words and pairs")
    fold = np.random.default_rng(SEED).permutation(len(texts)) % args.folds
    out_of_fold = np.zeros(labels.shape)
    first: tuple[NDArray, NDArray] | None = None
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("fitting, a fold at a time", total=args.folds + 1)
        for k in range(args.folds):
            weights, bias = fitted(x[fold != k], labels[fold != k], args.c)
            out_of_fold[fold == k] = probability(x[fold == k], weights, bias)
            first = first or (weights, bias)
            progress.advance(task)
        weights, bias = fitted(x, labels, args.c)
        progress.advance(task)
    thresholds = best_thresholds(labels, out_of_fold)
    full = macro_f1(labels, out_of_fold, thresholds)
    console.print(f"out-of-fold macro-F1 {full:.3f} (each comment read by a model that never "
                  "saw it)")  # fmt: skip

    # drop the weakest words while fold 0's held-out comments read no worse
    assert first is not None
    held = np.flatnonzero(fold == 0)
    held_texts = [texts[i] for i in held]
    least_kept, pruned = 0.0, macro_f1(labels[held], out_of_fold[held], thresholds)
    for least in PRUNING:
        keep = np.flatnonzero(np.abs(first[0][: len(words)]).max(axis=1) >= least)
        # read as the shipped reader will: each row's length over the kept words alone
        rows = sparse.hstack([tfidf(held_texts, [words[i] for i in keep], idf[keep]),
                              vectors[held]]).tocsr()  # fmt: skip
        kept_weights = np.vstack([first[0][keep], first[0][len(words) :]])
        score = macro_f1(labels[held], probability(rows, kept_weights, first[1]), thresholds)
        console.print(f"  fold 0 keeping {len(keep)} words and pairs (weight ≥ {least}): "
                      f"{score:.3f}")  # fmt: skip
        if score < pruned - LOSS:
            break
        least_kept = least
    lexical, vector = weights[: len(words)], weights[len(words) :]
    kept = np.flatnonzero(np.abs(lexical).max(axis=1) >= least_kept)
    console.print(f"kept {len(kept)} of {len(words)} words and pairs (weight ≥ {least_kept})")
    info = {
        "data": "GoEmotions (Demszky et al., 2020), CC BY 4.0: train and dev splits",
        "embedder": args.embedder, "c": args.c, "folds": args.folds,
        "out_of_fold_macro_f1": round(full, 4), "trained": dt.date.today().isoformat(),
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        vocabulary=np.array([words[i] for i in kept]),
        idf=idf[kept],
        lexical=lexical[kept].astype(np.float16),
        vector=vector.astype(np.float32),
        bias=bias.astype(np.float32),
        thresholds=thresholds.astype(np.float32),
        info=np.array(json.dumps(info)),
    )
    console.print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
