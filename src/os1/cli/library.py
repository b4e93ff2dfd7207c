"""``os1 library``: books and documents read into a library of your own, searched by
their words, each passage shown with its book and chapter."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, TimeRemainingColumn, TransferSpeedColumn

from os1.cli.actions import err, opened, opened_cheaply, out, run
from os1.cli.render import transient_progress
from os1.config import DEFAULT_USER
from os1.core.library import AddReport, BookAnswer, Hit, Progress, Shelved

library_app = typer.Typer(
    help="Your books and documents, read into a library you can search.\n\n"
    "Examples: `os1 library add ~/Books`, `os1 library add moby-dick.txt notes.md`,"
    ' `os1 library search "white whale"`, `os1 library search \'"call me ishmael"\'`'
    ' (a phrase), `os1 library ask "what does Ishmael do when he feels grim?"`,'
    " `os1 library list`, `os1 library show 3`, `os1 library read 3`,"
    " `os1 library where moby-dick`, `os1 library remove 3`.",
    no_args_is_help=True,
)
_User = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose library.")
_Json = typer.Option(False, "--json", help="Print the result as JSON.")


def _book_json(book: Shelved) -> dict[str, Any]:
    found = asdict(book)
    found.pop("ready")
    return found


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _report_json(report: AddReport) -> dict[str, Any]:
    return {
        "added": [asdict(a) for a in report.added],
        "skipped": [asdict(s) for s in report.skipped],
        "bytes": report.bytes,
        "seconds": round(report.seconds, 3),
        "mb_per_s": round(report.mb_per_s, 1),
        "understood": report.understood,
        "meaning_seconds": round(report.meaning_seconds, 3),
    }


@library_app.command("add")
def add(
    paths: list[Path] = typer.Argument(..., help="Files or folders (read recursively)."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """Read books and documents into your library (.txt, .md, .rst). Safe to stop and run
    again: what was read is kept, what was half read is read anew, nothing twice."""

    async def work() -> int:
        columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                   TransferSpeedColumn(), TimeRemainingColumn())  # fmt: skip
        with transient_progress(err, *columns) as bar:
            whole = bar.add_task("all", total=None)
            one = bar.add_task("", total=None)

            def moved(at: Progress) -> None:
                stage = "all" if at.stage == "reading" else "meanings"
                bar.update(whole, description=stage, completed=at.done, total=at.total)
                name = escape(Path(at.source).name[:40])
                bar.update(one, description=name, completed=at.file_done, total=at.file_size)

            async with opened_cheaply() as companion:
                report = await companion.library.add(user, paths, moved)
        if as_json:
            out.print_json(json.dumps(_report_json(report)))
            return 0 if report.added or not report.skipped else 1
        for added in report.added:
            out.print(f"[green]+[/] {added.book:>5}  {escape(added.title)}  "
                      f"[dim]{_count(added.words, 'word')}, "
                      f"{_count(added.passages, 'passage')}[/]")  # fmt: skip
        for skipped in report.skipped:
            style = "dim" if skipped.code == "library_already" else "yellow"
            out.print(f"[{style}]- {escape(skipped.message)}[/] [dim]{escape(skipped.source)}[/]")
        out.print(
            f"[dim]{len(report.added)} added, {len(report.skipped)} left out; "
            f"{report.bytes / 1e6:,.1f} MB in {report.seconds:.1f} s "
            f"({report.mb_per_s:,.1f} MB/s)"
            + (
                f"; the meanings of {_count(report.understood, 'book')} worked out in "
                f"{report.meaning_seconds:.1f} s, for questions in other words.[/]"
                if report.understood
                else ".[/]"
            )
        )
        return 0 if report.added or not report.skipped else 1

    run(work)


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {**asdict(hit), "score": round(hit.score, 3)}


@library_app.command("search")
def search(
    query: str = typer.Argument(..., help='Words, a "phrase in quotes", or -word to leave out.'),
    k: int = typer.Option(5, "-k", min=1, max=100, help="How many passages."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """The passages that best match, each with its book, chapter and place. For a
    question of three or more telling words, the last places (one in five) and any the
    words leave empty go to passages near it in meaning, so other words than the
    book's find it too."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            hits = await companion.library.search(user, query, k)
        if as_json:
            out.print_json(json.dumps([_hit_json(h) for h in hits]))
            return 0
        if not hits:
            out.print("Nothing in your library says that. Add books with `os1 library add`.")
            return 0
        for hit in hits:
            where = f"{hit.title}" + (f", {hit.chapter}" if hit.chapter else "")
            near = ", near in meaning" if hit.by == "meaning" else ""
            out.print(f"[bold]{escape(where)}[/] [dim](book {hit.book}, "
                      f"characters {hit.start:,}–{hit.end:,}{near})[/]")  # fmt: skip
            out.print(escape(hit.text), "\n", soft_wrap=False)
        return 0

    run(work)


