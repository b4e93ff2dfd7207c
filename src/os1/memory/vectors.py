"""Vector search over memories: a bit-quantized sqlite-vec index, then an exact rerank.

Each embedding model gets its own vec0 tables (the dimension is part of the table), with
the person's id as the partition key so a search only ever scans that person's vectors.
The coarse pass compares 1-bit codes (Hamming distance, ~10 ms over 100,000 memories on
one core); the top candidates are then reranked by exact cosine on the float vectors
kept in ``embeddings``. This is the usual binary-quantization-plus-rescoring recipe.

The kept vectors are float16: they were 86 % of a person's store as float32
(``bench/capacity.py``), and half the precision moves a cosine by about 1e-3, far less
than separates the memories a rerank orders. Vectors stored as float32 before are read
as they are, so nothing is embedded again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np

from os1.store.user import Scoped

Owner = Literal["episode", "fact"]


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
        for owner in ("episode", "fact"):
            db.conn.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table(owner)} USING vec0("
                f"user_id integer partition key, embedding bit[{self.dim}])"
            )

    def add(self, db: Scoped, owner: Owner, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Index ``vectors`` (rows L2-normalized, float32) for ``ids``; call in a transaction."""
        floats = vectors.astype(np.float32)
        bits = np.packbits(floats > 0, axis=1)
        kept = floats.astype(np.float16)
        db.executemany(
            "INSERT OR REPLACE INTO embeddings (owner, owner_id, user_id, model, vec)"
            " VALUES (:owner, :id, :user_id, :model, :vec)",
            [
                {"owner": owner, "id": int(i), "model": self.model, "vec": kept[n].tobytes()}
                for n, i in enumerate(ids)
            ],
        )
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
        tables = db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
            (f"vec_{owner}_%",),
        ).fetchall()
        for (name,) in tables:
            if re.fullmatch(rf"vec_{owner}_[a-z0-9_]+_\d+", name):
                db.execute(f"DELETE FROM {name} WHERE rowid IN ({marks}) AND user_id = :user_id")
