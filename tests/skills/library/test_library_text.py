"""Text is repaired, not rejected: every encoding a bookshelf holds is read, bad bytes
become U+FFFD, line ends are made one kind, Gutenberg's wrapping is taken off, and
binary or empty files are named as such."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest

from os1.errors import LibraryError
from os1.skills.library.passages import Book, passages
from os1.skills.library.text import BLOCK, blocks, open_text, sniff

SENTENCE = "Café “au lait” — naïve"


def _read(path: Path) -> str:
    stream, opened = open_text(path)
    with stream:
        return "".join(blocks(stream, opened))


@pytest.mark.parametrize(
    "raw",
    [
        SENTENCE.encode("utf-8"),
        codecs.BOM_UTF8 + SENTENCE.encode("utf-8"),
        codecs.BOM_UTF16_LE + SENTENCE.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + SENTENCE.encode("utf-16-be"),
        SENTENCE.encode("utf-16-le"),  # no BOM
        SENTENCE.encode("utf-16-be"),
        SENTENCE.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "cp1252"],
)
def test_every_encoding_of_a_shelf_reads_the_same(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "book.txt"
    path.write_bytes(raw * 20)
    assert _read(path) == SENTENCE * 20


def test_latin1_bytes_and_a_few_bad_bytes_are_kept_not_refused(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Ça coûte \x81 dix".encode("latin-1"))  # 0x81 is no Windows-1252 letter
    assert _read(latin) == "Ça coûte \x81 dix"
    broken = tmp_path / "broken.txt"
    broken.write_bytes("Zoë and Chloë ".encode() * 5 + b"\xff\xfe oops")
    assert _read(broken).endswith("Zoë and Chloë \ufffd\ufffd oops")  # UTF-8 kept


def test_line_ends_of_every_kind_become_one(tmp_path: Path) -> None:
    path = tmp_path / "mac.txt"
    # a CRLF split across two reads is still one line end
    path.write_bytes(b"a" * (BLOCK - 1) + b"\r\nold mac\rlines\r\n")
    text = _read(path)
    assert text.endswith("a\nold mac\nlines\n") and "\r" not in text
    assert text.count("\n") == 3


@pytest.mark.parametrize(
    "raw", [bytes(range(256)) * 64, b"\x89PNG\r\n\x1a\n" + bytes(4000), b"PK\x03\x04" + bytes(900)]
)
def test_binary_is_named_not_indexed(raw: bytes) -> None:
    with pytest.raises(LibraryError) as caught:
        sniff(raw)
    assert caught.value.code == "library_binary"


def test_empty_and_missing_files_get_their_own_words(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(codecs.BOM_UTF8 + b"\n")  # a BOM and nothing else
    with pytest.raises(LibraryError) as caught:
        open_text(tmp_path / "bom.txt")
    assert caught.value.code == "library_empty"
    (tmp_path / "empty.txt").write_bytes(b"  \n\n ")
    with pytest.raises(LibraryError) as caught:
        open_text(tmp_path / "empty.txt")
    assert caught.value.code == "library_empty" and "empty.txt" in caught.value.message
    with pytest.raises(LibraryError) as caught:
        open_text(tmp_path / "gone.txt")
    assert caught.value.code == "library_unreadable"


GUTENBERG = """\ufeffThe Project Gutenberg eBook of Moby Dick; Or, The Whale

This eBook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions.

Title: Moby Dick; Or, The Whale

Author: Herman Melville

*** START OF THE PROJECT GUTENBERG EBOOK MOBY DICK; OR, THE WHALE ***

CHAPTER 1. Loomings.

Call me Ishmael. Some years ago—never mind how long precisely—having
little or no money in my purse, and nothing particular to interest me
on shore, I thought I would sail about a little and see the watery part
of the world.

  Out of the trunk, the branches grow;
  Out of them, the twigs.

CHAPTER 2. The Carpet-Bag.

I stuffed a shirt or two into my old carpet-bag, tucked it under my arm,
and started for Cape Horn and the Pacific.

*** END OF THE PROJECT GUTENBERG EBOOK MOBY DICK; OR, THE WHALE ***

Section 1. General Terms of Use and Redistributing Project Gutenberg
"""


def _book(text: str) -> tuple[Book, list, str]:
    kept = io.StringIO()
    book = Book()
    found = list(passages([text], kept, book))
    return book, found, kept.getvalue()


def test_a_gutenberg_book_loses_its_licence_and_keeps_title_author_and_chapters() -> None:
    book, found, kept = _book(GUTENBERG)
    assert (book.title, book.author) == ("Moby Dick; Or, The Whale", "Herman Melville")
    assert kept.startswith("CHAPTER 1. Loomings.") and "Gutenberg" not in kept
    assert "terms of use" not in kept.lower()
    # the hard-wrapped paragraph is one line; the verse keeps its lines
    assert "having little or no money" in kept
    assert "Out of the trunk, the branches grow;\n  Out of them" not in kept
    assert "Out of the trunk, the branches grow;\nOut of them, the twigs." in kept
    assert [p.chapter for p in found] == ["CHAPTER 1. Loomings.", "CHAPTER 2. The Carpet-Bag."]
    for passage in found:
        assert kept[passage.start : passage.end] == passage.text
        assert kept.encode()[passage.byte_start : passage.byte_end].decode() == passage.text


def test_passages_are_a_hundred_to_three_hundred_words_with_exact_offsets() -> None:
    sentences = " ".join(f"The sailor nº {n} climbed the mast at dawn." for n in range(400))
    runon = " ".join(["word"] * 1000)  # no sentence end anywhere
    paragraphs = [f"Short paragraph {n} of a letter home." for n in range(60)]
    text = "\n\n".join([sentences, runon, *paragraphs])
    book, found, kept = _book(text)
    assert abs(book.words - sum(len(p.text.split()) for p in found)) <= book.words * 0.02
    assert all(len(p.text.split()) <= 300 for p in found)
    assert sum(len(p.text.split()) >= 100 for p in found) >= len(found) - 2
    for passage in found:
        assert kept[passage.start : passage.end] == passage.text
        assert kept.encode()[passage.byte_start : passage.byte_end].decode() == passage.text
