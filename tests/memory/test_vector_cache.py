"""PostgreSQL's vectors are ranked in the worker from a per-process cache. A new turn adds
a few vectors to a life of many, so the cache reads only those; anything else that
changes the rows (a vector remade, a memory forgotten) reads them all again. Either way
a warm worker ranks exactly as a new process would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import platformdirs
import pytest

from os1.memory import vectors
from os1.memory.episodes import NewEpisode
from os1.memory.store import Memory
from os1.store import UserStore
from os1.store.postgres import PostgresDatabase

LINES = ("My dog loves the beach.", "I bake bread on Sundays.", "Our cat sleeps all day.")


async def _ranked(store: UserStore, memory: Memory, query: str) -> list[tuple[int, float]]:
    route = (await memory.routes())[0]
    vector = np.asarray(route.embedder.embed([query])[0], dtype=np.float32)
    return await store.read(lambda db: route.index.search(db, "episode", vector, k=50))


async def _as_a_new_process_ranks(
    store: UserStore, memory: Memory, query: str, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[int, float]]:
    with monkeypatch.context() as fresh:
        fresh.setattr(vectors, "_CACHE", vectors._PersonVectors())
        return await _ranked(store, memory, query)


async def test_a_warm_worker_reads_only_new_vectors_and_ranks_as_a_new_process(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors, "_CACHE", vectors._PersonVectors())
    reads: list[str] = []
    read = vectors.VectorIndex._read

    def counted(self: vectors.VectorIndex, db, where, params):  # type: ignore[no-untyped-def]
        reads.append(where)
        return read(self, db, where, params)

    monkeypatch.setattr(vectors.VectorIndex, "_read", counted)
    db = await PostgresDatabase.open(postgres_url, tmp_path)
    memory = Memory(["static"], Path(platformdirs.user_cache_dir("os1", appauthor=False)))
    store = await db.user("ann")
    await memory.record(store, [NewEpisode("user", line) for line in LINES])
    await memory.index_pending(store)
    query = "a puppy playing by the sea"
    assert await _ranked(store, memory, query) == await _as_a_new_process_ranks(
        store, memory, query, monkeypatch
    )

    reads.clear()
    await memory.record(store, [NewEpisode("user", "The puppy chased waves at the seaside.")])
    await memory.index_pending(store)
    warm = await _ranked(store, memory, query)
    assert len(warm) == 4
    assert reads == [reads[0]] and "owner_id > :seen" in reads[0]  # the new vector alone
    assert warm == await _as_a_new_process_ranks(store, memory, query, monkeypatch)

    # A vector rewritten in place (as a correction remakes it): everything is read again.
    reads.clear()
    await store.transaction(
        lambda db: db.execute(
            "UPDATE embeddings SET vec = (SELECT vec FROM embeddings e WHERE e.user_id ="
            " :user_id AND e.owner_id = (SELECT max(owner_id) FROM embeddings))"
            " WHERE user_id = :user_id AND owner_id = (SELECT min(owner_id) FROM embeddings)"
        )
    )
    warm = await _ranked(store, memory, query)
    assert reads and "owner_id > :seen" not in reads[0]
    assert warm == await _as_a_new_process_ranks(store, memory, query, monkeypatch)
    assert warm[0][1] == pytest.approx(warm[1][1])  # the first memory now ranks as the last

    # A memory forgotten: gone from the warm worker's ranking at once.
    forgotten = warm[0][0]
    await store.transaction(
        lambda db: vectors.VectorIndex.forget_everywhere(db, "episode", [forgotten])
    )
    warm = await _ranked(store, memory, query)
    assert forgotten not in [i for i, _ in warm]
    assert warm == await _as_a_new_process_ranks(store, memory, query, monkeypatch)
    await db.aclose()
