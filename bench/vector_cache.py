"""What a new message costs the next search on PostgreSQL, for a person with a long life.

On PostgreSQL a worker ranks a person's vectors itself, from a per-process cache checked
against the rows on every search (``os1/memory/vectors.py``). Every turn adds memories,
so every turn changes the rows. This benchmark gives one person ``--memories`` memories,
then, round after round, adds one message, embeds it, and times the next search by
meaning over every route os1 keeps (``--embedders``, os1's default: static and MPNet)
two ways in the same run:

- **os1**: the warm worker, which reads only the vectors newer than those it holds;
- **baseline**: the same search with the cache dropped first, as a new process (or the
  cache before this read new vectors alone) reads all of the person's vectors.

The life is real talk when ``--life`` names LoCoMo's ``locomo10.json`` (its turns in
order, again and again until there are enough), else generated lines. Each distinct line
is embedded once, so that building a long life takes minutes, not an hour of MPNet.
The database must be empty (``createdb``); the person is left in it.

Run: .venv/bin/python bench/vector_cache.py --postgres-url postgresql://os1@host/empty_db
     [--life locomo10.json] [--memories 20000] [--rounds 15] [--embedders static,mpnet]
     [--no-save]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress

from figures import save
from locomo import turns_of
from os1.config import Settings, load_settings
from os1.memory import vectors
from os1.memory.episodes import NewEpisode
from os1.memory.store import Memory
from os1.store.postgres import PostgresDatabase

QUERY = "a puppy playing by the sea"


def said_lines(life: Path | None) -> Iterator[NewEpisode]:
    """The person's memories, without end: LoCoMo's turns over and over, or made-up ones."""
    if life is None:
        lines = (NewEpisode("user", f"Walked the dog by the river, {i % 97} laps.")
                 for i in itertools.count())  # fmt: skip
        yield from lines
        return
    turns = [
        NewEpisode(turn.speaker, turn.text)
        for sample in json.loads(life.read_text(encoding="utf-8"))
        for turn in turns_of(sample["conversation"])
        if turn.text
    ]
    if not turns:
        raise SystemExit(f"{life} holds no LoCoMo turns (a list of samples with sessions)")
    yield from itertools.cycle(turns)


def remembering(embed: Callable[[list[str]], Any]) -> Callable[[list[str]], np.ndarray]:
    """``embed``, each distinct text computed once: a life cycled from a few thousand
    turns then costs a few thousand embeddings."""
    known: dict[str, np.ndarray] = {}

    def embed_once(texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in known]
        if new:
            known.update(zip(new, np.asarray(embed(new)), strict=True))
        return np.stack([known[t] for t in texts])

    return embed_once


async def run(
    url: str, life: Path | None, memories: int, rounds: int, settings: Settings, console: Console
) -> dict[str, Any]:
    db = await PostgresDatabase.open(url, settings.home)
    try:
        memory = Memory(settings.embed_routes, settings.cache_dir)
        routes = await memory.routes()
        for route in routes:
            route.embedder.embed = remembering(route.embedder.embed)
        store = await db.user("long-life")
        lines = said_lines(life)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("a long life", total=memories)
            for start in range(0, memories, 1000):
                batch = list(itertools.islice(lines, min(1000, memories - start)))
                await memory.record(store, batch)
                await memory.index_pending(store)
                bar.advance(task, len(batch))
        queries = [np.asarray(r.embedder.embed([QUERY])[0], dtype=np.float32) for r in routes]

        async def search() -> float:
            started = time.perf_counter()
            for route, query in zip(routes, queries, strict=True):
                await store.read(lambda d, r=route, q=query: r.index.search(d, "episode", q, k=100))
            return time.perf_counter() - started

        first = await search()
        warm, cold = [], []
        for n in range(rounds):
            await memory.record(store, [NewEpisode("user", f"We swam at the seaside, {n}.")])
            await memory.index_pending(store)
            warm.append(await search())
            vectors._CACHE = vectors._PersonVectors()  # as a new process would start
            cold.append(await search())
    finally:
        await db.aclose()
    return {
        "memories": memories,
        "life": "LoCoMo turns" if life else "generated lines",
        "routes": [r.embedder.name for r in routes],
        "rounds": rounds,
        "first_search_ms": first * 1000,
        "os1_p50_ms": statistics.median(warm) * 1000,
        "os1_max_ms": max(warm) * 1000,
        "baseline_p50_ms": statistics.median(cold) * 1000,
        "baseline_max_ms": max(cold) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--life", type=Path, help="LoCoMo's locomo10.json: real turns")
    parser.add_argument("--memories", type=int, default=20_000, help="the person's memories")
    parser.add_argument("--rounds", type=int, default=15, help="messages added and timed")
    parser.add_argument("--embedders", help="routes searched (default: os1's own)")
    parser.add_argument("--no-save", action="store_true", help="print only, keep no results")
    options = parser.parse_args()
    if options.memories < 1 or options.rounds < 1:
        parser.error("--memories and --rounds must be at least 1")
    if options.life and not options.life.is_file():
        parser.error(f"--life: no file at {options.life}")
    console = Console()
    with tempfile.TemporaryDirectory() as home:
        chosen = {"embedders": options.embedders} if options.embedders else {}
        settings = load_settings({"home": home, **chosen})
        figures = asyncio.run(
            run(options.postgres_url, options.life, options.memories, options.rounds,
                settings, console)
        )  # fmt: skip
    console.print(
        f"{figures['memories']:,} memories ({figures['life']}), routes "
        f"{', '.join(figures['routes'])}; every route's search after each new message, "
        f"p50 of {figures['rounds']}:\n"
        f"  os1 (reads the new vectors only)  {figures['os1_p50_ms']:8.1f} ms"
        f"  (max {figures['os1_max_ms']:.1f})\n"
        f"  baseline (reads them all)         {figures['baseline_p50_ms']:8.1f} ms"
        f"  (max {figures['baseline_max_ms']:.1f})\n"
        f"  ratio baseline/os1 {figures['baseline_p50_ms'] / figures['os1_p50_ms']:.1f}x;"
        f" the first search in the process {figures['first_search_ms']:.0f} ms"
    )
    if not options.no_save:
        save("vector_cache_postgresql", figures)


if __name__ == "__main__":
    main()
