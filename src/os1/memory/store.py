"""``Memory``: what the companion remembers, for every person it serves.

Composes the episode log, the vector index and the retriever, and keeps vectors caught
up in the background: new episodes are searchable by words the instant they commit and
by meaning once the embedder (in a worker thread) has seen them. The embedder loads on
first use, so a process that never searches never pays for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.memory.retrieval import Hit, Kind, Retriever
from os1.memory.vectors import VectorIndex
from os1.store import UserStore
from os1.store.sqlite import Scoped

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
_TABLES: dict[Kind, str] = {"episode": "episodes", "fact": "facts"}


class Memory:
    """Args:
    embedder: the embedding route (``static``, ``minilm``) or ``none`` for words only.
    cache_dir: where model files are built and kept.
    """

    def __init__(self, embedder: str, cache_dir: Path) -> None:
        self.embedder_name = embedder
        self.cache_dir = cache_dir
        self._embedder: Any = None
        self._index: VectorIndex | None = None
        self._load_lock = asyncio.Lock()
        self._index_locks: dict[int, asyncio.Lock] = {}

    def warm_up(self) -> asyncio.Task[Any] | None:
        """Start loading the embedder in the background (turns never wait for it)."""
        if self.embedder_name == "none" or self._embedder is not None:
            return None
        return asyncio.get_running_loop().create_task(self._ready())

    async def _ready(self, progress: Progress | None = None) -> tuple[Any, VectorIndex | None]:
        if self.embedder_name == "none":
            return None, None
        async with self._load_lock:
            if self._embedder is None:
                from os1.models.embed import embedder_from

                self._embedder = await asyncio.to_thread(
                    embedder_from, self.embedder_name, self.cache_dir, progress
                )
                self._index = VectorIndex(self._embedder.name, self._embedder.dim)
        return self._embedder, self._index

    def episodes(self, store: UserStore) -> EpisodeLog:
        return EpisodeLog(store)

    async def record(self, store: UserStore, episodes: list[NewEpisode]) -> int:
        """Store episodes (searchable by words at once); returns how many were new."""
        return await EpisodeLog(store).add_many(episodes)

    async def pending(self, store: UserStore) -> int:
        """How many memories still wait for their vectors."""

        def count(db: Scoped) -> int:
            return sum(
                int(
                    db.execute(
                        f"SELECT COUNT(*) FROM {t} WHERE user_id = :user_id AND embedded = 0"
                    )[0][0]
                )
                for t in _TABLES.values()
            )

        return await store.read(count)

    async def index_pending(
        self, store: UserStore, progress: Progress | None = None, batch: int = 256
    ) -> int:
        """Embed every memory of this person that has no vector yet; returns how many.

        Safe to interrupt at any point: each batch commits on its own.
        """
        embedder, index = await self._ready()
        if embedder is None or index is None:
            return 0
        lock = self._index_locks.setdefault(store.user.id, asyncio.Lock())
        done = 0
        async with lock:
            total = await self.pending(store)
            for kind in _TABLES:
                while count := await self._index_batch(store, kind, embedder, index, batch):
                    done += count
                    if progress:
                        progress(done, total)
        return done

    async def _index_batch(
        self, store: UserStore, kind: Kind, embedder: Any, index: VectorIndex, batch: int
    ) -> int:
        sql = (
            f"SELECT id, text FROM {_TABLES[kind]} WHERE user_id = :user_id AND embedded = 0"
            f" ORDER BY id LIMIT {int(batch)}"
        )
        rows = await store.read(lambda db: db.execute(sql))
        if not rows:
            return 0
        ids = [int(r[0]) for r in rows]
        vectors = await asyncio.to_thread(embedder.embed, [r[1] for r in rows])
        await store.transaction(lambda db: _write_vectors(db, index, kind, ids, vectors))
        return len(ids)

    async def search(
        self,
        store: UserStore,
        query: str,
        k: int = 10,
        now: float | None = None,
        wait: bool = True,
    ) -> list[Hit]:
        """The best ``k`` memories for ``query``.

        With ``wait=False`` (a turn in progress) an embedder still loading is not waited
        for: the search uses words and time only this once.
        """
        if wait or self._embedder is not None:
            embedder, index = await self._ready()
        else:
            embedder, index = None, None
        return await Retriever(embedder, index).search(store, query, k=k, now=now)

    async def forget(self, store: UserStore, kind: Kind, ids: list[int]) -> int:
        """Remove memories from every table and index; facts resting only on forgotten
        episodes go too (their evidence is gone). Returns how many items were removed."""
        if not ids:
            return 0

        def work(db: Scoped) -> int:
            marks = ",".join(str(int(i)) for i in ids)
            facts: list[int] = []
            if kind == "episode":
                facts = [
                    int(r[0])
                    for r in db.execute(
                        "SELECT f.id FROM facts f WHERE f.user_id = :user_id AND f.id IN"
                        f" (SELECT fact_id FROM fact_sources WHERE episode_id IN ({marks}))"
                        " AND NOT EXISTS (SELECT 1 FROM fact_sources s WHERE s.fact_id = f.id"
                        f" AND s.episode_id NOT IN ({marks}))"
                    )
                ]
            removed = _delete(db, kind, ids)
            if facts:
                removed += _delete(db, "fact", facts)
            return removed

        return await store.transaction(work)


def _write_vectors(
    db: Scoped, index: VectorIndex, kind: Kind, ids: list[int], vectors: np.ndarray
) -> None:
    index.ensure(db)
    # a memory forgotten while its vector was being computed must not come back
    table = _TABLES[kind]
    marks = ",".join(str(i) for i in ids)
    alive = [int(r[0]) for r in db.execute(
        f"SELECT id FROM {table} WHERE user_id = :user_id AND id IN ({marks})")]  # fmt: skip
    keep = [n for n, i in enumerate(ids) if i in set(alive)]
    if keep:
        index.add(db, kind, [ids[n] for n in keep], vectors[keep])
        db.execute(f"UPDATE {table} SET embedded = 1 WHERE user_id = :user_id AND id IN ({marks})")


def _delete(db: Scoped, kind: Literal["episode", "fact"], ids: list[int]) -> int:
    marks = ",".join(str(int(i)) for i in ids)
    VectorIndex.forget_everywhere(db, kind, ids)
    table = _TABLES[kind]
    db.execute(f"DELETE FROM {table} WHERE user_id = :user_id AND id IN ({marks})")
    return int(db.conn.execute("SELECT changes()").fetchone()[0])
