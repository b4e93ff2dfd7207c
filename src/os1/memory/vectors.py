"""Vector search over memories: a bit-quantized sqlite-vec index, then an exact rerank.

Each embedding model gets its own vec0 tables (the dimension is part of the table), with
the person's id as the partition key so a search only ever scans that person's vectors.
The coarse pass compares 1-bit codes (Hamming distance, ~10 ms over 100,000 memories on
one core); the top candidates are then reranked by exact cosine on the float vectors
kept in ``embeddings``. This is the usual binary-quantization-plus-rescoring recipe.

On PostgreSQL (no sqlite-vec there, and pgvector is not packaged for this Debian) the
vectors live in ``embeddings`` alone and a search ranks a person's vectors of one model
in the worker: a per-process cache holds them as float16 rows and their 1-bit codes,
checked against the table's count, newest id and newest row version on every search, so
a vector another worker added or replaced is seen at once. When only newer memories'
vectors came (the rows it holds all there, none rewritten), just those are read. The
same recipe then ranks them, with a wider pool than SQLite's: the ``EXACT_POOL`` nearest
by code are ranked by exact cosine, and a person with fewer memories is ranked exactly.
(Ranking every vector exactly made each search turn the whole float16 matrix into
float32 first: 60 ms of a 90 ms search at 20,000 memories with MPNet's 768 values.)

The kept vectors are float16: they were 86 % of a person's store as float32
(``bench/capacity.py``), and half the precision moves a cosine by about 1e-3, far less
than separates the memories a rerank orders. Vectors stored as float32 before are read
as they are, so nothing is embedded again.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from os1.store.dialect import is_postgres
from os1.store.user import Scoped

Owner = Literal["episode", "fact"]
EXACT_POOL = 1000  # PostgreSQL: the memories nearest by 1-bit code ranked exactly


CHUNKS = 16  # newer rows are kept as chunks this many at most, then made one matrix


class _Cached(NamedTuple):
    """A person's vectors of one model, never changed in place (searches in other
    threads may be reading them): the float16 rows stay in the chunks they were read in,
    so that a turn's few new rows do not copy the whole matrix."""

    ids: np.ndarray
    codes: np.ndarray  # each row's signs packed into bits, for the coarse pass
    chunks: tuple[np.ndarray, ...]  # float16, rows in the order of ``ids``

    def rows(self, picked: np.ndarray) -> np.ndarray:
        """The float32 rows at positions ``picked``."""
        starts = np.cumsum([0] + [len(c) for c in self.chunks[:-1]])
        which = np.searchsorted(starts, picked, side="right") - 1
        out = np.empty((len(picked), self.codes.shape[1] * 8), dtype=np.float32)
        for n in np.unique(which):
            mine = which == n
            out[mine] = self.chunks[n][picked[mine] - starts[n]]
        return out


