"""A book's text as passages of about 100–300 words, each with its chapter and exact
character offsets into the repaired text that is kept, so a quote can always be shown
as it stands.

Speed matters here (a shelf of a thousand books should take seconds), so the work is
done a block at a time with string methods and regular expressions that run in C, and
Python touches each paragraph once and each passage once:

- blank-line runs become one blank line; a hard-wrapped paragraph (Gutenberg wraps at
  about 70 characters) is joined into one line, while verse (short lines) keeps its
  breaks;
- a passage ends at the first paragraph break past about 180 words, else at a sentence
  end, else between words, and never runs past about 300 words;
- a chapter heading ("CHAPTER XII.", "Book the First", "# Notes") starts a passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from os1.skills.library.text import end_of_book, front

# characters, at about 5.7 a word in English prose
SHORTEST = 600  # ~100 words
TARGET = 1000  # ~180 words: the first paragraph break after this ends a passage
LONGEST = 1700  # ~300 words
MOST_WORDS = 300  # a passage of short words is cut shorter to stay under this
OPENING = 64_000  # characters read before the front matter is judged

# each starts with a literal, which lets the regular expression engine skip ahead fast
_BLANK_RUNS = re.compile(r"\n[ \t]*\n\s*")
_HEADING = re.compile(
    r"\n\n((?:chapter|book|part|volume|letter|act|scene|stave|canto|section)\s+"
    r"(?:[0-9]+|[ivxlcdm]+\b|the\s+\w+|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"|#{1,3}\s+\S)"
    r"[^\n]{0,90}(?:\n[^\n]{0,90})?(?=\n\n|\Z)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*\s")


@dataclass(frozen=True)
class Passage:
    text: str
    start: int  # character offsets into the kept text: text == kept[start:end]
    end: int
    chapter: str
    byte_start: int  # the same in the kept file's UTF-8 bytes, to read it back from disk
    byte_end: int


@dataclass
class Book:
    """What reading found besides the passages (filled in as the text streams by)."""

    title: str = ""
    author: str = ""
    chars: int = 0
    words: int = 0  # counted by the spaces between them: close, not exact
    chapter: str = ""  # the heading the text has reached


def _paragraph(part: str) -> str:
    """One paragraph: hard-wrapped lines joined into one, verse left line by line."""
    lines = part.count("\n") + 1
    if lines == 1:
        return part
    if len(part) > 45 * lines:
        return part.replace("\n", " ")
    return "\n".join(line.strip() for line in part.split("\n"))


def _clean(text: str) -> str:
    """Whole paragraphs, one blank line apart, with no break at either end."""
    parts = _BLANK_RUNS.sub("\n\n", text).strip().split("\n\n")
    return "\n\n".join(_paragraph(p) for p in parts if p)


def cleaned(blocks: Iterable[str], book: Book) -> Iterator[str]:
    """The streamed text as runs of whole, cleaned paragraphs, without Gutenberg's header
    (its title and author go to ``book``) and licence."""
    carry = ""
    opening = True
    for block in blocks:
        carry += block
        if opening:
            if len(carry) < OPENING:
                continue
            carry, opening = _front_matter(carry, book), False
        stop = end_of_book(carry)
        if stop is not None:
            carry = carry[:stop]
            break
        cut = carry.rfind("\n\n")
        if cut < 0:
            if len(carry) < 4 * OPENING:
                continue
            cut = carry.rfind("\n")  # no paragraph break for a long way: break a line
        if cut > 0:
            if text := _clean(carry[:cut]):
                yield text
            carry = carry[cut:]
    else:
        if opening:
            carry = _front_matter(carry, book)
        stop = end_of_book(carry)
        carry = carry if stop is None else carry[:stop]
    if text := _clean(carry):
        yield text


def _front_matter(opening: str, book: Book) -> str:
    found = front(opening)
    book.title, book.author = found.title, found.author
    return opening[found.body_starts :]


def _cut(text: str, at: int, stop: int) -> int:
    """Where a passage starting at ``at`` ends, no later than ``stop``."""
    longest = LONGEST
    while True:
        end = _cut_within(text, at, stop, longest)
        if end - at <= 1200:  # too few characters for too many words: not counted
            return end
        words = text.count(" ", at, end) + text.count("\n", at, end) + 1
        if words <= MOST_WORDS:
            return end
        # short words: the same characters hold more of them
        longest = max(SHORTEST, (end - at) * MOST_WORDS * 9 // (words * 10))


def _cut_within(text: str, at: int, stop: int, longest: int) -> int:
    if stop - at <= longest:
        return stop
    limit = at + longest
    target, shortest = at + TARGET * longest // LONGEST, at + SHORTEST * longest // LONGEST
    cut = text.find("\n\n", target, limit)
    if cut < 0:
        cut = text.rfind("\n\n", shortest, limit)
    if cut < 0:
        ends = [m.end() for m in _SENTENCE_END.finditer(text, shortest, limit)]
        cut = ends[-1] if ends else -1
    if cut < 0:
        cut = text.rfind(" ", shortest, limit)
    return cut if cut > at else limit


def _windows(text: str, base: int, byte_base: int, book: Book) -> Iterator[Passage]:
    """The passages of one run of cleaned paragraphs that starts at character ``base``
    and byte ``byte_base`` of the kept text."""
    ascii_only = text.isascii()  # most books: then a character is a byte
    byte_at, counted = byte_base, 0  # bytes of text[:counted]
    # the text is searched with a break before it, so a heading at its very start is
    # found too; m.start() is then where the heading starts in ``text`` itself
    found = _HEADING.finditer("\n\n" + text)
    heads = [(m.start(), " ".join(m.group(0).split()).lstrip("# ")[:120]) for m in found]
    head = 0
    at = 0
    while at < len(text):
        # a heading at or just after the start names the passage's chapter
        while head < len(heads) and heads[head][0] <= at + 2:
            book.chapter = heads[head][1]
            head += 1
        chapter = book.chapter
        stop = heads[head][0] if head < len(heads) else len(text)
        end = _cut(text, at, stop)
        piece = text[at:end]
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        if body:
            start = at + lead
            if ascii_only:
                first, last = byte_base + start, byte_base + start + len(body)
            else:
                byte_at += len(text[counted:start].encode("utf-8"))
                first = byte_at
                last = byte_at = byte_at + len(body.encode("utf-8"))
                counted = start + len(body)
            yield Passage(body, base + start, base + start + len(body), chapter, first, last)
        at = end


def passages(blocks: Iterable[str], kept: TextIO, book: Book) -> Iterator[Passage]:
    """Passages of the streamed text; the repaired text is written to ``kept`` (its
    offsets are the passages'), paragraphs one blank line apart."""
    written = written_bytes = 0
    for text in cleaned(blocks, book):
        separator = "\n\n" if written else ""
        kept.write(separator + text)
        base = written + len(separator)
        byte_base = written_bytes + len(separator)
        written = base + len(text)
        written_bytes = byte_base + (len(text) if text.isascii() else len(text.encode("utf-8")))
        book.words += text.count(" ") + text.count("\n") + 1
        yield from _windows(text, base, byte_base, book)
    book.chars = written


def last_heading(text: str) -> str:
    """The last chapter heading in ``text`` (the chapter a place in a book is in), or ""."""
    found = ""
    for match in _HEADING.finditer("\n\n" + text):
        found = match.group(0)
    return " ".join(found.split()).lstrip("# ")[:120]