def _answer_json(answer: BookAnswer) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "known": answer.known,
        "quotes": [asdict(q) for q in answer.quotes],
        "unverified": answer.unverified,
    }


@library_app.command("ask")
def ask(
    question: str = typer.Argument(..., help="A question about your books."),
    k: int = typer.Option(3, "-k", min=1, max=5, help="How many passages to read."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """Answer a question from your books with the local model, quoting them word for word."""

    async def work() -> int:
        async with opened(quiet=as_json) as companion:
            with err.status("Reading your books…", spinner="dots"):
                answer = await companion.library.ask(user, question, k)
        if as_json:
            out.print_json(json.dumps(_answer_json(answer)))
            return 0
        out.print(escape(answer.text))
        for quote in answer.quotes:
            where = quote.title + (f", {quote.chapter}" if quote.chapter else "")
            out.print(f"\n  “{escape(quote.text)}”\n  [dim]— {escape(where)} "
                      f"(book {quote.book}, at {quote.start:,})[/]")  # fmt: skip
        return 0

    run(work)


@library_app.command("list")
def list_books(user: str = _User, as_json: bool = _Json) -> None:
    """The books in your library, by title."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            books = await companion.library.books(user)
        if as_json:
            out.print_json(json.dumps([_book_json(b) for b in books]))
            return 0
        if not books:
            out.print("Your library is empty. Add books: os1 library add ~/Books")
        for book in books:
            by = f" — {book.author}" if book.author else ""
            out.print(
                f"{book.id:>5}  {escape(book.title + by)}  [dim]{_count(book.words, 'word')}[/]"
            )
        return 0

    run(work)


@library_app.command("show")
def show(
    book: int = typer.Argument(..., help="The book's number (see `list`)."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """A book's details and its opening."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            found = await companion.library.book(user, book)
            opening = await companion.library.text(user, book, 0, 600)
        if as_json:
            out.print_json(json.dumps({**_book_json(found), "opening": opening}))
            return 0
        by = f" by {found.author}" if found.author else ""
        out.print(f"[bold]{escape(found.title)}[/]{escape(by)}")
        out.print(f"[dim]{escape(found.source)}; {_count(found.words, 'word')} in "
                  f"{_count(found.passages, 'passage')}[/]\n")  # fmt: skip
        out.print(escape(opening) + ("…" if len(opening) >= 600 else ""))
        return 0

    run(work)


@library_app.command("read")
def read(
    book: int = typer.Argument(..., help="The book's number (see `list`)."),
    at: int | None = typer.Option(
        None, "--at", min=0, help="From this character (default: where you stopped)."
    ),
    chars: int = typer.Option(3000, "--chars", min=1, max=200_000, help="How much to show."),
    user: str = _User,
) -> None:
    """Read a page of a book; the next `read` goes on from where this one ends."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            page = await companion.library.read(user, book, at, chars)
        out.print(escape(page.text), soft_wrap=True)
        share = page.end / page.book.chars if page.book.chars else 1.0
        out.print(f"\n[dim]{escape(page.book.title)}: characters {page.start:,}–{page.end:,}, "
                  f"{round(share * 100)}% read.[/]")  # fmt: skip
        return 0

    run(work)


@library_app.command("where")
def where(
    title: str = typer.Argument(..., help="Any part of the book's title or its author."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """Where you were in a book: how far, which chapter, the words you stopped at."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            place = await companion.library.where(user, title)
        if as_json:
            found = {"book": place.book.id, "title": place.book.title, "at": place.at,
                     "share": round(place.share, 4), "chapter": place.chapter,
                     "words": place.words}  # fmt: skip
            out.print_json(json.dumps(found))
            return 0
        out.print(escape(place.said()))
        return 0

    run(work)


@library_app.command("remove")
def remove(
    book: int = typer.Argument(..., help="The book's number (see `list`)."),
    user: str = _User,
) -> None:
    """Take a book out of your library (the file it came from is not touched)."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            gone = await companion.library.remove(user, book)
        out.print(f"Removed “{escape(gone.title)}” from your library.")
        return 0

    run(work)