class _PersonVectors:
    """The vectors a PostgreSQL search ranks, per person, owner and model, each with the
    stamp of the rows it was read from; the least recently used go past ``budget``."""

    def __init__(self, budget: int = 256 * 1024 * 1024) -> None:
        self.budget = budget
        self._entries: OrderedDict[tuple[int, str, str], tuple[tuple[Any, ...], _Cached]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._bytes = 0  # what the entries hold, kept as they come and go

    def get(self, key: tuple[int, str, str]) -> tuple[tuple[Any, ...], _Cached] | None:
        """What is held for ``key``, with the stamp it was read at."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(
        self,
        key: tuple[int, str, str],
        stamp: tuple[Any, ...],
        held: _Cached,
    ) -> _Cached:
        with self._lock:
            if (old := self._entries.pop(key, None)) is not None:
                self._bytes -= _size(old[1])
            self._entries[key] = (stamp, held)
            self._bytes += _size(held)
            while len(self._entries) > 1 and self._bytes > self.budget:
                self._bytes -= _size(self._entries.popitem(last=False)[1][1])
        return held


def _size(held: _Cached) -> int:
    return held.ids.nbytes + held.codes.nbytes + sum(c.nbytes for c in held.chunks)


_CACHE = _PersonVectors()


def _slug(model: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")


class VectorIndex:
    """The vectors of one embedding model (``model``, ``dim``) for episodes and facts."""

    def __init__(self, model: str, dim: int) -> None:
        if dim % 8:
            raise ValueError("the dimension must be a multiple of 8 for bit codes")
        self.model = model
        self.dim = dim
        self._slug = _slug(model)

    @property
    def sizes(self) -> tuple[int, int]:
        """Bytes of one sound stored vector: float16 (as stored now) or float32 (before)."""
        return 2 * self.dim, 4 * self.dim

    def _floats(self, blob: bytes) -> np.ndarray:
        kind = np.float16 if len(blob) == 2 * self.dim else np.float32
        return np.frombuffer(blob, dtype=kind).astype(np.float32)

    def table(self, owner: Owner) -> str:
        return f"vec_{owner}_{self._slug}_{self.dim}"

    def ensure(self, db: Scoped) -> None:
        if is_postgres(db.conn):
            return  # the vectors are ``embeddings`` rows alone
        for owner in ("episode", "fact"):
            self._create(db.conn, owner)

    def _create(self, conn: Any, owner: Owner) -> None:
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table(owner)} USING vec0("
            f"user_id integer partition key, embedding bit[{self.dim}])"
        )

    def add(self, db: Scoped, owner: Owner, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Index ``vectors`` (rows L2-normalized, float32) for ``ids``; call in a transaction."""
        floats = vectors.astype(np.float32)
        bits = np.packbits(floats > 0, axis=1)
        kept = floats.astype(np.float16)
        db.executemany(
            "INSERT INTO embeddings (owner, owner_id, user_id, model, vec)"
            " VALUES (:owner, :id, :user_id, :model, :vec) ON CONFLICT (owner, model, owner_id)"
            " DO UPDATE SET user_id = excluded.user_id, vec = excluded.vec",
            [
                {"owner": owner, "id": int(i), "model": self.model, "vec": kept[n].tobytes()}
                for n, i in enumerate(ids)
            ],
        )
        if is_postgres(db.conn):
            return
        table = self.table(owner)
        marks = ",".join(str(int(i)) for i in ids)
        db.execute(f"DELETE FROM {table} WHERE rowid IN ({marks}) AND user_id = :user_id")
        db.executemany(
            f"INSERT INTO {table} (rowid, user_id, embedding) VALUES (:id, :user_id, vec_bit(:b))",
            [{"id": int(i), "b": bits[n].tobytes()} for n, i in enumerate(ids)],
        )

    def search(
        self, db: Scoped, owner: Owner, query: np.ndarray, k: int = 50, coarse: int = 120
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest memories by cosine: ``(id, similarity)``, best first."""
        if is_postgres(db.conn):
            return self._scan(db, owner, query, k)
        code = np.packbits(query.astype(np.float32) > 0).tobytes()
        try:
            rows = db.execute(
                f"SELECT rowid FROM {self.table(owner)} WHERE embedding MATCH vec_bit(:code)"
                " AND k = :k AND user_id = :user_id",
                {"code": code, "k": coarse},
            )
        except Exception as exc:  # the table does not exist until the first vector
            if "no such table" in str(exc):
                return []
            raise
        return self.rerank(db, owner, [int(r[0]) for r in rows], query)[:k]

    def rerank(
        self, db: Scoped, owner: Owner, ids: Sequence[int], query: np.ndarray
    ) -> list[tuple[int, float]]:
        """Exact cosine of ``query`` against the stored vectors of ``ids``, best first."""
        if not ids:
            return []
        marks = ",".join(str(int(i)) for i in ids)
        rows = db.execute(
            "SELECT owner_id, vec FROM embeddings WHERE user_id = :user_id AND owner = :owner"
            f" AND model = :model AND owner_id IN ({marks})",
            {"owner": owner, "model": self.model},
        )
        rows = [r for r in rows if len(r[1]) in self.sizes]  # a damaged one waits to be remade
        if not rows:
            return []
        matrix = np.stack([self._floats(r[1]) for r in rows])
        scores = matrix @ query.astype(np.float32)
        order = np.argsort(-scores)
        return [(int(rows[i][0]), float(scores[i])) for i in order]

    def _scan(self, db: Scoped, owner: Owner, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The person's vectors of this model nearest ``query`` by cosine (PostgreSQL)."""
        where = "WHERE user_id = :user_id AND owner = :owner AND model = :model"
        key = (db.user_id, owner, self.model)
        known = _CACHE.get(key)
        seen = int(known[0][1]) if known else 0  # the newest memory the cache holds
        params = {"owner": owner, "model": self.model, "seen": seen}
        count, newest, version, old_count, old_version = db.execute(
            "SELECT count(*), coalesce(max(owner_id), 0), coalesce(max(xmin::text::bigint), 0),"
            " count(*) FILTER (WHERE owner_id <= :seen),"
            " coalesce(max(xmin::text::bigint) FILTER (WHERE owner_id <= :seen), 0)"
            f" FROM embeddings {where}",
            params,
        )[0]
        stamp = (int(count), int(newest), int(version))
        if known is not None and known[0] == stamp:
            held = known[1]
        elif known is not None and (int(old_count), int(old_version)) == known[0][0::2]:
            # The rows it was read from are all there, untouched; only newer memories'
            # vectors came (a turn adds a few), so read those alone, not the whole life.
            # (Bounded by the stamp's newest too, so the two stay in step even if a
            # caller read outside one snapshot: a row is never held twice.)
            more = self._read(
                db, f"{where} AND owner_id > :seen AND owner_id <= :newest",
                {**params, "newest": int(newest)},
            )  # fmt: skip
            held = _CACHE.put(key, stamp, _joined(known[1], more))
        else:
            held = _CACHE.put(key, stamp, self._read(db, where, params))
        if not len(held.ids):
            return []
        floats = query.astype(np.float32)
        pool = np.arange(len(held.ids))
        if len(pool) > max(EXACT_POOL, k):
            apart = np.bitwise_count(held.codes ^ np.packbits(floats > 0)).sum(1, dtype=np.int32)
            pool = np.argpartition(apart, EXACT_POOL)[:EXACT_POOL]
        scores = held.rows(pool) @ floats
        top = np.argsort(-scores)[:k]
        return [(int(held.ids[pool[i]]), float(scores[i])) for i in top]

    def _read(self, db: Scoped, where: str, params: dict[str, Any]) -> _Cached:
        """The ids, float16 matrix and 1-bit codes of the rows ``where`` picks (a damaged
        one is left out and waits to be made again)."""
        rows = [
            r
            for r in db.execute(f"SELECT owner_id, vec FROM embeddings {where}", params)
            if len(r[1]) in self.sizes
        ]
        ids = np.array([int(r[0]) for r in rows], dtype=np.int64)
        if not rows:
            return _Cached(ids, np.zeros((0, self.dim // 8), dtype=np.uint8), ())
        floats = np.stack([self._floats(r[1]) for r in rows])
        return _Cached(ids, np.packbits(floats > 0, axis=1), (floats.astype(np.float16),))

    @staticmethod
    def forget_everywhere(db: Scoped, owner: Owner, ids: Sequence[int]) -> None:
        """Remove ``ids`` from every vector table of every model (not just one)."""
        if not ids:
            return
        marks = ",".join(str(int(i)) for i in ids)
        db.execute(
            f"DELETE FROM embeddings WHERE user_id = :user_id AND owner = :owner"
            f" AND owner_id IN ({marks})",
            {"owner": owner},
        )
        if is_postgres(db.conn):
            return
        tables = db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
            (f"vec_{owner}_%",),
        ).fetchall()
        for (name,) in tables:
            if re.fullmatch(rf"vec_{owner}_[a-z0-9_]+_\d+", name):
                db.execute(f"DELETE FROM {name} WHERE rowid IN ({marks}) AND user_id = :user_id")


def _joined(held: _Cached, more: _Cached) -> _Cached:
    """What the cache held, with newer rows after it (as one more chunk, until there are
    ``CHUNKS``: then one matrix again, a copy once in many turns)."""
    chunks = held.chunks + more.chunks
    if len(chunks) > CHUNKS:
        chunks = (np.concatenate(chunks),)
    return _Cached(
        np.concatenate([held.ids, more.ids]), np.concatenate([held.codes, more.codes]), chunks
    )


def rebuild_bit_indexes(conn: Any, dims: dict[str, int]) -> int:
    """SQLite's 1-bit indexes made again from the kept vectors, for a store moved into
    SQLite (``os1 migrate``): the vectors are copied, their indexes are the engine's own.
    ``dims`` gives each embedder's dimension; a model not named there is read as float16.
    Runs inside the caller's transaction; returns how many vectors were indexed."""
    if is_postgres(conn):
        return 0
    indexed = 0
    for (model,) in conn.execute("SELECT DISTINCT model FROM embeddings").fetchall():
        lengths = [r[0] for r in conn.execute(
            "SELECT DISTINCT length(vec) FROM embeddings WHERE model = ?", (model,))]  # fmt: skip
        dim = dims.get(model) or min(lengths) // 2
        if dim <= 0 or dim % 8:
            continue  # not a model's vectors os1 could have made
        index = VectorIndex(model, dim)
        for owner in ("episode", "fact"):
            conn.execute(f"DROP TABLE IF EXISTS {index.table(owner)}")
            index._create(conn, owner)
            rows = conn.execute(
                "SELECT owner_id, user_id, vec FROM embeddings WHERE model = ? AND owner = ?",
                (model, owner),
            ).fetchall()
            rows = [r for r in rows if len(r[2]) in index.sizes]
            conn.executemany(
                f"INSERT INTO {index.table(owner)} (rowid, user_id, embedding)"
                " VALUES (?, ?, vec_bit(?))",
                [(r[0], r[1], np.packbits(index._floats(r[2]) > 0).tobytes()) for r in rows],
            )
            indexed += len(rows)
    return indexed
