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


async def test_a_long_life_is_ranked_through_the_one_bit_pass_like_the_exact_rank(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``EXACT_POOL`` memories only those nearest by 1-bit code are ranked exactly
    (turning every float16 vector into float32 for each search was most of its time):
    the five memories of the topic a question is about still come first, in the exact
    rank's order. Memories added one at a time are ranked as a new process ranks them."""
    monkeypatch.setattr(vectors, "_CACHE", vectors._PersonVectors())
    monkeypatch.setattr(vectors, "EXACT_POOL", 200)
    rng = np.random.default_rng(7)

    def unit(rows: np.ndarray) -> np.ndarray:
        return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)

    topics = unit(rng.standard_normal((600, 128)))  # 600 topics, five memories each
    kept = unit(np.repeat(topics, 5, axis=0) + 0.08 * rng.standard_normal((3000, 128)))
    index = vectors.VectorIndex("a-test-model", 128)
    db = await PostgresDatabase.open(postgres_url, tmp_path)
    store = await db.user("ann")
    await store.transaction(lambda d: index.add(d, "episode", list(range(1, 3001)), kept))
    exact = kept.astype(np.float16).astype(np.float32)
    for topic in (1, 247, 599):
        query = unit(topics[topic] + 0.08 * rng.standard_normal(128))
        found = await store.read(lambda d, q=query: index.search(d, "episode", q, k=10))
        best = [int(i) + 1 for i in np.argsort(-(exact @ query))[:5]]
        assert sorted(best) == list(range(5 * topic + 1, 5 * topic + 6))
        assert [i for i, _ in found[:5]] == best
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)

    # A new memory a turn, searched after each: kept as chunks, then one matrix again.
    query = unit(topics[42] + 0.08 * rng.standard_normal(128))
    for n in range(vectors.CHUNKS + 4):
        near = unit(topics[42] + 0.02 * rng.standard_normal((1, 128)))
        await store.transaction(lambda d, v=near, i=3001 + n: index.add(d, "episode", [i], v))
        warm = await store.read(lambda d: index.search(d, "episode", query, k=10))
    assert {i for i, _ in warm[:5]} <= set(range(3001, 3001 + vectors.CHUNKS + 4))
    with monkeypatch.context() as fresh:
        fresh.setattr(vectors, "_CACHE", vectors._PersonVectors())
        assert warm == await store.read(lambda d: index.search(d, "episode", query, k=10))
    await db.aclose()
