"""Books that are not plain text: HTML, EPUB, PDF and Word (.docx), read into text with
their title and author, safely.

Everything here reads what strangers made, so:

- XML and HTML are parsed with entities left unresolved, no DTD loaded and no network
  (an EPUB's external entity is never fetched or expanded: XXE);
- an archive (EPUB, .docx) is read member by member from the zip, never unpacked to
  disk, so a member named ``../../.bashrc`` goes nowhere; members are capped in number,
  in size unpacked, and in how much they grow from their packed size (zip bombs);
- an EPUB whose text is encrypted (DRM) and a PDF that is locked are named as such, and
  a PDF with no text layer (a scan) is named, not indexed as nothing.

Headings become ``# Heading`` paragraphs, which the passages take for chapters.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Any

from os1.errors import LibraryError

DOCUMENTS = frozenset({".html", ".htm", ".xhtml", ".epub", ".pdf", ".docx"})
BIGGEST_DOCUMENT = 200 << 20  # bytes of a document file (they are read whole)
BIGGEST_UNPACKED = 400 << 20  # bytes an archive may unpack to, all members together
MOST_GROWTH = 120  # an archive member unpacking to more than this many times its size
MOST_MEMBERS = 20_000
_BLOCKS = ("p", "div", "br", "li", "blockquote", "pre", "tr", "section", "article",
           "h1", "h2", "h3", "h4", "h5", "h6")  # fmt: skip
_HEADINGS = {"h1", "h2", "h3"}


@dataclass(frozen=True)
class Document:
    text: str
    title: str = ""
    author: str = ""


def read_document(suffix: str, data: bytes, name: str) -> Document:
    """The text of a document file's bytes.

    Raises:
        LibraryError: it is broken, locked (DRM, a password) or holds no text layer.
    """
    readers = {".epub": _epub, ".pdf": _pdf, ".docx": _docx}
    try:
        return readers.get(suffix, _html_file)(data, name)
    except LibraryError:
        raise
    except Exception as exc:  # any way a stranger's file can break a parser
        why = str(exc)[:200] or type(exc).__name__
        raise LibraryError(
            "library_unreadable", f"{name} could not be read as {suffix[1:].upper()}: {why}."
        ) from exc


def _xml(data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    root = etree.fromstring(data, parser)
    if root is None:
        raise ValueError("no XML in it")
    return root


def _html_tree(data: bytes) -> Any:
    from lxml import html

    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    return html.document_fromstring(data, parser=parser)


def _html_text(tree: Any) -> str:
    """The words of an HTML tree, a blank line after each block, headings as ``# ...``."""
    for dropped in tree.xpath("//script|//style|//head|//nav"):
        dropped.drop_tree()
    for element in tree.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _HEADINGS:
            words = " ".join(element.text_content().split())
            tail = element.tail
            element.clear()  # (which drops the tail too: the text after the heading)
            element.text, element.tail = (f"\n\n# {words}\n\n" if words else ""), tail
        elif tag in _BLOCKS:
            element.tail = "\n\n" + (element.tail or "")
    return str(tree.text_content())


def _html_file(data: bytes, name: str) -> Document:
    if not data.strip():
        raise LibraryError("library_empty", f"{name} is empty.")
    tree = _html_tree(data)
    title = " ".join(" ".join(tree.xpath("//title//text()")).split())
    author = tree.xpath("string(//meta[@name='author']/@content)")
    return Document(_html_text(tree), title[:300], str(author).strip()[:300])


class _Archive:
    """A zip read member by member, each checked before it is unpacked."""

    def __init__(self, data: bytes, name: str) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.name = name
        members = self.zip.infolist()
        if len(members) > MOST_MEMBERS:
            raise self._bomb(f"{len(members):,} files in it")
        if sum(m.file_size for m in members) > BIGGEST_UNPACKED:
            raise self._bomb("more than 400 MB unpacked")
        self.names = {m.filename for m in members}

    def _bomb(self, why: str) -> LibraryError:
        return LibraryError(
            "library_zip_bomb",
            f"{self.name} was not opened: {why}, more than any book needs.",
            "If it is a real book, convert it to plain text first.",
        )

    def read(self, member: str) -> bytes:
        info = self.zip.getinfo(member)
        if info.file_size > MOST_GROWTH * max(info.compress_size, 1024):
            raise self._bomb(f"{member} grows {info.file_size // max(info.compress_size, 1)}x")
        with self.zip.open(info) as packed:
            data = packed.read(info.file_size + 1)
        if len(data) > info.file_size:  # the header lied about the size
            raise self._bomb(f"{member} is bigger than it says")
        return data


