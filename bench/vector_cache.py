"""What a new message costs the next search on PostgreSQL, for a person with a long life.

On PostgreSQL a worker ranks a person's vectors itself, from a per-process cache checked
against the rows on every search (``os1/memory/vectors.py``). Every turn adds memories,
so every turn changes the rows. This benchmark gives one person ``--memories`` memories,
then, round after round, adds one message, embeds it, and times the next vector search
two ways in the same run:

- **os1**: the warm worker, which reads only the vectors newer than those it holds;
- **baseline**: the same search with the cache dropped first, as a new process (or the
  cache before this read new vectors alone) reads all of the person's vectors.

It uses the static embedder (384 values a memory) so that building a long life takes
seconds; os1's default also keeps MPNet's 768, which doubles what a full read moves.
The database must be empty (``createdb``); the person is left in it.

Run: .venv/bin/python bench/vector_cache.py --postgres-url postgresql://os1@host/empty_db
     [--memories 20000] [--rounds 15] [--no-save]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress

from figures import save
from os1.config import load_settings
from os1.memory import vectors
from os1.memory.episodes import NewEpisode
from os1.memory.store import Memory
from os1.store.postgres import PostgresDatabase

QUERY = "a puppy playing by the sea"


async def run(url: str, memories: int, rounds: int, console: Console) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"home": home})
        db = await PostgresDatabase.open(url, Path(home))
        try:
            memory = Memory(["static"], settings.cache_dir)
            store = await db.user("long-life")
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("a long life", total=memories)
                for start in range(0, memories, 1000):
                    lines = [f"Day {i}: walked the dog by the river, {i % 97} laps."
                             for i in range(start, min(start + 1000, memories))]  # fmt: skip
                    await memory.record(store, [NewEpisode("user", line) for line in lines])
                    await memory.index_pending(store)
                    bar.advance(task, len(lines))
            route = (await memory.routes())[0]
            query = np.asarray(route.embedder.embed([QUERY])[0], dtype=np.float32)

            async def search() -> float:
                started = time.perf_counter()
                await store.read(lambda d: route.index.search(d, "episode", query, k=100))
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
    parser.add_argument("--memories", type=int, default=20_000, help="the person's memories")
    parser.add_argument("--rounds", type=int, default=15, help="messages added and timed")
    parser.add_argument("--no-save", action="store_true", help="print only, keep no results")
    options = parser.parse_args()
    console = Console()
    figures = asyncio.run(run(options.postgres_url, options.memories, options.rounds, console))
    console.print(
        f"{figures['memories']:,} memories; the vector search after each new message, "
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
