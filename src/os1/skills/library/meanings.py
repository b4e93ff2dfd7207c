"""The library by meaning: every passage's static embedding, so that a question in other
words than the book's ("what does he think about living in the now?") still finds it.

The issue asked for the cheap model in bulk and a better one only on the candidates:
each passage gets the static embedder's vector (a sum of distilled token rows, see
``os1.models.embed``), kept per book as a 1-bit code for the coarse pass over the whole
shelf and as int8 rows for an exact rerank of the few hundred codes nearest the
question (binary quantization with rescoring, as in ``os1.memory.vectors``). ``ask``
then reranks its candidates with MiniLM itself.

Two changes make the static embedder fit a shelf of long passages, both measured on
Gutenberg books:

- **Telling words only.** Stop words and punctuation are left out of every sum: with
  them, the static vectors of 80 questions a model wrote about Gutenberg passages found
  their passage in the top 10 for 18; without them, for 26.
- **Words, not tokens.** Tokenizing is four fifths of the static embedder's time (about
  7 MB/s here). A passage's vector is the sum of its tokens' rows, so it is also the sum
  of its words' sums: each distinct word is tokenized once and its sum kept (``Words``),
  and a passage costs a regular-expression split and a lookup per word.
- **Centred.** Summed over 200 words, every passage points almost the same way (the
  mean passage vector has length 0.98), so the raw codes barely tell passages apart.
  The shelf's mean vector is subtracted from passages and questions alike. It is taken
  from a sample spread over the whole shelf (``CENTRE_SAMPLE`` passages): one book's
  mean left two thirds of the common direction in (the centred vectors' mean had
  length 0.65, against 0.03 for the shelf's). While the shelf is small its centre is
  taken again each time the shelf has grown fourfold, and every book is then
  understood anew (the work stays within a third more than the final shelf's).

It runs after the words are committed, book by book, so a book is searchable by its
words first; a book whose meanings are missing (an add killed half-way) is understood
on the next add. Files per book, in ``<library>/meanings``:

- ``<book>.npy``: int8 rows, one per passage; a search reads only its candidates' rows;
- ``<book>.npz``: the bit codes, each row's scale, where each passage lies and its
  chapter. Written last: its presence says the book is understood;
- ``centre.npz``: the centre, and how many passages it was taken from;
- ``shelf.npz``: every book's codes and places in one file, written by whichever
  process last loaded books one by one, so the next one starts in a tenth of a second.
"""

from __future__ import annotations

import os
import re
import threading
import zipfile
from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from os1.models.embed import StaticEmbedder
from os1.models.minilm import normalize
from os1.skills.library.index import Found
from os1.stopwords import STOPWORDS

Floats = NDArray[np.float32]

# what reading a damaged or foreign file raises, from numpy and the zip reader under it
DAMAGED = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile)
COARSE = 128  # codes nearest the question that are reranked exactly
BATCH = 256  # passages embedded at once
CENTRE_SAMPLE = 8192  # passages the centre is taken from, spread over the shelf
CENTRE_BOOKS = 512  # books they are drawn from, at most
REGROWTH = 4  # a centre from fewer than CENTRE_SAMPLE passages is taken again at 4x
KNOWN_WORDS = 50_000  # words whose sums are kept (~77 MB); rarer ones are summed each time
# BERT's pre-tokenizer splits on spaces and around punctuation, which is then left out
_WORD = re.compile(r"[^\W_]+")