def _epub(data: bytes, name: str) -> Document:
    book = _Archive(data, name)
    if "META-INF/encryption.xml" in book.names and _encrypted(book):
        raise LibraryError(
            "library_drm",
            f"{name} is locked by DRM, so its words cannot be read.",
            "Add a copy without DRM (many shops offer one), or its plain text.",
        )
    container = _xml(book.read("META-INF/container.xml"))
    opf_path = str(container.xpath("string(//*[local-name()='rootfile']/@full-path)"))
    opf = _xml(book.read(opf_path))
    base = posixpath.dirname(opf_path)
    title = " ".join(str(opf.xpath("string(//*[local-name()='title'])")).split())
    author = " ".join(str(opf.xpath("string(//*[local-name()='creator'])")).split())
    items = {
        str(i.get("id")): str(i.get("href", ""))
        for i in opf.xpath("//*[local-name()='manifest']/*[local-name()='item']")
    }
    parts = []
    for ref in opf.xpath("//*[local-name()='spine']/*[local-name()='itemref']/@idref"):
        href = items.get(str(ref), "").split("#")[0]
        member = posixpath.normpath(posixpath.join(base, href)) if href else ""
        if not member or member.startswith("../") or member not in book.names:
            continue  # a spine entry pointing outside the archive or nowhere
        parts.append(_html_text(_html_tree(book.read(member))))
    text = "\n\n".join(parts)
    return Document(text, title[:300], author[:300])


def _encrypted(book: _Archive) -> bool:
    """Whether an EPUB's text is encrypted (fonts alone are often obfuscated: no DRM)."""
    encryption = _xml(book.read("META-INF/encryption.xml"))
    targets = encryption.xpath("//*[local-name()='CipherReference']/@URI")
    return any(not str(t).lower().endswith((".ttf", ".otf", ".woff", ".woff2")) for t in targets)


def _pdf(data: bytes, name: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LibraryError(
                "library_drm",
                f"{name} is locked with a password.",
                "Add an unlocked copy, or its plain text.",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except PdfReadError as exc:
        raise LibraryError("library_unreadable", f"{name} is a broken PDF ({exc}).") from exc
    text = "\n\n".join(pages)
    if len(text.split()) < 5 * max(1, len(pages)):
        raise LibraryError(
            "library_no_text",
            f"{name} has no text layer (a scan?), so there are no words to read.",
            "Run it through OCR (e.g. ocrmypdf) and add the result.",
        )
    title = str(getattr(meta, "title", "") or "") if meta else ""
    author = str(getattr(meta, "author", "") or "") if meta else ""
    return Document(text, title.strip()[:300], author.strip()[:300])


def _docx(data: bytes, name: str) -> Document:
    document = _Archive(data, name)
    root = _xml(document.read("word/document.xml"))
    paragraphs = []
    for paragraph in root.xpath("//*[local-name()='body']//*[local-name()='p']"):
        words = "".join(str(t) for t in paragraph.xpath(".//*[local-name()='t']/text()"))
        style = str(paragraph.xpath("string(.//*[local-name()='pStyle']/@*[local-name()='val'])"))
        if words.strip():
            heading = style.lower().startswith(("heading", "title"))
            paragraphs.append(f"# {words}" if heading else words)
    title = author = ""
    if "docProps/core.xml" in document.names:
        core = _xml(document.read("docProps/core.xml"))
        title = str(core.xpath("string(//*[local-name()='title'])")).strip()
        author = str(core.xpath("string(//*[local-name()='creator'])")).strip()
    return Document("\n\n".join(paragraphs), title[:300], author[:300])
