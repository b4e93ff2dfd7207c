"""A file's bytes as clean text, streamed block by block so a 2 GB file never sits in
memory: the encoding found (BOMs, UTF-16 without one, UTF-8, Windows-1252, Latin-1),
invalid bytes replaced rather than refused, CR-only and CRLF line ends made ``\\n``,
and a Project Gutenberg header and licence left out, its title and author kept.

Binary files are named as such (``LibraryError``), never indexed as noise.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from os1.errors import LibraryError

BLOCK = 4 << 20  # bytes read at a time: memory stays flat whatever the file's size
SNIFF = 64 << 10  # bytes looked at to tell the encoding and whether it is text at all

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Gutenberg's own markers: "*** START OF THE PROJECT GUTENBERG EBOOK MOBY DICK ***" and
# the older "*END*THE SMALL PRINT!" and "End of the Project Gutenberg EBook of ..."
_START = re.compile(
    r"^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG[^\n]*|^\*END\*THE SMALL PRINT[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
# Gutenberg's closing lines, looked for with str.find (gigabytes a second) and taken
# only where one starts a line, after at most some stars
_ENDS = (
    "END OF THE PROJECT GUTENBERG",
    "END OF THIS PROJECT GUTENBERG",
    "End of the Project Gutenberg",
    "End of Project Gutenberg",
)
_FIELD = re.compile(r"^(Title|Author):[ \t]*(\S[^\n]*)$", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Opened:
    """How a file's bytes are read: the encoding and the bytes of BOM to skip."""

    encoding: str
    skip: int


def sniff(head: bytes) -> Opened:
    """The encoding of a file that starts with ``head``.

    Raises:
        LibraryError: the bytes are not text (NULs or control characters throughout).
    """
    opened = _encoding(head)
    sample = head[opened.skip :].decode(opened.encoding, errors="replace")
    if not sample.strip():
        raise LibraryError("library_empty", "It holds no words.")
    if len(_CONTROL.findall(sample)) > len(sample) // 100 + 2:
        raise LibraryError("library_binary", "This is not text (it holds binary data).")
    return opened


def _encoding(head: bytes) -> Opened:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return Opened(encoding, len(bom))
    if head.count(0) > len(head) // 8:
        # UTF-16 without a BOM: every other byte of Latin text is NUL, on one side
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even < len(head) // 50:
            return Opened("utf-16-le", 0)
        if even > len(head) // 4 and odd < len(head) // 50:
            return Opened("utf-16-be", 0)
        raise LibraryError("library_binary", "This is not text (it holds binary data).")
    return Opened("utf-8" if _mostly_utf8(head) else _eight_bit(head), 0)


def _mostly_utf8(head: bytes) -> bool:
    """UTF-8 with a few bad bytes is still UTF-8 (they become U+FFFD); bytes that make
    no UTF-8 characters at all are an 8-bit encoding."""
    read = head.decode("utf-8", errors="replace")
    bad = read.count("\ufffd")
    if not bad or (bad == 1 and read.endswith("\ufffd")):  # a character cut by the sample
        return True
    return sum(1 for ch in read if ch > "\x7f") - bad >= bad


def _eight_bit(head: bytes) -> str:
    """Windows-1252 where its printable letters explain the bytes, else Latin-1."""
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def blocks(stream: BinaryIO, opened: Opened) -> Iterator[str]:
    """The stream's text (from where it stands) in blocks with line ends made ``\\n``;
    invalid bytes become U+FFFD. A CR at the end of one block and an LF at the start of
    the next are one line end."""
    decoder = codecs.getincrementaldecoder(opened.encoding)(errors="replace")
    carry_cr = False
    while True:
        raw = stream.read(BLOCK)
        text = decoder.decode(raw, final=not raw)
        if carry_cr:
            text = "\r" + text
        carry_cr = text.endswith("\r") and bool(raw)
        if carry_cr:
            text = text[:-1]
        if text:
            yield text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
        if not raw:
            return


@dataclass(frozen=True)
class Front:
    """What the opening of a text says about the book."""

    title: str = ""
    author: str = ""
    body_starts: int = 0  # where the book's own text starts (after Gutenberg's header)


def front(opening: str) -> Front:
    """Title and author from a Gutenberg header, and where the header ends."""
    start = _START.search(opening)
    header = opening[: start.start()] if start else opening[:4000]
    fields = {name.lower(): value.strip() for name, value in _FIELD.findall(header)}
    body = 0
    if start:
        line_end = opening.find("\n", start.end())
        body = len(opening) if line_end < 0 else line_end + 1
    return Front(fields.get("title", "")[:300], fields.get("author", "")[:300], body)


def end_of_book(text: str) -> int | None:
    """Where Gutenberg's closing licence starts in ``text``, if it does."""
    best: int | None = None
    for marker in _ENDS:
        at = text.find(marker)
        while at >= 0:
            line = text.rfind("\n", 0, at) + 1
            if not text[line:at].strip("* "):
                best = line if best is None else min(best, line)
                break
            at = text.find(marker, at + 1)
    return best


def open_text(path: Path) -> tuple[BinaryIO, Opened]:
    """``path`` opened for reading as text, standing after its BOM.

    Raises:
        LibraryError: it is gone, unreadable, empty or binary.
    """
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise LibraryError(
            "library_unreadable", f"{shown(path)} could not be opened ({exc.strerror})."
        ) from exc
    head = stream.read(SNIFF)
    if not head.strip():
        stream.close()
        raise LibraryError("library_empty", f"{shown(path)} is empty.")
    try:
        opened = sniff(head)
    except LibraryError as exc:
        stream.close()
        raise LibraryError(exc.code, f"{shown(path)}: {exc.message}", exc.hint) from exc
    stream.seek(opened.skip)
    return stream, opened


def shown(path: Path) -> str:
    """A file's name as text, whatever bytes the file system holds for it."""
    return shown_text(path.name)


def shown_text(name: str) -> str:
    """``name`` as printable UTF-8: bytes a file system held that are no UTF-8, and
    lone surrogates a request carried, become U+FFFD."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")
