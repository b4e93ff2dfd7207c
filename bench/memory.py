"""Recall quality and speed of os1's memory against plain BM25, in one run.

Quality: several generated lives (``memory_corpus.py``), each one person, imported as
episodes; every question is searched by os1 (words + meaning + time, fused) and by plain
FTS5 BM25 over the same messages. Prints recall@5 and recall@10 per question type for
both, and for each embedding route, so the route is chosen by the figures.

Speed: one person with 100,000 episodes: acknowledged ingest rate, single-episode add
latency, vectors/s catching up in the background, search p50/p99 for os1 and for BM25
alone (the ratio), and resident memory.

Run: .venv/bin/python bench/memory.py [--lives 8] [--episodes 100000] [--routes static+mpnet,static]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from figures import save
from memory_corpus import FILL_WORDS, FILLER, Corpus, generate
from os1.config import load_settings
from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.memory.retrieval import fts_query
from os1.memory.store import Memory
from os1.store import Database, UserStore

console = Console(width=150)
KINDS = ("single-hop", "multi-hop", "temporal", "updated", "unanswerable")


class CachedEmbedder:
    """Same vectors, computed once per distinct text (the corpus repeats its filler)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if todo:
            for text, vec in zip(todo, self.inner.embed(todo), strict=True):
                self.cache[text] = vec
        return np.stack([self.cache[t] for t in texts]) if texts else self.inner.embed([])


def episodes_of(corpus: Corpus) -> list[NewEpisode]:
    return [
        NewEpisode(m.speaker, m.text, m.time.timestamp(), "import", m.id, m.session)
        for m in corpus.messages
    ]


def bm25(db_rows: list[Any]) -> list[str]:
    return [r[0] for r in db_rows]


async def bm25_search(store: UserStore, query: str, k: int) -> list[str]:
    words = fts_query(query)
    if not words:
        return []
    rows = await store.read(
        lambda db: db.execute(
            "SELECT e.source_id FROM episodes_fts f JOIN episodes e ON e.id = f.rowid"
            " WHERE episodes_fts MATCH :q AND e.user_id = :user_id ORDER BY f.rank LIMIT :k",
            {"q": words, "k": k},
        )
    )
    return bm25(rows)


def recall(found: list[str], relevant: frozenset[str], k: int) -> float:
    return len(relevant & set(found[:k])) / len(relevant)


async def quality(
    routes: list[str], lives: int, cache_dir: Path
) -> dict[str, dict[str, list[float]]]:
    """recall figures: {system: {"kind@k": [per-question recall]}}."""
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    home = Path(tempfile.mkdtemp(prefix="os1-bench-mem-"))
    db = await Database.open(home / "os1.db")
    corpora = [generate(seed=seed) for seed in range(1, lives + 1)]
    memories = {}
    for route in routes:
        memory = Memory(route.split("+"), cache_dir)
        for loaded in await memory.routes():
            object.__setattr__(loaded, "embedder", CachedEmbedder(loaded.embedder))
        memories[route] = memory
    for life, corpus in enumerate(corpora):
        with console.status(f"life {life + 1}/{lives}: importing and indexing"):
            for route, memory in memories.items():
                store = await db.user(f"life{life}-{route}")
                await memory.record(store, episodes_of(corpus))
                await memory.index_pending(store)
        for question in corpus.questions:
            if not question.relevant:
                continue
            store = await db.user(f"life{life}-{routes[0]}")
            lexical = await bm25_search(store, question.text, 10)
            for k in (5, 10):
                scores["BM25"][f"{question.kind}@{k}"].append(recall(lexical, question.relevant, k))
            for route, memory in memories.items():
                store = await db.user(f"life{life}-{route}")
                hits = await memory.search(store, question.text, k=10, now=corpus.now.timestamp())
                found = [s for h in hits for s in h.source_ids]
                for k in (5, 10):
                    scores[f"os1 ({route})"][f"{question.kind}@{k}"].append(
                        recall(found, question.relevant, k)
                    )
    await db.aclose()
    return scores


def show_quality(scores: dict[str, dict[str, list[float]]], lives: int) -> None:
    table = Table(title=f"recall by question type ({lives} generated lives, unseen wording)")
    table.add_column("question type")
    table.add_column("n", justify="right")
    systems = list(scores)
    for system in systems:
        table.add_column(f"{system}\n@5 / @10", justify="right")
    for kind in KINDS[:-1]:
        n = len(scores["BM25"].get(f"{kind}@5", []))
        row = [kind, str(n)]
        for system in systems:
            r5 = statistics.mean(scores[system][f"{kind}@5"]) if n else float("nan")
            r10 = statistics.mean(scores[system][f"{kind}@10"]) if n else float("nan")
            row.append(f"{r5:.2f} / {r10:.2f}")
        table.add_row(*row)
    console.print(table)


