"""A person's library over HTTP: add books, search them, read a passage in its place.

- ``POST /api/library`` with ``{"paths": [...]}`` (files or folders among the person's
  own files, as named in a request: ``~/books``) -> the ``AddReport``: ``{added: [{book,
  title, source, passages, words}], skipped: [{source, code, message}], bytes, seconds,
  mb_per_s}``. Every file that could not be read is in ``skipped`` with why.
- ``PUT /api/library/files/NAME`` with a book's bytes as the body -> 201, the ``AddReport``:
  the file is kept among the person's files (as ``PUT /api/files/NAME``) and added.
- ``GET /api/library`` -> ``{books: [Book]}``, by title.
- ``GET /api/library/search?q=...&k=10`` -> ``{hits: [Hit]}``, best first: each with its
  book, chapter and character offsets into the book's text.
- ``GET /api/library/ID`` -> the ``Book``; ``GET /api/library/ID/text?start=&end=`` ->
  ``{text, start, end}``: the book's text between two offsets (a passage in its place),
  remembered as read up to its end.
- ``POST /api/library/ask`` with ``{"question", "k"?}`` -> ``{answer, known, quotes:
  [Quote], unverified}``: the local model's answer resting on quotes cut from the books
  word for word (each with book, chapter and offsets). A model turn: it counts against
  the person's turn rate and waits its place in the turn line.
- ``GET /api/library/where?title=moby`` -> ``{book, at, share, chapter, words, said}``:
  how far the person has read the book any part of whose title that is.
- ``DELETE /api/library/ID`` -> 204: the book leaves the library (its file stays).

A book that is not the caller's is 404, as one that does not exist.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from os1.core.library import AddReport, Shelved
from os1.server.auth import Caller, Svc
from os1.server.schemas import Strict
from os1.server.turns import model_turn

router = APIRouter(prefix="/api", tags=["library"])
BookId = PathParam(ge=1, le=2**62, description="The book's id (from the list).")
LONGEST_READ = 200_000  # characters one request may read of a book


class AddIn(Strict):
    paths: list[str] = Field(min_length=1, max_length=1000, description="Files or folders.")


class AddedOut(BaseModel):
    book: int
    title: str
    source: str
    passages: int
    words: int


class SkippedOut(BaseModel):
    source: str
    code: str
    message: str


class AddOut(BaseModel):
    added: list[AddedOut]
    skipped: list[SkippedOut]
    bytes: int
    seconds: float
    mb_per_s: float


class BookOut(BaseModel):
    id: int
    title: str
    author: str
    source: str
    size: int
    chars: int
    words: int
    passages: int
    added_at: float
    read_to: int = Field(description="characters into the book where you stopped reading")
    read_at: float | None = Field(description="when you last read it")


class BookList(BaseModel):
    books: list[BookOut]


class HitOut(BaseModel):
    book: int
    title: str
    author: str
    chapter: str
    start: int
    end: int
    text: str
    score: float
    by: str = Field("words", description='"words", or "meaning": near the question in '
                    "meaning, not in its words")  # fmt: skip


class HitList(BaseModel):
    hits: list[HitOut]


class AskIn(Strict):
    question: str = Field(min_length=1, max_length=2000)
    k: int = Field(3, ge=1, le=5, description="How many passages to read.")


class QuoteOut(BaseModel):
    book: int
    title: str
    author: str
    chapter: str
    start: int
    end: int
    text: str


class AnswerOut(BaseModel):
    answer: str
    known: bool
    quotes: list[QuoteOut]
    unverified: int = Field(description="quotations in the answer not found in the books")


class PlaceOut(BaseModel):
    book: BookOut
    at: int
    share: float
    chapter: str
    words: str = Field(description="the words where you stopped")
    said: str = Field(description="all of it in a sentence")


class TextOut(BaseModel):
    text: str
    start: int
    end: int


def _report(done: AddReport) -> AddOut:
    return AddOut(
        added=[AddedOut(**asdict(a)) for a in done.added],
        skipped=[SkippedOut(**asdict(s)) for s in done.skipped],
        bytes=done.bytes,
        seconds=round(done.seconds, 3),
        mb_per_s=round(done.mb_per_s, 1),
    )


def _book(book: Shelved) -> BookOut:
    found = asdict(book)
    found.pop("ready")
    return BookOut(**found)


@router.post("/library", response_model=AddOut)
async def add_books(body: AddIn, account: Caller, svc: Svc) -> AddOut:
    """Add books and documents (.txt, .md, .html, .epub, .pdf, .docx) from your files."""
    paths = [Path(p) for p in body.paths]
    return _report(await svc.companion.library.add(account.name, paths))


@router.put("/library/files/{name}", response_model=AddOut, status_code=201)
async def upload_book(
    request: Request,
    account: Caller,
    svc: Svc,
    name: str = PathParam(min_length=1, max_length=200, description="e.g. moby-dick.epub"),
) -> AddOut:
    """Bring a book (its bytes as the body): kept among your files, then added."""
    stored = await svc.companion.upload(account.name, name, await request.body())
    return _report(await svc.companion.library.add(account.name, [Path(stored.path)]))


@router.post("/library/ask", response_model=AnswerOut)
async def ask_books(body: AskIn, account: Caller, svc: Svc) -> AnswerOut:
    """Ask your books: an answer by the local model, quoting them word for word."""
    library = svc.companion.library
    answer = await model_turn(
        svc, account, lambda: library.ask(account.name, body.question, body.k)
    )
    return AnswerOut(
        answer=answer.text,
        known=answer.known,
        quotes=[QuoteOut(**asdict(q)) for q in answer.quotes],
        unverified=answer.unverified,
    )


@router.get("/library", response_model=BookList)
async def list_books(account: Caller, svc: Svc) -> BookList:
    """Your books, by title."""
    return BookList(books=[_book(b) for b in await svc.companion.library.books(account.name)])


@router.get("/library/search", response_model=HitList)
async def search_books(
    account: Caller,
    svc: Svc,
    q: str = Query(max_length=4000, description='Words, a "phrase", or -word to leave out.'),
    k: int = Query(10, ge=1, le=100, description="How many passages."),
) -> HitList:
    """The passages of your books that best match, with book, chapter and place."""
    hits = await svc.companion.library.search(account.name, q, k)
    return HitList(hits=[HitOut(**asdict(h)) for h in hits])


@router.get("/library/where", response_model=PlaceOut)
async def where_was_i(
    account: Caller,
    svc: Svc,
    title: str = Query(min_length=1, max_length=300, description="Any part of its title."),
) -> PlaceOut:
    """How far you have read a book, in which chapter, at which words."""
    place = await svc.companion.library.where(account.name, title)
    return PlaceOut(
        book=_book(place.book), at=place.at, share=round(place.share, 4),
        chapter=place.chapter, words=place.words, said=place.said(),
    )  # fmt: skip


@router.get("/library/{book}", response_model=BookOut)
async def one_book(account: Caller, svc: Svc, book: int = BookId) -> BookOut:
    """One of your books."""
    return _book(await svc.companion.library.book(account.name, book))


@router.get("/library/{book}/text", response_model=TextOut)
async def book_text(
    account: Caller,
    svc: Svc,
    book: int = BookId,
    start: int = Query(0, ge=0, description="From this character."),
    end: int | None = Query(None, ge=0, description="To this one (at most 200,000 on)."),
) -> TextOut:
    """The book's text between two offsets: a passage found by search, in its place. It
    counts as read: "where was I?" answers with where this ends."""
    stop = min(end if end is not None else start + 5000, start + LONGEST_READ)
    page = await svc.companion.library.read(account.name, book, start, max(1, stop - start))
    return TextOut(text=page.text, start=page.start, end=page.end)


@router.delete("/library/{book}", status_code=204)
async def remove_book(account: Caller, svc: Svc, book: int = BookId) -> Response:
    """Take a book out of your library (its file is not touched)."""
    await svc.companion.library.remove(account.name, book)
    return Response(status_code=204)
