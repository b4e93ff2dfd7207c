"""The library in conversation: "what does Watts say about the present moment?" answered
with the passages of the person's own books, each quoted as it stands with its book and
chapter, and "where was I in Moby-Dick?" with how far they have read. Both only read,
so there is never anything to confirm."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from os1.errors import LibraryError
from os1.skills.base import ReadOnly, ToolContext, args_from_text
from os1.skills.library import shelf
from os1.skills.library.finding import find, kept_text, library_folder
from os1.skills.library.index import PassageIndex
from os1.skills.library.reading import place_in, which_book

SHOWN = 3  # passages a reply quotes
LONGEST_QUOTE = 600  # characters of each shown (a passage is up to about 1,700)


class SearchArgs(BaseModel):
    query: str = Field(
        min_length=1,
        max_length=500,
        description="What to look for in the books: the words, an author, a subject.",
    )


class SearchLibrary(ReadOnly):
    name = "search_library"
    touches = "own_data"
    # (substrings of the message: "read" would match "ready", so it is not one)
    cues = ("book", "library", "novel", "chapter", "passage", "quote", "say about",
            "says about", "said about", "write about", "writes about", "wrote about")  # fmt: skip
    hints = (*cues, "author", "poem", "essay")
    summary = "find passages in the person's own books and documents (their library), quoted"
    Args = SearchArgs
    examples = (
        "what does Watts say about the present moment?",
        "find the passage about the white whale",
        "in my books, where is the lighthouse keeper mentioned?",
    )

    def from_command(self, text: str) -> SearchArgs:
        return SearchArgs.model_validate(args_from_text(self, text).model_dump())

    async def plan(self, ctx: ToolContext, args: SearchArgs) -> str:
        if ctx.home is None:
            return "There is no library here: os1 keeps no data folder."
        folder = library_folder(ctx.home, ctx.store.user.id)
        if not (folder / "index").exists():
            return "Your library is empty. Add books with `os1 library add ~/Books`."
        hits = await find(ctx.store, folder, PassageIndex(folder / "index"), args.query, SHOWN)
        if not hits:
            return f'Nothing in your books matches "{args.query.strip()}".'
        lines = [f'From your books, on "{args.query.strip()}":']
        for hit in hits:
            where = hit.title + (f" by {hit.author}" if hit.author else "")
            where += f", {hit.chapter}" if hit.chapter else ""
            quote = " ".join(hit.text.split())
            if len(quote) > LONGEST_QUOTE:
                quote = quote[:LONGEST_QUOTE].rsplit(" ", 1)[0] + " …"
            lines.append(f"- {where} (book {hit.book}, at {hit.start:,}):\n  “{quote}”")
        return "\n".join(lines)


class PlaceArgs(BaseModel):
    title: str = Field(
        min_length=1, max_length=300, description="The book: any part of its title or author."
    )


class WhereWasI(ReadOnly):
    name = "where_was_i"
    touches = "own_data"
    # ("how far" alone would take "how far is Lisbon?")
    cues = ("where was i", "where did i stop", "where did i leave", "left off", "how far am i",
            "how far have i", "how far did i", "up to in")  # fmt: skip
    hints = (*cues, "book", "novel", "chapter", "page")
    summary = "say how far the person has read one of their books, and where they stopped"
    Args = PlaceArgs
    examples = (
        "where was I in Moby-Dick?",
        "how far am I in Pride and Prejudice?",
        "where did I leave off in the Watts book?",
    )

    def from_command(self, text: str) -> PlaceArgs:
        return PlaceArgs.model_validate(args_from_text(self, text).model_dump())

    async def plan(self, ctx: ToolContext, args: PlaceArgs) -> str:
        if ctx.home is None:
            return "There is no library here: os1 keeps no data folder."
        try:
            book = which_book(await shelf.listed(ctx.store), args.title)
        except LibraryError as exc:
            return exc.message
        folder = library_folder(ctx.home, ctx.store.user.id)
        return (await asyncio.to_thread(place_in, book, kept_text(folder, book.id))).said()
