"""Files into the library: streamed from disk through repair and passages into the
index, the repaired text kept beside, with bounded memory whatever their size.

Reading a book (decoding, repair, passages) is Python work that holds the GIL, and
indexing is tantivy's (Rust threads) plus the documents built for it; on two cores the
two run side by side: groups of books are read in a worker process (``prepare``)
while the group before is indexed here. A book bigger than ``STREAMED`` is read in a
thread instead, a block at a time, so even a 2 GB file takes only a few MB of memory.
"""

from __future__ import annotations

import hashlib
import io
import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from os1.errors import LibraryError
from os1.skills.library.formats import BIGGEST_DOCUMENT, DOCUMENTS, read_document
from os1.skills.library.index import PassageIndex
from os1.skills.library.passages import Book, Passage, passages
from os1.skills.library.text import Opened, blocks, open_text, shown, shown_text

# what the library reads; a folder's other files are passed over without a word
TEXTS = frozenset({".txt", ".text", ".md", ".markdown", ".rst"})
READABLE = TEXTS | DOCUMENTS
BATCH = 2000  # passages handed to the index at a time
GROUP_BYTES = 8 << 20  # books read by a worker per task: few tasks, little waiting
STREAMED = 32 << 20  # a book bigger than this is streamed in a thread, never held whole


@dataclass(frozen=True)
class Candidate:
    path: Path
    source: str  # the path as text, whatever bytes the file system holds
    size: int
    modified_ns: int


def source_of(path: Path) -> str:
    """A path as text, whatever bytes the file system (or a request) holds for it."""
    return shown_text(str(path))


def candidates(
    paths: list[Path], allowed: Callable[[str], bool] = lambda _: True
) -> tuple[list[Candidate], list[tuple[str, LibraryError]]]:
    """The readable files under ``paths`` (folders walked, in name order), and what was
    named but cannot be read, with why. A file ``allowed`` refuses (a link in a folder
    pointing beyond the person's reach) is named too, never read."""
    found: list[Candidate] = []
    refused: list[tuple[str, LibraryError]] = []

    def take(path: Path) -> None:
        if not allowed(str(path)):
            refused.append(
                (
                    source_of(path),
                    LibraryError(
                        "library_beyond_reach",
                        f"{shown(path)} leads outside the files you can reach.",
                        "Add books from your own folders.",
                    ),
                )
            )
            return
        try:
            stat = path.stat()
        except OSError:
            refused.append((source_of(path), _gone(path)))
            return
        found.append(Candidate(path, source_of(path.absolute()), stat.st_size, stat.st_mtime_ns))

    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in READABLE and not name.startswith("."):
                        take(Path(root) / name)
        elif not path.exists():
            refused.append((source_of(path), _gone(path)))
        elif path.suffix.lower() not in READABLE:
            refused.append(
                (
                    source_of(path),
                    LibraryError(
                        "library_unsupported",
                        f"{shown(path)} is not a kind of file the library reads yet.",
                        f"It reads {', '.join(sorted(READABLE))} files.",
                    ),
                )
            )
        else:
            take(path)
    return found, refused


def _gone(path: Path) -> LibraryError:
    return LibraryError(
        "library_missing", f"There is no file {shown(path)}.", "Check the path and try again."
    )


class _Hashing:
    """Reads through to a stream, hashing and counting what passes."""

    def __init__(self, stream: BinaryIO, seen: Callable[[int], None]) -> None:
        self._stream = stream
        self._seen = seen
        self.hash = hashlib.blake2b(digest_size=16)

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.hash.update(data)
        self._seen(len(data))
        return data


@dataclass(frozen=True)
class Taken:
    """What reading one book gave, besides its passages."""

    book: Book
    digest: str
    passages: int


def _opened(path: Path) -> tuple[BinaryIO, Opened]:
    try:
        return open_text(path)
    except LibraryError as exc:
        if exc.code == "library_unreadable" and not path.exists():
            raise _gone(path) from exc
        raise


@dataclass
class _Source:
    """A book opened for reading: its text in blocks, the hash of its bytes as they are
    read, and the title and author its format gives (a text file's come from its own
    opening, in ``passages``)."""

    blocks: Iterable[str]
    hashing: _Hashing | None
    stream: BinaryIO | None
    digest: str = ""
    title: str = ""
    author: str = ""

    def hexdigest(self) -> str:
        return self.hashing.hash.hexdigest() if self.hashing else self.digest

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()

    def name(self, book: Book) -> None:
        book.title = book.title or self.title
        book.author = book.author or self.author