class Words:
    """Texts to the static embedder's sums, a word at a time (see the module doc)."""

    def __init__(self, static: StaticEmbedder) -> None:
        self.dim = static.dim
        self._static = static
        self._row: dict[str, int] = {}
        self._sums = np.zeros((1024, self.dim), dtype=np.float32)
        self._lock = threading.Lock()  # an add and a search may sum at once

    def sums(self, texts: list[str]) -> Floats:
        """Each text's summed rows of its telling words, not normalized: shape
        ``(len(texts), dim)``; a text with none gets a zero row."""
        split = [[w for w in _WORD.findall(text.lower()) if w not in STOPWORDS] for text in texts]
        with self._lock:
            return self._summed(split)

    def _summed(self, split: list[list[str]]) -> Floats:
        new = {w for words in split for w in words if w not in self._row}
        extra: dict[str, int] = {}
        if new:
            extra = self._learn(sorted(new))
        out = np.zeros((len(split), self.dim), dtype=np.float32)
        sums = self._sums
        for n, words in enumerate(split):
            if not words:
                continue
            rows = [self._row.get(w, -1) for w in words]
            if extra and -1 in rows:
                rows = [r if r >= 0 else extra[w] for r, w in zip(rows, words, strict=True)]
            out[n] = sums[rows].sum(axis=0)
        return out

    def embed(self, texts: list[str], centre: Floats | None = None) -> Floats:
        """Unit-length vectors of ``texts``, less ``centre`` when given."""
        vectors = normalize(self.sums(texts))
        return normalize(vectors - centre) if centre is not None else vectors

    def _learn(self, words: list[str]) -> dict[str, int]:
        """Sum each new word's token rows; keep them while there is room, and return
        where the rest were put for this call (past the kept rows)."""
        table = self._static.table
        encodings = self._static.tokenizer.encode_batch(words, add_special_tokens=False)
        room = max(0, KNOWN_WORDS - len(self._row))
        need = len(self._row) + len(words)
        if need > len(self._sums):
            # doubling, but never far past the kept words: memory stays bounded
            size = max(need, min(2 * len(self._sums), KNOWN_WORDS + len(words)))
            grown = np.zeros((size, self.dim), dtype=np.float32)
            grown[: len(self._row)] = self._sums[: len(self._row)]
            self._sums = grown
        extra: dict[str, int] = {}
        base = len(self._row)
        for n, (word, encoding) in enumerate(zip(words, encodings, strict=True)):
            self._sums[base + n] = table[encoding.ids].sum(axis=0) if encoding.ids else 0.0
            if n < room:
                self._row[word] = base + n
            else:
                extra[word] = base + n  # overwritten by the next call's new words
        return extra


def meanings_folder(library: Path) -> Path:
    return library / "meanings"


def understood(folder: Path) -> set[int]:
    """The books whose meanings are complete in ``folder``."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return set()
    return {int(n[:-4]) for n in names if n.endswith(".npz") and n[:-4].isdigit()}


def forget(folder: Path, books: list[int]) -> None:
    for book in books:
        for suffix in (".npz", ".npy"):
            (folder / f"{book}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True, eq=False)
class Centre:
    vector: Floats
    passages: int  # how many it was taken from

    def same(self, other: Centre | None) -> bool:
        return (other is not None and other.passages == self.passages
                and bool(np.array_equal(other.vector, self.vector)))  # fmt: skip

    def due(self, shelf_passages: int) -> bool:
        """Whether the shelf has outgrown this centre (see the module doc)."""
        return self.passages < CENTRE_SAMPLE and shelf_passages >= REGROWTH * self.passages


def centre_of(folder: Path) -> Centre | None:
    """The shelf's centre, once one was taken; None if none was (or it is damaged)."""
    try:
        with np.load(folder / "centre.npz", allow_pickle=False) as parts:
            vector, passages = parts["vector"], int(parts["passages"])
    except DAMAGED:
        return None
    if vector.dtype != np.float32 or vector.ndim != 1 or not np.all(np.isfinite(vector)):
        return None
    return Centre(vector, passages)


def take_centre(words: Words, folder: Path, texts: list[str]) -> Centre:
    """The mean of ``texts``' vectors, kept as the shelf's centre. Every book's
    meanings are forgotten first: they were centred on the old one."""
    forget(folder, sorted(understood(folder)))
    vector = words.embed(texts).mean(axis=0).astype(np.float32)
    centre = Centre(vector, len(texts))
    folder.mkdir(parents=True, exist_ok=True)
    _atomic(folder / "centre.npz",
            lambda out: np.savez(out, vector=vector, passages=np.int64(len(texts))))  # fmt: skip
    return centre


