"""Sentence embeddings on the CPU: two transformers (MPNet, MiniLM) or a static table.

``Embedder`` is what memory and retrieval use: texts in, unit-length float32 rows out. It
is synchronous and CPU-bound by design; callers run it in a worker thread.

- ``mpnet`` (see ``mpnet.py``) is all-mpnet-base-v2 exactly, ~30 sentences/s here: the
  default exact route, as it finds far more of real talk than MiniLM.
- ``minilm`` (see ``minilm.py``) is all-MiniLM-L6-v2 exactly, ~300 sentences/s here.
- ``static`` is a model2vec-style table distilled locally from that same model (the idea
  is model2vec's, by MinishLab; this code is written from scratch): every vocabulary
  token is run through MiniLM alone, as a one-token sentence, and its pooled output
  becomes the token's vector, scaled by a Zipf-style weight so that frequent tokens
  ("the", ",") count for less than rare, meaningful ones. A sentence is the sum of its
  tokens' rows, L2-normalized: a gather and an add per token, tens of thousands of
  sentences/s. model2vec also reduces the table with PCA; measured on
  ``bench/embeddings.py``, PCA to 256 dims (and even centring alone) lowered recall@5
  (0.68 to 0.63), and normalizing token vectors or SIF weights did not help either, so
  the table keeps MiniLM's 384 raw dimensions.

Distillation runs ~30k one-token sentences through MiniLM (~20 s on two cores), once: the
table is cached in ``<cache_dir>/models/minilm-static-v1.npy`` beside a JSON stamp
(shape, sha256, recipe). A table whose bytes, shape or recipe do not match its stamp is
distilled again; a new table is written to a temporary file and renamed into place, under
a lock so that two processes do not distil at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from os1.errors import ModelError
from os1.models.minilm import (
    HIDDEN,
    MAX_TOKENS,
    Floats,
    MiniLMEmbedder,
    load_tokenizer,
    model_dir,
    normalize,
)

logger = logging.getLogger(__name__)

EMBEDDERS = ("static", "minilm", "mpnet")
CACHE_NAME = "minilm-static-v1.npy"
# Everything that shapes the table: a stamp with another recipe means "distil again".
RECIPE: dict[str, Any] = {
    "teacher": "sentence-transformers/all-MiniLM-L6-v2",
    "pooling": "mean over [CLS] token [SEP]",
    "dims": HIDDEN,
    "weighting": "log1p(zipf rank)",
}
DISTILL_BATCH = 1024

Progress = Callable[[int, int], None]


class Embedder(Protocol):
    """Turns texts into vectors whose dot product is their cosine similarity."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> Floats:
        """Embed ``texts``: float32, shape ``(len(texts), dim)``, rows of unit length.

        An empty list gives shape ``(0, dim)``; an empty string gets a valid vector.
        Synchronous and CPU-bound: call it from a worker thread.
        """
        ...


class StaticEmbedder:
    """Sentence vectors as weighted sums of distilled token vectors; see the module doc.

    Args:
        table: ``(vocab + 1, dim)`` rows, Zipf weights folded in; the extra last row is
            the vector for a text with no tokens (MiniLM's vector for the empty string).
        tokenizer: MiniLM's tokenizer (special tokens are not added).
    """

    name = "static"

    def __init__(self, table: Floats, tokenizer: Tokenizer) -> None:
        self.dim = int(table.shape[1])
        self.table = table
        self._empty = table[-1]
        self.tokenizer = tokenizer

    @classmethod
    def from_cache(cls, cache_dir: Path, progress: Progress | None = None) -> StaticEmbedder:
        """Load the cached table, distilling (and caching) it first if needed.

        Args:
            cache_dir: os1's cache dir; the table lives in its ``models`` subdir.
            progress: called as ``progress(tokens_done, tokens_total)`` while distilling.

        Raises:
            ModelError: ``embedder_missing`` if the MiniLM package is not installed.
        """
        directory = model_dir()
        tokenizer = load_tokenizer(directory, MAX_TOKENS)
        path = static_cache_path(cache_dir)
        rows = tokenizer.get_vocab_size() + 1
        table = _read_table(path, rows)
        if table is None:
            table = _build_table(path, directory, rows, progress)
        return cls(table, tokenizer)

    def embed(self, texts: list[str]) -> Floats:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        present = np.flatnonzero(lengths)
        if present.size:
            ids = np.concatenate([np.asarray(encodings[i].ids, dtype=np.int64) for i in present])
            starts = np.concatenate(([0], np.cumsum(lengths[present])[:-1]))
            out[present] = np.add.reduceat(self.table[ids], starts, axis=0)
        # No tokens, or only weightless ones ([CLS], [SEP] typed as text): the empty text.
        blank = np.einsum("ij,ij->i", out, out) < 1e-12
        out[blank] = self._empty
        return normalize(out)


def embedder_from(name: str, cache_dir: Path, progress: Progress | None = None) -> Embedder:
    """The embedder called ``name``: ``static`` (fast, distilled from MiniLM), ``minilm``
    (MiniLM-L6 itself) or ``mpnet`` (all-mpnet-base-v2, the most exact; see ``mpnet.py``).

    Args:
        name: one of ``EMBEDDERS``.
        cache_dir: os1's cache dir (``Settings.cache_dir``), where the static table lives.
        progress: passed to the static distillation, the one slow step (first run only).

    Raises:
        ModelError: ``embedder_unknown`` for another name; ``embedder_missing`` when the
            model's package is not installed.
    """
    if name == "minilm":
        return MiniLMEmbedder()
    if name == "mpnet":
        from os1.models.mpnet import MPNetEmbedder

        return MPNetEmbedder.from_cache(cache_dir.expanduser() / "models", progress)
    if name == "static":
        return StaticEmbedder.from_cache(cache_dir, progress)
    raise ModelError(
        "embedder_unknown",
        f"There is no embedder called {name!r}.",
        hint=f"Choose one of: {', '.join(EMBEDDERS)}.",
    )