def filler_texts(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    nouns = [
        "apple",
        "river",
        "window",
        "garden",
        "letter",
        "music",
        "train",
        "paper",
        "storm",
        "lamp",
        "coffee",
        "field",
    ]
    out = []
    for i in range(count):
        text = rng.choice(FILLER)
        for key, words in FILL_WORDS.items():
            text = text.replace("{" + key + "}", rng.choice(words))
        out.append(f"{text} {rng.choice(nouns)} {rng.choice(nouns)} #{i}")
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def speed(route: str, episodes: int, cache_dir: Path) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="os1-bench-speed-"))
    db = await Database.open(home / "os1.db")
    store = await db.user("many")
    memory = Memory(route.split("+"), cache_dir)
    log = EpisodeLog(store)
    texts = filler_texts(episodes)
    base = time.time() - 400 * 86400
    batch = 1000
    started = time.perf_counter()
    for i in range(0, episodes, batch):
        chunk = [
            NewEpisode("user", t, base + (i + j) * 300, "import", f"x{i + j}")
            for j, t in enumerate(texts[i : i + batch])
        ]
        await log.add_many(chunk)
    ingest_s = time.perf_counter() - started
    singles = []
    for n in range(300):
        t0 = time.perf_counter()
        await log.add(NewEpisode("user", f"a single new thought number {n}", time.time()))
        singles.append(time.perf_counter() - t0)
    text_ok = await bm25_search(store, "single new thought number 299", 1)
    rates: dict[str, float] = {}
    for loaded in await memory.routes():
        # the fast route covers everything; a slow one is timed on a sample and left to
        # catch up in the background, as it would in real use
        limit = episodes if loaded.index.model == "static" else 2048
        started = time.perf_counter()
        done = 0
        with console.status(f"embedding with {loaded.index.model}"):
            while done < limit and (n := await memory._index_batch(store, "episode", loaded, 256)):
                done += n
        rates[loaded.index.model] = done / (time.perf_counter() - started)
    queries = [
        "where does my sister live",
        "what did I eat last week",
        "coffee in the garden",
        "the storm and the train",
        "what happened in March",
        "running shoes",
        "call with the bank",
        "documentary about whales",
    ]
    ours, lexical = [], []
    for n in range(200):
        q = queries[n % len(queries)] + ("" if n < len(queries) else f" {n}")
        t0 = time.perf_counter()
        await memory.search(store, q, k=10)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await bm25_search(store, q, 10)
        lexical.append(time.perf_counter() - t0)
    await db.aclose()
    q = functools.partial(np.percentile, axis=None)
    return {
        "episodes": episodes,
        "ingest_per_s": episodes / ingest_s,
        "add_p50_ms": q(singles, 50) * 1000,
        "add_p99_ms": q(singles, 99) * 1000,
        "searchable_at_once": float(bool(text_ok)),
        **{f"embed_per_s_{k}": v for k, v in rates.items()},
        "search_p50_ms": q(ours, 50) * 1000,
        "search_p99_ms": q(ours, 99) * 1000,
        "bm25_p50_ms": q(lexical, 50) * 1000,
        "bm25_p99_ms": q(lexical, 99) * 1000,
        "rss_mb": rss_mb(),
    }


def show_speed(figures: dict[str, float], route: str) -> None:
    table = Table(title=f"speed at {figures['episodes']:,.0f} episodes (embedding: {route})")
    table.add_column("measure")
    table.add_column("os1", justify="right")
    table.add_column("BM25 alone", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        "ingest, acknowledged (episodes/s)", f"{figures['ingest_per_s']:,.0f}", "", ">= 1,000"
    )
    table.add_row(
        "add one episode p50 / p99 (ms)",
        f"{figures['add_p50_ms']:.1f} / {figures['add_p99_ms']:.1f}",
        "",
        "p50 < 20",
    )
    table.add_row(
        "searchable by words at once", "yes" if figures["searchable_at_once"] else "NO", "", "yes"
    )
    for key, value in figures.items():
        if key.startswith("embed_per_s_"):
            table.add_row(f"vectors/s, {key[12:]} route (background)", f"{value:,.0f}", "", "")
    table.add_row(
        "search p50 / p99 (ms)",
        f"{figures['search_p50_ms']:.1f} / {figures['search_p99_ms']:.1f}",
        f"{figures['bm25_p50_ms']:.1f} / {figures['bm25_p99_ms']:.1f}",
        "< 30 / < 100",
    )
    table.add_row(
        "search time os1 / BM25 (p50)",
        f"{figures['search_p50_ms'] / figures['bm25_p50_ms']:.2f}x",
        "",
        "",
    )
    table.add_row("peak resident memory (MB)", f"{figures['rss_mb']:,.0f}", "", "")
    console.print(table)


async def main(args: argparse.Namespace) -> None:
    settings = load_settings()
    routes = [r for r in args.routes.split(",") if r]
    scores = await quality(routes, args.lives, settings.cache_dir)
    show_quality(scores, args.lives)
    recall = {
        system: {kind: {"mean": sum(v) / len(v), "n": len(v)} for kind, v in by_kind.items() if v}
        for system, by_kind in scores.items()
    }
    figures: dict[str, object] = {"lives": args.lives, "recall": recall}
    if args.episodes:
        figures["speed"] = await speed(routes[0], args.episodes, settings.cache_dir)
        figures["speed_route"] = routes[0]
        show_speed(figures["speed"], routes[0])  # type: ignore[arg-type]
    save("memory", figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lives", type=int, default=8, help="generated lives for recall (default 8)"
    )
    parser.add_argument(
        "--episodes", type=int, default=100_000, help="episodes for the speed part (0: skip)"
    )
    parser.add_argument(
        "--routes",
        default="static+mpnet,static,minilm,none",
        help="embedding routes to compare; the first is used for speed",
    )
    os.environ.setdefault("OS1_LLM_BACKEND", "scripted")
    asyncio.run(main(parser.parse_args()))