def spread(books: list[tuple[int, int]], count: int = CENTRE_SAMPLE) -> dict[int, list[int]]:
    """Which passages to sample for a centre, from ``books`` (``(book, passages)``):
    up to ``count``, the same number from each of up to ``CENTRE_BOOKS`` books evenly
    spaced along the shelf, and evenly spaced within each book (passage numbers in the
    book's order). Deterministic, so a centre is taken again the same way."""
    books = [b for b in books if b[1] > 0]
    if len(books) > CENTRE_BOOKS:
        step = len(books) / CENTRE_BOOKS
        books = [books[int(n * step)] for n in range(CENTRE_BOOKS)]
    if not books:
        return {}
    each = max(1, -(-count // len(books)))
    return {book: [n * size // min(each, size) for n in range(min(each, size))]
            for book, size in books}  # fmt: skip


def texts_of(passages: list[Found], kept: Path) -> list[str]:
    """The words of ``passages``, read from their book's kept text."""
    data = kept.read_bytes()
    return [data[p.byte_start : p.byte_end].decode("utf-8", "replace") for p in passages]


def understand(
    words: Words,
    folder: Path,
    centre: Centre,
    book: int,
    passages: list[Found],
    kept: Path,
) -> None:
    """Embed ``passages`` of ``book`` (read from its kept text), centred on
    ``centre``, and keep them in ``folder``."""
    passages = sorted(passages, key=lambda p: p.start)
    texts = texts_of(passages, kept)
    folder.mkdir(parents=True, exist_ok=True)
    rows = np.zeros((len(passages), words.dim), dtype=np.int8)
    scales = np.zeros(len(passages), dtype=np.float32)
    codes = np.zeros((len(passages), words.dim // 8), dtype=np.uint8)
    for at in range(0, len(passages), BATCH):
        batch = texts[at : at + BATCH]
        vectors = words.embed(batch, centre.vector)
        codes[at : at + len(batch)] = np.packbits(vectors > 0, axis=1)
        # per-row scale: a unit vector's largest part maps to 127
        peak = np.maximum(np.abs(vectors).max(axis=1), 1e-12)
        rows[at : at + len(batch)] = np.round(vectors * (127.0 / peak)[:, None]).astype(np.int8)
        scales[at : at + len(batch)] = peak / 127.0
    chapters = sorted({p.chapter for p in passages})
    chapter_of = {c: n for n, c in enumerate(chapters)}
    _atomic(folder / f"{book}.npy", lambda out: np.save(out, rows, allow_pickle=False))
    _atomic(
        folder / f"{book}.npz",
        lambda f: np.savez(
            f,
            codes=codes,
            scales=scales,
            bounds=np.array([(p.start, p.end, p.byte_start, p.byte_end) for p in passages],
                            dtype=np.int64).reshape(-1, 4),
            chapter_ids=np.array([chapter_of[p.chapter] for p in passages], dtype=np.int32),
            chapters=np.array(chapters if chapters else [""], dtype=str),
        ),
    )  # fmt: skip


def _atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """``write`` to a temporary file beside ``path``, made durable, then renamed over it:
    a crash leaves the old file or none, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass
class _Book:
    codes: NDArray[np.uint8]
    scales: NDArray[np.float32]
    bounds: NDArray[np.int64]
    chapter_ids: NDArray[np.int32]
    chapters: list[str]


def _read_rows(
    path: Path, wanted: NDArray[np.int64], count: int, dim: int
) -> NDArray[np.int8] | None:
    """Rows ``wanted`` of a book's ``.npy`` of ``count`` int8 rows, each read where it
    lies: a search touches a hundred books or so, and mapping each one (its header
    parsed) cost more than the search. None when the file is not that (damaged, or
    cut with other codes)."""
    try:
        with path.open("rb") as file:
            head = file.read(12)
            if head[:6] != b"\x93NUMPY" or len(head) < 12:
                return None
            if head[6] == 1:  # format 1.0 gives its header's length in 2 bytes
                start = 10 + int.from_bytes(head[8:10], "little")
            else:  # later ones in 4
                start = 12 + int.from_bytes(head[8:12], "little")
            if os.fstat(file.fileno()).st_size != start + count * dim:
                return None
            out = np.empty((len(wanted), dim), dtype=np.int8)
            for n, row in enumerate(wanted.tolist()):
                data = os.pread(file.fileno(), dim, start + row * dim)
                if len(data) != dim:
                    return None
                out[n] = np.frombuffer(data, dtype=np.int8)
            return out
    except OSError:
        return None


def _read_book(folder: Path, book: int) -> _Book | None:
    """A book's meanings from its own file; None when it is damaged."""
    try:
        with np.load(folder / f"{book}.npz", allow_pickle=False) as parts:
            chapters = [str(c) for c in parts["chapters"]]
            return _Book(parts["codes"], parts["scales"], parts["bounds"],
                         parts["chapter_ids"], chapters)  # fmt: skip
    except DAMAGED:
        return None


def _write_stack(folder: Path, centre: Centre, books: dict[int, _Book]) -> None:
    """Every loaded book's meanings in one file, ``shelf.npz``, for the next process."""
    order = sorted(books)
    if not order:
        return
    parts = [books[b] for b in order]
    with suppress(OSError):  # a read-only folder: the next process reads book by book
        _atomic(folder / "shelf.npz", lambda out: np.savez(
            out,
            books=np.array(order, dtype=np.int64),
            sizes=np.array([len(p.codes) for p in parts], dtype=np.int64),
            codes=np.concatenate([p.codes for p in parts]),
            scales=np.concatenate([p.scales for p in parts]),
            bounds=np.concatenate([p.bounds for p in parts]),
            chapter_ids=np.concatenate([p.chapter_ids for p in parts]),
            chapter_counts=np.array([len(p.chapters) for p in parts], dtype=np.int64),
            chapters=np.array([c for p in parts for c in p.chapters], dtype=str),
            centre=centre.vector,
            centre_passages=np.int64(centre.passages),
        ))  # fmt: skip


def _read_stack(folder: Path, centre: Centre) -> dict[int, _Book]:
    """The books in ``shelf.npz``, if it was written with ``centre``; else none."""
    try:
        with np.load(folder / "shelf.npz", allow_pickle=False) as stack:
            parts = {key: stack[key] for key in stack.files}
    except DAMAGED:
        return {}
    try:
        if not Centre(parts["centre"], int(parts["centre_passages"])).same(centre):
            return {}
        ends = np.cumsum(parts["sizes"])
        chapter_ends = np.cumsum(parts["chapter_counts"])
        chapters = parts["chapters"].tolist()
        books = {}
        for n, book in enumerate(parts["books"].tolist()):
            a, b = int(ends[n] - parts["sizes"][n]), int(ends[n])
            c, d = int(chapter_ends[n] - parts["chapter_counts"][n]), int(chapter_ends[n])
            books[book] = _Book(parts["codes"][a:b], parts["scales"][a:b], parts["bounds"][a:b],
                                parts["chapter_ids"][a:b], chapters[c:d])  # fmt: skip
        return books
    except (*DAMAGED, IndexError):
        return {}


Scratch = tuple[NDArray[np.uint16], NDArray[np.uint64], NDArray[np.uint8]]


def _scratch(size: int) -> Scratch:
    """A search's working arrays: the distances, one column's XOR and its bit counts."""
    return (np.zeros(size, dtype=np.uint16), np.zeros(size, dtype=np.uint64),
            np.zeros(size, dtype=np.uint8))  # fmt: skip


class MeaningIndex:
    """The meanings of one person's books, loaded once and kept in step with the shelf.
    Only the bit codes and places stay in memory (about 90 bytes a passage); the int8
    rows are read from disk for the candidates alone."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._books: dict[int, _Book] = {}
        self._columns: list[NDArray[np.uint64]] = []
        self._scratch = _scratch(0)
        self._book_of = np.zeros(0, dtype=np.int64)
        self._row_of = np.zeros(0, dtype=np.int64)
        self._lock = threading.Lock()
        self.centre: Centre | None = None

    def refresh(self) -> None:
        """Load the books understood since the last look, and drop the gone: from the
        shelf's stack file when it has them (one file, where thousands of small ones
        took two seconds), then book by book, and the stack written anew if it lacked
        any."""
        with self._lock:
            centre = centre_of(self.folder)
            if centre is None or not centre.same(self.centre):  # understood anew
                self._books.clear()
            self.centre = centre
            wanted = understood(self.folder)
            if centre is None or wanted == set(self._books):
                return
            for gone in set(self._books) - wanted:
                del self._books[gone]
            if not self._books:
                self._books = {b: got for b, got in _read_stack(self.folder, centre).items()
                               if b in wanted}  # fmt: skip
            missing = sorted(wanted - set(self._books))
            for book in missing:
                loaded = _read_book(self.folder, book)
                if loaded is not None:
                    self._books[book] = loaded
            if missing:
                _write_stack(self.folder, centre, self._books)
            self._stack()

    def _stack(self) -> None:
        order = sorted(self._books)
        if not order:
            self._columns = []
            self._book_of = self._row_of = np.zeros(0, dtype=np.int64)
            return
        codes = np.ascontiguousarray(np.concatenate([self._books[b].codes for b in order]))
        # 8 bytes of code at a time, each eighth of every code in one contiguous column:
        # XOR, popcount and add then run in place, a column at a time (3 ms over 880,000
        # passages, where one pass over the (n, 6) array took 21 ms)
        words64 = codes.view(np.uint64)
        self._columns = [np.ascontiguousarray(words64[:, n]) for n in range(words64.shape[1])]
        # kept between searches (searches take the lock): fresh arrays each time cost
        # more in page faults than the counting itself
        self._scratch = _scratch(len(codes))
        sizes = [len(self._books[b].codes) for b in order]
        self._book_of = np.repeat(np.array(order, dtype=np.int64), sizes)
        self._row_of = np.concatenate([np.arange(n, dtype=np.int64) for n in sizes])

    @property
    def size(self) -> int:
        return len(self._book_of)

    def search(
        self, words: Words, query: str, limit: int, within: Collection[int] | None = None
    ) -> list[Found]:
        """The passages nearest ``query`` in meaning, best first, scored by cosine; from
        the books ``within`` only when given (every one of their passages scored exactly:
        a few books, not a shelf)."""
        with self._lock:
            if not self.size or limit <= 0 or self.centre is None:
                return []
            vector = words.embed([query], self.centre.vector)[0]
            if within is None:
                near = self._nearest(np.packbits(vector > 0).view(np.uint64))
            else:
                chosen = np.fromiter(within, dtype=np.int64, count=len(within))
                near = np.flatnonzero(np.isin(self._book_of, chosen))
            scored: list[tuple[float, int, int]] = []
            books = self._book_of[near]
            for book in np.unique(books).tolist():
                shelf = self._books[book]
                mine = np.sort(self._row_of[near[books == book]])
                rows = _read_rows(self.folder / f"{book}.npy", mine, len(shelf.codes),
                                  8 * shelf.codes.shape[1])  # fmt: skip
                if rows is None:
                    continue
                exact = (rows.astype(np.float32) @ vector) * shelf.scales[mine]
                scored += zip(exact.tolist(), [book] * len(mine), mine.tolist(), strict=True)
            scored.sort(reverse=True)
            found = []
            for score, book, row in scored[:limit]:
                shelf = self._books[book]
                start, end, first, last = (int(v) for v in shelf.bounds[row])
                chapter = shelf.chapters[int(shelf.chapter_ids[row])]
                found.append(Found(book, chapter, start, end, first, last, score))
            return found

    def _nearest(self, code: NDArray[np.uint64]) -> NDArray[np.intp]:
        """The rows of the ``COARSE`` codes nearest ``code`` in Hamming distance."""
        distance, xor, bits = self._scratch
        distance.fill(0)
        for column, part in zip(self._columns, code, strict=True):
            np.bitwise_xor(column, part, out=xor)
            np.bitwise_count(xor, out=bits)
            np.add(distance, bits, out=distance)
        # the distance that takes in COARSE rows, read off a histogram: faster than
        # partitioning every row (1 ms against 9)
        counts = np.cumsum(np.bincount(distance, minlength=64 * len(self._columns) + 1))
        cut = int(np.searchsorted(counts, min(COARSE, self.size)))
        near = np.flatnonzero(distance <= cut)
        if len(near) > COARSE:  # ties at the cut
            near = near[np.argpartition(distance[near], COARSE - 1)[:COARSE]]
        return near
