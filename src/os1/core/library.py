"""The library for every door: books and documents added in bulk, searched by their
words, listed and removed. The types a door shows are re-exported from here, so a door
never imports the skill.

A book is found by its words as soon as they are committed; its meanings (the static
embedder's vectors, ``skills.library.meanings``) are worked out just after, book by
book, for questions put in other words than the book's. Both steps resume where a
killed add left them.

Adding is resumable: a book's passages become searchable only when the index commits
them, and its row turns ``ready`` just after; whatever was half read when a process
died is taken out again before the next add (``shelf.unfinished``), then read anew.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

from os1.core.base import Core
from os1.errors import InputError, LibraryError
from os1.parsing_pool import ParsingError, parse_bulk
from os1.skills.library import shelf
from os1.skills.library.asking import BookAnswer, Quote, answer_from_books
from os1.skills.library.finding import (
    Hit,
    Meaning,
    by_meaning_too,
    checked_query,
    find,
    kept_text,
    library_folder,
)
from os1.skills.library.index import PassageIndex
from os1.skills.library.ingest import (
    STREAMED,
    Candidate,
    Prepared,
    Refused,
    Taken,
    candidates,
    groups,
    prepare,
    read_into,
    source_of,
)
from os1.skills.library.meanings import (
    MeaningIndex,
    Words,
    centre_of,
    forget,
    meanings_folder,
    spread,
    take_centre,
    texts_of,
    understand,
    understood,
)
from os1.skills.library.reading import PAGE, Page, Place, place_in, read_chars, which_book
from os1.skills.library.shelf import Read, Shelved
from os1.store import UserStore

__all__ = [
    "AddReport", "Added", "BookAnswer", "Hit", "Library", "Page", "Place", "Progress",
    "Quote", "Shelved", "Skipped",
]  # fmt: skip

COMMIT_CHARS = 256 << 20  # read this much, then commit: a crash costs at most this again
READ_AHEAD = 2  # groups being read while one is indexed: one in a worker, one in a thread


@dataclass(frozen=True)
class Added:
    book: int
    title: str
    source: str
    passages: int
    words: int


@dataclass(frozen=True)
class Skipped:
    source: str
    code: str  # library_missing, library_empty, library_binary, library_duplicate, ...
    message: str
    book: int | None = None  # the book on the shelf with these words (already, duplicate)


@dataclass
class AddReport:
    added: list[Added] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bytes: int = 0  # of the files read
    seconds: float = 0.0  # until every book was found by its words
    understood: int = 0  # books whose meanings were worked out (this add's and any left over)
    meaning_seconds: float = 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Progress:
    """Where an add stands, for a progress bar: the file being read and the whole run."""

    source: str
    file_done: int
    file_size: int
    done: int  # bytes of every file so far
    total: int
    stage: str = "reading"  # then "meaning": the books' meanings worked out, in kept bytes


class Library:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._indexes: dict[int, PassageIndex] = {}
        self._meanings: dict[int, tuple[float, MeaningIndex]] = {}
        self._words: Words | None = None
        self._writing: dict[int, asyncio.Lock] = {}

    def _folder(self, user_id: int) -> Path:
        """The person's library folder in os1's data (a companion without a data folder
        has no library: a shared scratch folder would mix one run's books into the next)."""
        if self.core.home is None:
            raise LibraryError(
                "library_no_home", "This companion keeps no data folder, so it has no library."
            )
        return library_folder(self.core.home, user_id)

    async def _index(self, store: UserStore) -> PassageIndex:
        user_id = store.user.id
        if user_id not in self._indexes:
            folder = self._folder(user_id) / "index"
            self._indexes[user_id] = await asyncio.to_thread(PassageIndex, folder)
        return self._indexes[user_id]

    def _kept(self, user_id: int, book: int) -> Path:
        return kept_text(self._folder(user_id), book)

    async def add(
        self,
        user: str,
        paths: list[Path],
        progress: Callable[[Progress], None] | None = None,
    ) -> AddReport:
        """Read ``paths`` (files, or folders walked for the kinds the library reads)
        into the person's library. Every file that cannot be read is named in the
        report with why; the rest go in."""
        began = time.perf_counter()
        store = await self.core.store(user)
        index = await self._index(store)
        report = AddReport()
        reach = (await self.core.tool_context(store)).files
        named = []
        for path in paths:
            try:
                named.append(Path(reach.resolve(os.fspath(path))))
            except InputError as exc:
                report.skipped.append(Skipped(source_of(path), exc.code, exc.message))
            except (ValueError, OSError) as exc:  # NUL, lone surrogates, a name too long
                report.skipped.append(
                    Skipped(source_of(path), "bad_path", f"That is not a usable path ({exc}).")
                )
        found, refused = await asyncio.to_thread(candidates, named, reach.allows)
        report.skipped += [Skipped(source, e.code, e.message) for source, e in refused]
        async with self._writing.setdefault(store.user.id, asyncio.Lock()):
            await asyncio.to_thread(index.hold)
            try:
                await self._clear_unfinished(store, index)
                ready = await shelf.ready_files(store)
                fresh = []
                for candidate in found:
                    kept = ready.get(candidate.source)
                    if kept is not None and kept[:2] == (candidate.size, candidate.modified_ns):
                        already = "Already in your library."
                        report.skipped.append(
                            Skipped(candidate.source, "library_already", already, kept[2])
                        )
                    else:
                        fresh.append(candidate)
                reading = _Reading(
                    store, index, report, await shelf.ready_digests(store),
                    lambda books: self._take_out(store, index, books), progress,
                    sum(c.size for c in fresh),
                )  # fmt: skip
                await self._read_all(store, index, fresh, reading)
                await reading.commit()
            except BaseException:
                await asyncio.to_thread(index.abandon)  # its books stay ``reading``
                raise
            await asyncio.to_thread(index.close)
            report.seconds = time.perf_counter() - began
            await self._understand(store, index, report, progress)
        # paths as the person names them: a server account never sees the server's own
        report.added = [replace(a, source=reach.shown(a.source)) for a in report.added]
        report.skipped = [replace(s, source=reach.shown(s.source)) for s in report.skipped]
        return report

    def _searches_by_meaning(self) -> bool:
        """Whether the settings search by meaning: ``embedders`` names ``static``, as by
        default."""
        settings = self.core.settings
        return settings is not None and "static" in settings.embed_routes

    async def _by_meaning(self) -> Words | None:
        """The static embedder a word at a time, when the settings search by meaning;
        loaded on first use."""
        if not self._searches_by_meaning():
            return None
        if self._words is None:
            from os1.models.embed import StaticEmbedder

            settings = self.core.needs_settings()
            static = await asyncio.to_thread(StaticEmbedder.from_cache, settings.cache_dir)
            self._words = Words(static)
        return self._words

    async def _understand(
        self,
        store: UserStore,
        index: PassageIndex,
        report: AddReport,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        """Work out the meanings of every ready book that lacks them: this add's, and
        any an earlier add was stopped before; first the shelf's centre, when there is
        none yet or the shelf has outgrown it (``meanings.Centre``)."""
        words = await self._by_meaning()
        if words is None:
            return
        began = time.perf_counter()
        folder = meanings_folder(self._folder(store.user.id))
        ready = [b for b in await shelf.listed(store) if b.ready and b.passages]
        if not ready:
            return  # an empty shelf has no centre to take
        centre = await asyncio.to_thread(centre_of, folder)
        if centre is None or centre.due(sum(b.passages for b in ready)):
            texts = await asyncio.to_thread(self._sample, store.user.id, index, ready)
            centre = await asyncio.to_thread(take_centre, words, folder, texts)
        done = await asyncio.to_thread(understood, folder)
        todo = [b for b in ready if b.id not in done]
        total, so_far = sum(b.chars for b in todo), 0
        for book in todo:
            kept = self._kept(store.user.id, book.id)
            passages = await asyncio.to_thread(index.of_book, book.id, book.passages)
            try:
                await asyncio.to_thread(understand, words, folder, centre, book.id, passages, kept)
                report.understood += 1
            except OSError:
                pass  # its kept text is gone: found by its words alone, and tried next add
            so_far += book.chars
            if progress is not None:
                progress(Progress(book.title, book.chars, book.chars, so_far, total, "meaning"))
        if todo:
            await self._meaning_index(store)  # loaded now, and stacked for the next process
        report.meaning_seconds = time.perf_counter() - began

    def _sample(self, user_id: int, index: PassageIndex, books: list[Shelved]) -> list[str]:
        """Passages spread over the shelf, for its centre."""
        texts: list[str] = []
        sizes = {b.id: b.passages for b in books}
        for book, numbers in spread(list(sizes.items())).items():
            passages = sorted(index.of_book(book, sizes[book]), key=lambda p: p.start)
            chosen = [passages[n] for n in numbers if n < len(passages)]
            with suppress(OSError):  # its kept text deleted behind os1's back
                texts += texts_of(chosen, self._kept(user_id, book))
        return texts

    async def _read_all(
        self, store: UserStore, index: PassageIndex, fresh: list[Candidate], reading: _Reading
    ) -> None:
        """Every fresh book onto the shelf (``reading``) and into the index, committed
        every ``COMMIT_CHARS``."""
        ids = await shelf.begin(store, [(_name(c), c.source, c.size, c.modified_ns) for c in fresh])
        books = dict(zip((c.source for c in fresh), ids, strict=True))
        async for group, prepared in self._read_ahead(store, books, groups(fresh)):
            for n, candidate in enumerate(group):
                book = books[candidate.source]
                outcome: Taken | Prepared | Refused
                if prepared is None:  # streamed here, a block at a time
                    kept = self._kept(store.user.id, book)
                    outcome = await self._stream(candidate, book, index, kept, reading)
                else:
                    outcome = prepared[n]
                    if isinstance(outcome, Prepared):
                        await asyncio.to_thread(index.add, book, outcome.passages())
                await reading.settle(candidate, book, outcome)
                if reading.pending_chars >= COMMIT_CHARS:
                    await reading.commit()

    async def _read_ahead(
        self, store: UserStore, books: dict[str, int], ahead: Iterator[list[Candidate]]
    ) -> AsyncIterator[tuple[list[Candidate], list[Prepared | Refused] | None]]:
        """Each group with its books read, in order, while the groups after it are being
        read: one by a worker process, one by a thread here (the GIL is this process's
        own, mostly idle while tantivy's threads index); None for a group to stream here
        (a big book)."""
        reading: deque[tuple[list[Candidate], asyncio.Task[Any] | None]] = deque()
        turn = 0

        def start(group: list[Candidate]) -> None:
            nonlocal turn
            if len(group) == 1 and group[0].size > STREAMED:
                reading.append((group, None))
                return
            items = [(c.path, self._kept(store.user.id, books[c.source])) for c in group]
            items[0][1].parent.mkdir(parents=True, exist_ok=True)
            size = sum(c.size for c in group)
            work = _prepared(items, size) if turn % 2 == 0 else asyncio.to_thread(prepare, items)
            reading.append((group, asyncio.ensure_future(work)))
            turn += 1

        try:
            for group in islice(ahead, READ_AHEAD):
                start(group)
            while reading:
                group, task = reading.popleft()
                if (following := next(ahead, None)) is not None:
                    start(following)
                yield group, (await task if task is not None else None)
        finally:
            for _, task in reading:
                if task is not None:
                    task.cancel()

    async def _stream(
        self,
        candidate: Candidate,
        book: int,
        index: PassageIndex,
        kept: Path,
        reading: _Reading,
    ) -> Taken | Refused:
        kept.parent.mkdir(parents=True, exist_ok=True)
        seen = reading.seer(candidate)
        try:
            return await asyncio.to_thread(read_into, candidate, book, index, kept, seen)
        except LibraryError as exc:
            return Refused(exc.code, exc.message)
        except OSError as exc:  # the disk failed it half-way (its passages come out again)
            return Refused("library_unreadable", f"{Path(candidate.source).name}: {exc}")

    async def _take_out(self, store: UserStore, index: PassageIndex, books: list[int]) -> None:
        """Books read in this add but refused: out of the index (their passages were
        never committed), the shelf and the kept text."""
        await asyncio.to_thread(index.remove, books)
        await self._forget(store, books)

    async def _forget(self, store: UserStore, books: list[int]) -> None:
        await shelf.drop(store, books)
        folder = self._folder(store.user.id)
        forget(meanings_folder(folder), books)
        for book in books:
            self._kept(store.user.id, book).unlink(missing_ok=True)

    async def _meaning_index(self, store: UserStore) -> MeaningIndex | None:
        """The person's meanings, reloaded when their folder changed (another process
        may have added books); None when the settings do not search by meaning."""
        if not self._searches_by_meaning():
            return None
        folder = meanings_folder(self._folder(store.user.id))
        try:
            changed = folder.stat().st_mtime
        except OSError:
            return None  # nothing understood yet
        seen, meanings = self._meanings.get(store.user.id, (None, None))
        if meanings is None:
            meanings = MeaningIndex(folder)
        if seen != changed:
            await asyncio.to_thread(meanings.refresh)
            self._meanings[store.user.id] = (changed, meanings)
        return meanings

    async def _clear_unfinished(self, store: UserStore, index: PassageIndex) -> None:
        """Books left ``reading`` (a process that died mid-add or mid-remove): their
        passages out of the index and committed, and only then off the shelf, so a
        crash at any point here leaves them to be cleared next time. The writer stays
        held (the caller closes it)."""
        books = await shelf.unfinished(store)
        if books:
            await asyncio.to_thread(index.remove, books)
            await asyncio.to_thread(index.commit)
            await self._forget(store, books)

    async def search(
        self,
        user: str,
        query: str,
        limit: int = 10,
        by_meaning: bool = True,
        within: Collection[int] | None = None,
    ) -> list[Hit]:
        """The passages that best match ``query``, best first, with book and chapter:
        by its words, and (for a question of several words, when ``by_meaning``) by
        its meaning too; from the books ``within`` only when given (a persona's).

        Raises:
            LibraryError: the query is empty or longer than ``LONGEST_QUERY``.
        """
        store = await self.core.store(user)
        index = await self._index(store)
        meaning = None
        wanted = by_meaning and by_meaning_too(checked_query(query))
        if wanted and (meanings := await self._meaning_index(store)) is not None:
            words = await self._by_meaning()
            if words is not None:
                meaning = Meaning(words, meanings)
        folder = self._folder(store.user.id)
        return await find(store, folder, index, query, limit, meaning, within)

    async def unmentioned(self, user: str, words: list[str], within: Collection[int]) -> list[str]:
        """Those of ``words`` that no passage of the books ``within`` holds in any form
        (a word's stem, its last letters cut, begins none of theirs)."""
        index = await self._index(await self.core.store(user))

        def absent() -> list[str]:
            stems = {w: w.lower()[: max(5, len(w) - 2)] for w in words}
            return [w for w, stem in stems.items() if not index.mentions(stem, within)]

        return await asyncio.to_thread(absent) if words and within else list(words)

    async def ask(self, user: str, question: str, k: int = 3) -> BookAnswer:
        """An answer to ``question`` from the person's books by the local model, resting
        on quotes cut from them word for word; "Your books do not say." when none
        supports one.

        Raises:
            LibraryError: the question is empty or too long.
            ModelError: the model could not be reached.
        """
        hits = await self.search(user, question, k)
        async with self.core.person_waiting():
            return await answer_from_books(self.core.llm, checked_query(question), hits)

    async def indexed(self, user: str) -> int:
        """How many passages the person's index holds (every ready book's, no more)."""
        index = await self._index(await self.core.store(user))
        return await asyncio.to_thread(index.passages)

    async def books(self, user: str) -> list[Shelved]:
        store = await self.core.store(user)
        return await self._as_named(store, await shelf.listed(store))

    async def book(self, user: str, book: int) -> Shelved:
        store = await self.core.store(user)
        return (await self._as_named(store, [await shelf.one(store, book)]))[0]

    async def _as_named(self, store: UserStore, books: list[Shelved]) -> list[Shelved]:
        """``books`` with their sources as the person names them (``~/novels/emma.txt``)."""
        reach = (await self.core.tool_context(store)).files
        return [replace(b, source=reach.shown(b.source)) for b in books]

    async def remove(self, user: str, book: int) -> Shelved:
        """Take a book out of the library and its index (the file it came from stays).

        Raises:
            LibraryError: there is no such book.
        """
        store = await self.core.store(user)
        gone = await shelf.one(store, book)
        index = await self._index(store)
        async with self._writing.setdefault(store.user.id, asyncio.Lock()):
            await shelf.unready(store, [book])
            try:
                await self._clear_unfinished(store, index)
            finally:
                await asyncio.to_thread(index.close)
        return gone

    async def text(self, user: str, book: int, start: int = 0, end: int | None = None) -> str:
        """The book's kept text from ``start`` to ``end`` (characters, as in a ``Hit``)."""
        store = await self.core.store(user)
        await shelf.one(store, book)
        return await asyncio.to_thread(read_chars, self._kept(store.user.id, book), start, end)

    async def read(
        self, user: str, book: int, start: int | None = None, length: int = PAGE
    ) -> Page:
        """A page of the book from ``start`` (None: where the person stopped last), and
        that they have now read up to its end."""
        store = await self.core.store(user)
        shelved = await shelf.one(store, book)
        first = shelved.read_to if start is None else max(0, start)
        length = max(1, min(length, 200_000))
        kept = self._kept(store.user.id, book)
        text = await asyncio.to_thread(read_chars, kept, first, first + length)
        await shelf.read_up_to(store, book, first + len(text))
        return Page((await self._as_named(store, [shelved]))[0], first, first + len(text), text)

    async def where(self, user: str, title: str) -> Place:
        """How far the person has read the book ``title`` names: "where was I in Moby-Dick?".

        Raises:
            LibraryError: no book in their library goes by that title.
        """
        store = await self.core.store(user)
        book = which_book(await shelf.listed(store), title)
        return await asyncio.to_thread(place_in, book, self._kept(store.user.id, book.id))


def _name(candidate: Candidate) -> str:
    """A book's title until its own is read: the file's name without its suffix."""
    return Path(candidate.source).stem or candidate.source


async def _prepared(items: list[tuple[Path, Path]], size: int) -> list[Prepared | Refused] | None:
    """A group read in the parsing pool; None if no worker could be had (the group is
    then streamed here instead). A group that overran its time or killed its worker is
    read again book by book, so only the book at fault is refused."""
    try:
        return await parse_bulk(_budget(size), prepare, items)
    except ParsingError as exc:
        if exc.code == "parse_unavailable":
            return None
        if len(items) == 1:
            return [Refused("library_too_slow", f"{items[0][0].name}: {exc.message}")]
    alone = [await _prepared([item], _size_of(item[0])) for item in items]
    return [found[0] if found else Refused("library_unreadable", "No worker.") for found in alone]


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone: reading it will say so


def _budget(size: int) -> float:
    """Seconds a worker may take over ``size`` bytes: ample at 2 MB/s."""
    return 30.0 + size / 2e6


@dataclass
class _Reading:
    """One add's running state: what is read but not yet committed, the texts already
    on the shelf, and the progress shown."""

    store: UserStore
    index: PassageIndex
    report: AddReport
    digests: dict[str, tuple[int, str]]  # digest -> (book, title), on the shelf or read now
    take_out: Callable[[list[int]], Awaitable[None]]
    progress: Callable[[Progress], None] | None
    total: int
    pending: list[Read] = field(default_factory=list)
    pending_chars: int = 0

    def seer(self, candidate: Candidate) -> Callable[[int], None]:
        """A callback for the bytes of ``candidate`` read so far, for the progress bar."""
        start, read = self.report.bytes, 0

        def seen(count: int) -> None:
            nonlocal read
            read += count
            if self.progress is not None:
                self.progress(
                    Progress(candidate.source, read, candidate.size, start + read, self.total)
                )

        return seen

    async def settle(
        self, candidate: Candidate, book: int, outcome: Taken | Prepared | Refused
    ) -> None:
        """Keep a book read (until the next commit) or take it out again, and say so."""
        taken: Taken | Refused = outcome.taken if isinstance(outcome, Prepared) else outcome
        if isinstance(taken, Taken) and taken.digest in self.digests:
            same, title = self.digests[taken.digest]
            await self.take_out([book])
            self.report.skipped.append(Skipped(
                candidate.source, "library_duplicate",
                f"The same text as “{title}”, already in your library.", same,
            ))  # fmt: skip
            self._seen(candidate)
            return
        if isinstance(taken, Taken):
            title = taken.book.title or _name(candidate)
            self.digests[taken.digest] = (book, title)
            self.pending.append(
                Read(book, title, taken.book.author, taken.digest, taken.book.chars,
                     taken.book.words, taken.passages)
            )  # fmt: skip
            self.pending_chars += taken.book.chars
            self.report.added.append(
                Added(book, title, candidate.source, taken.passages, taken.book.words)
            )
        else:
            await self.take_out([book])
            self.report.skipped.append(Skipped(candidate.source, taken.code, taken.message))
        self._seen(candidate)

    def _seen(self, candidate: Candidate) -> None:
        self.report.bytes += candidate.size
        if self.progress is not None:
            self.progress(Progress(candidate.source, candidate.size, candidate.size,
                                   self.report.bytes, self.total))  # fmt: skip

    async def commit(self) -> None:
        await asyncio.to_thread(self.index.commit)
        await shelf.finish(self.store, self.pending)
        self.pending, self.pending_chars = [], 0
