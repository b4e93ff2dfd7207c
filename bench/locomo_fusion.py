"""Learns the weights of os1's learned fusion (``os1/memory/fusion.py``) on LoCoMo.

LoCoMo (snap-research/LoCoMo, ``data/locomo10.json``, CC BY-NC 4.0, for evaluation only)
is read from the path given and never committed. Each conversation is imported into a
person of its own, as ``bench/locomo.py`` does; every scored question's best ``RERANK``
candidates by rank fusion are taken with their features, labelled by LoCoMo's evidence,
and a logistic regression (L2, standardized features, positives weighted up to balance)
is fitted on the development conversations (0-4) only. The held-out ones (5-9) are then
scored: recall@10 by rank fusion alone against the learned order, and the weights are
printed in the features' own units, ready to paste into ``fusion.py``.

Run: .venv/bin/python bench/locomo_fusion.py PATH/TO/locomo10.json [--l2 0.001]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

import numpy as np

from locomo import CATEGORIES, DEV, HELD, _jsonl, questions_of, turns_of
from os1.companion import Companion
from os1.config import load_settings
from os1.memory.fusion import FEATURES
from os1.memory.retrieval import Retriever

# conversation, category, each candidate's label, their features, the evidence's size
Example = tuple[int, int, list[bool], np.ndarray, int]


async def collect(path: Path) -> list[Example]:
    """The candidates' features and labels for every scored question of all ten."""
    samples = json.loads(await asyncio.to_thread(path.read_text, "utf-8"))
    examples: list[Example] = []
    with tempfile.TemporaryDirectory() as home:
        companion = await Companion.open(load_settings({"home": home, "llm_backend": "scripted"}))
        try:
            memory = companion.core.memory
            assert memory is not None
            retriever = Retriever(await memory.routes())
            for number, sample in enumerate(samples):
                user = f"locomo{number}"
                turns = turns_of(sample["conversation"])
                await companion.memories.import_conversation(
                    user, _jsonl(turns, Path(home)), learn=False
                )
                await companion.memories.index(user)
                store = await companion.core.store(user)
                for question in questions_of(sample):
                    hits, rows = await retriever.candidates(store, question.text)
                    if rows is None:
                        continue
                    found = [bool(set(h.source_ids) & question.evidence) for h in hits[: len(rows)]]
                    examples.append(
                        (number, question.category, found, rows, len(question.evidence))
                    )
                print(f"conversation {number}: {len(turns)} turns", flush=True)
        finally:
            await companion.aclose()
    return examples


def fit(examples: list[Example], l2: float, epochs: int = 600, rate: float = 0.5) -> np.ndarray:
    """Logistic regression by gradient descent; returns weights then bias, in the
    features' own units (the standardization folded in)."""
    x = np.vstack([e[3] for e in examples])
    y = np.concatenate([np.asarray(e[2], dtype=float) for e in examples])
    mean, spread = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / spread, np.ones((len(x), 1))])
    balance = np.where(y == 1, (len(y) - y.sum()) / max(y.sum(), 1.0), 1.0)
    balance /= balance.mean()
    w = np.zeros(z.shape[1])
    for _ in range(epochs):
        chance = 1.0 / (1.0 + np.exp(-z @ w))
        w -= rate * (z.T @ ((chance - y) * balance) / len(y) + l2 * np.append(w[:-1], 0.0))
    weights = w[:-1] / spread
    return np.append(weights, w[-1] - float(weights @ mean))


def recall(examples: list[Example], model: np.ndarray | None, k: int = 10) -> float:
    """Mean share of each question's evidence among its top k: as rank fusion put them
    (``model`` None) or as the learned model does."""
    values = []
    for _, _, labels, rows, wanted in examples:
        order = range(len(rows)) if model is None else np.argsort(-(rows @ model[:-1]))
        values.append(sum(labels[i] for i in list(order)[:k]) / wanted)
    return float(np.mean(values)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="locomo10.json from snap-research/LoCoMo")
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 penalty (default 0.001)")
    options = parser.parse_args()
    examples = asyncio.run(collect(options.path))
    dev = [e for e in examples if e[0] in DEV]
    held = [e for e in examples if e[0] in HELD]
    model = fit(dev, options.l2)
    print("\nrecall@10 (of the scored questions), rank fusion -> learned order")
    for name, part in (("dev 0-4", dev), ("held-out 5-9", held)):
        before, after = recall(part, None), recall(part, model)
        print(f"{name:<14} rank fusion {before:.3f}   learned {after:.3f}")
        for category, label in CATEGORIES.items():
            some = [e for e in part if e[1] == category]
            print(f"  {label:<12} {recall(some, None):.3f} -> {recall(some, model):.3f}")
    means = np.vstack([e[3] for e in dev]).mean(0)
    print("\n# paste into src/os1/memory/fusion.py")
    for name, weight, mean in zip(FEATURES, model[:-1], means, strict=True):
        print(f"{name:<16} weight {weight:+.3f}   mean {mean:.4f}")
    print(f"WEIGHTS = [{', '.join(f'{w:.3f}' for w in model[:-1])}]")
    print(f"BIAS = {model[-1]:.3f}")
    print(f"MEANS = [{', '.join(f'{m:.4f}' for m in means)}]")


if __name__ == "__main__":
    main()