def _source(path: Path, seen: Callable[[int], None]) -> _Source:
    """``path`` opened as the kind of book it is."""
    suffix = path.suffix.lower()
    if suffix not in DOCUMENTS:
        stream, opened = _opened(path)
        hashing = _Hashing(stream, seen)
        return _Source(blocks(hashing, opened), hashing, stream)  # type: ignore[arg-type]
    try:
        size = path.stat().st_size
        if size > BIGGEST_DOCUMENT:
            raise LibraryError(
                "library_too_big",
                f"{shown(path)} is {size / 1e6:,.0f} MB; documents up to "
                f"{BIGGEST_DOCUMENT / 1e6:,.0f} MB are read.",
                "Split it, or add its plain text (any size is streamed).",
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise _gone(path) from exc
    seen(len(data))
    document = read_document(suffix, data, shown(path))
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return _Source([document.text], None, None, digest, document.title, document.author)


def _no_words(path: Path) -> LibraryError:
    return LibraryError("library_empty", f"{shown(path)} holds no words.")


def read_into(
    candidate: Candidate,
    book_id: int,
    index: PassageIndex,
    kept: Path,
    seen: Callable[[int], None],
) -> Taken:
    """Stream ``candidate`` into ``index`` as book ``book_id``, keeping its repaired text
    at ``kept``; ``seen`` is told the bytes read as they go.

    Raises:
        LibraryError: the file is gone, empty, binary or holds no words.
    """
    source = _source(candidate.path, seen)
    book = Book()
    count = 0
    try:
        with kept.open("w", encoding="utf-8", newline="\n") as out:
            for batch in _batched(passages(source.blocks, out, book)):
                index.add(book_id, batch)
                count += len(batch)
    except BaseException:
        kept.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    if not count:
        kept.unlink(missing_ok=True)
        raise _no_words(candidate.path)
    source.name(book)
    return Taken(book, source.hexdigest(), count)


def _batched(items: Iterator[Passage]) -> Iterator[list[Passage]]:
    batch: list[Passage] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class Prepared:
    """A book read in a worker: its kept text and where each passage lies in it. Plain
    values, cheap to send between processes (one string, one array)."""

    taken: Taken
    text: str
    bounds: array[int]  # start, end, byte start, byte end of each passage, one after another
    chapters: list[str]  # each passage's (the same string objects repeat: pickled once)

    def passages(self) -> Iterator[Passage]:
        text, bounds = self.text, self.bounds
        for n, chapter in enumerate(self.chapters):
            start, end, first, last = bounds[4 * n : 4 * n + 4]
            yield Passage(text[start:end], start, end, chapter, first, last)


@dataclass(frozen=True)
class Refused:
    code: str
    message: str


def prepare(items: list[tuple[Path, Path]]) -> list[Prepared | Refused]:
    """Read each ``(file, kept)`` pair: repaired text written to ``kept`` and returned
    with its passages. Runs in a worker process; a file that cannot be read is refused
    with why, and the rest are read all the same."""
    done: list[Prepared | Refused] = []
    for path, kept in items:
        try:
            done.append(_prepare_one(path, kept))
        except LibraryError as exc:
            kept.unlink(missing_ok=True)
            done.append(Refused(exc.code, exc.message))
        except OSError as exc:  # vanished or unreadable half-way through
            kept.unlink(missing_ok=True)
            done.append(Refused("library_unreadable", f"{shown(path)}: {exc.strerror or exc}"))
    return done


def _prepare_one(path: Path, kept: Path) -> Prepared:
    source = _source(path, lambda _: None)
    book = Book()
    out = io.StringIO()
    bounds = array("q")
    chapters: list[str] = []
    try:
        for passage in passages(source.blocks, out, book):
            bounds.extend((passage.start, passage.end, passage.byte_start, passage.byte_end))
            chapters.append(passage.chapter)
    finally:
        source.close()
    if not chapters:
        raise _no_words(path)
    source.name(book)
    text = out.getvalue()
    kept.write_text(text, encoding="utf-8", newline="\n")
    return Prepared(Taken(book, source.hexdigest(), len(chapters)), text, bounds, chapters)


def groups(found: list[Candidate]) -> Iterator[list[Candidate]]:
    """Books in reading order, gathered into worker tasks of about ``GROUP_BYTES``; a
    book over ``STREAMED`` comes alone (it is streamed, not prepared)."""
    group: list[Candidate] = []
    size = 0
    for candidate in found:
        if candidate.size > STREAMED:
            if group:
                yield group
            yield [candidate]
            group, size = [], 0
            continue
        group.append(candidate)
        size += candidate.size
        if size >= GROUP_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group