def static_cache_path(cache_dir: Path) -> Path:
    """Where the distilled static table is kept for ``cache_dir``."""
    return cache_dir.expanduser() / "models" / CACHE_NAME


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _read_table(path: Path, rows: int) -> Floats | None:
    """The cached table if it matches its stamp, this recipe and this vocabulary; else None.

    The whole file is hashed on every load: at 47 MB that costs ~0.1 s and catches any
    damage, where a size-and-mtime stamp would miss a file changed in place.
    """
    try:
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("recipe") != RECIPE:
        return None
    if hashlib.sha256(data).hexdigest() != stamp.get("sha256"):
        logger.warning("The static embedding table %s is damaged; distilling it again.", path)
        return None
    try:
        table: Floats = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError:
        return None
    expected = [rows, HIDDEN]
    if table.dtype != np.float32 or list(table.shape) != expected or stamp.get("shape") != expected:
        return None
    return table


def _build_table(path: Path, directory: Path, rows: int, progress: Progress | None) -> Floats:
    """Distil and cache the table, holding a lock so that two processes do not both distil."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = path.with_name(path.name + ".lock").open("a")
    except OSError as exc:
        logger.warning("Cannot use the cache dir %s (%s); not caching.", path.parent, exc)
        return _distil_and_store(path, directory, progress)
    with lock:  # closing the file releases the lock, even on error
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        # Another process may have finished distilling while this one waited.
        if (table := _read_table(path, rows)) is not None:
            return table
        return _distil_and_store(path, directory, progress)


def _distil_and_store(path: Path, directory: Path, progress: Progress | None) -> Floats:
    logger.info("Distilling the static embedding table into %s.", path)
    table = distill(MiniLMEmbedder(directory), progress)
    try:
        _write_table(path, table)
    except OSError as exc:  # still usable, only not cached: the next start distils again
        logger.warning("Cannot cache the static table at %s (%s).", path, exc)
    return table


def _write_table(path: Path, table: Floats) -> None:
    buffer = io.BytesIO()
    np.save(buffer, table, allow_pickle=False)
    data = buffer.getvalue()
    stamp = {
        "shape": list(table.shape),
        "dtype": "float32",
        "sha256": hashlib.sha256(data).hexdigest(),
        "recipe": RECIPE,
    }
    _atomic_write(path, data)
    _atomic_write(_stamp_path(path), json.dumps(stamp, indent=1).encode())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def distill(teacher: MiniLMEmbedder, progress: Progress | None = None) -> Floats:
    """Build the static table from ``teacher``: see the module doc for the recipe.

    Tokens of weight 0 ([PAD], [unused5], ...) are skipped and keep a zero row.

    Args:
        teacher: the MiniLM model whose pooled outputs become the token vectors.
        progress: called as ``progress(rows_done, rows_total)`` after each batch.

    Returns:
        ``(vocab + 1, 384)`` float32 rows; the last is the empty text's.
    """
    tokenizer = teacher.tokenizer
    vocab = teacher.vocab_size
    cls_id, sep_id = _token_id(tokenizer, "[CLS]"), _token_id(tokenizer, "[SEP]")
    weights = np.append(_zipf_weights(tokenizer, vocab), 1.0).astype(np.float32)
    wanted = np.flatnonzero(weights[:vocab])
    total = len(wanted) + 1
    table = np.zeros((vocab + 1, HIDDEN), dtype=np.float32)
    for start in range(0, len(wanted), DISTILL_BATCH):
        ids = wanted[start : start + DISTILL_BATCH].astype(np.int64)
        rows = np.stack([np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1)
        table[ids] = teacher.encode_ids(rows, np.ones(rows.shape, dtype=bool))
        if progress:
            progress(start + len(ids), total)
    empty = np.array([[cls_id, sep_id]], dtype=np.int64)
    table[vocab] = teacher.encode_ids(empty, np.ones(empty.shape, dtype=bool))[0]
    if progress:
        progress(total, total)
    table *= weights[:, None]
    return table


def _token_id(tokenizer: Tokenizer, token: str) -> int:
    found = tokenizer.token_to_id(token)
    if found is None:
        raise ModelError("embedder_invalid", f"The MiniLM vocabulary lacks {token}.")
    return int(found)


def _zipf_weights(tokenizer: Tokenizer, vocab: int) -> NDArray[np.float64]:
    """``log(1 + rank)`` per token, rank by frequency; 0 for [CLS], [PAD], [unused3] and
    the like, which carry no meaning ([UNK] included: an emoji-only text embeds as empty).

    BERT's vocabulary lists single characters first, then word pieces from the most
    frequent ("the") down, so a piece's id after "the" is a fair frequency rank. ASCII
    characters (punctuation, "a", "i") count as the most frequent; other single
    characters (accents, CJK) as rare, meaningful ones.
    """
    first_word = _token_id(tokenizer, "the")
    rank = np.arange(vocab, dtype=np.float64) - first_word + 1
    special = []
    for token, index in tokenizer.get_vocab().items():
        if len(token) > 2 and token.startswith("[") and token.endswith("]"):
            special.append(index)
        elif index < first_word:
            rank[index] = 1.0 if token.isascii() else float(vocab)
    weights = np.log1p(np.maximum(rank, 1.0))
    weights[special] = 0.0
    return weights
