"""Books that are not plain text: HTML, EPUB, PDF and Word are read with their title,
author and chapters; hostile ones (an external entity, a zip bomb, a path out of the
archive, DRM, a scan with no text, a broken file) are named, never a crash or a leak."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from os1.companion import Companion
from os1.errors import LibraryError
from os1.skills.library.formats import read_document

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf"
    media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

OPF = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:title>The Lighthouse Keeper</dc:title><dc:creator>Ada Lovelock</dc:creator>
  </metadata>
  <manifest>
    <item id="c1" href="one.xhtml" media-type="application/xhtml+xml"/>
    <item id="c2" href="two.xhtml" media-type="application/xhtml+xml"/>
    <item id="out" href="../../../../etc/passwd" media-type="application/xhtml+xml"/>
  </manifest>
  <spine><itemref idref="c1"/><itemref idref="out"/><itemref idref="c2"/></spine>
</package>"""

CHAPTER = """<?xml version="1.0"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title>
<style>p {{ color: red }}</style></head>
<body><h1>{heading}</h1><p>{words}</p><script>alert('no')</script></body></html>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE html [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>Two</h1>
<p>The keeper wrote &leak; in the log.</p></body></html>"""


def _epub(chapters: dict[str, str], *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("META-INF/container.xml", CONTAINER)
        book.writestr("OEBPS/content.opf", OPF)
        for name, text in chapters.items():
            book.writestr(f"OEBPS/{name}", text)
        for name, data in (extra or {}).items():
            book.writestr(name, data)
    return buffer.getvalue()


def _good_epub() -> bytes:
    return _epub({
        "one.xhtml": CHAPTER.format(heading="The Lamp", words="Every night the lamp was lit."),
        "two.xhtml": XXE,
    })  # fmt: skip


def test_an_epub_is_read_in_spine_order_with_no_entity_resolved_or_path_followed() -> None:
    document = read_document(".epub", _good_epub(), "keeper.epub")
    assert (document.title, document.author) == ("The Lighthouse Keeper", "Ada Lovelock")
    assert "# The Lamp" in document.text and "# Two" in document.text
    assert document.text.index("The Lamp") < document.text.index("Two")
    assert "Every night the lamp was lit." in document.text
    assert "root:" not in document.text  # /etc/passwd was not read in
    assert "alert" not in document.text and "color" not in document.text


def test_a_zip_bomb_drm_and_broken_files_are_named() -> None:
    bomb = _epub({"one.xhtml": CHAPTER.format(heading="x", words="y")},
                 extra={"OEBPS/two.xhtml": b"\0" * (40 << 20)})  # fmt: skip
    drm = _epub(
        {"one.xhtml": CHAPTER.format(heading="x", words="y")},
        extra={"META-INF/encryption.xml": b'<encryption><EncryptedData><CipherData>'
               b'<CipherReference URI="OEBPS/one.xhtml"/></CipherData></EncryptedData>'
               b"</encryption>"},
    )  # fmt: skip
    cases = {
        (".epub", bomb): "library_zip_bomb",
        (".epub", drm): "library_drm",
        (".epub", b"PK\x03\x04 not a zip at all"): "library_unreadable",
        (".pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage"): "library_unreadable",
        (".pdf", _pdf(words=False)): "library_no_text",
        (".docx", b""): "library_unreadable",
        (".html", b"   "): "library_empty",
    }
    for (suffix, data), code in cases.items():
        with pytest.raises(LibraryError) as caught:
            read_document(suffix, data, f"book{suffix}")
        assert caught.value.code == code, (suffix, caught.value)
        assert f"book{suffix}" in caught.value.message


def _pdf(*, words: bool = True) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setTitle("Notes on Bees")
    page.setAuthor("R. Hive")
    for n in range(2):
        if words:
            page.drawString(72, 720, f"Page {n + 1}: the bees of the orchard swarm in May.")
            page.drawString(72, 700, "The keeper moves the hives before the rain comes.")
        else:
            page.rect(72, 600, 200, 100, fill=1)  # a scan: shapes, no text layer
        page.showPage()
    page.save()
    return buffer.getvalue()


def _docx() -> bytes:
    body = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body>"
        '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Minutes</w:t></w:r></w:p>'
        "<w:p><w:r><w:t>The committee agreed to </w:t></w:r><w:r><w:t>plant pears.</w:t>"
        "</w:r></w:p></w:body></w:document>"
    )
    core = (
        '<cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>Garden Club</dc:title><dc:creator>Jo March</dc:creator></cp:coreProperties>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as document:
        document.writestr("word/document.xml", body)
        document.writestr("docProps/core.xml", core)
    return buffer.getvalue()


def test_pdf_word_and_html_give_their_words_title_and_author() -> None:
    pdf = read_document(".pdf", _pdf(), "bees.pdf")
    assert (pdf.title, pdf.author) == ("Notes on Bees", "R. Hive")
    assert "bees of the orchard swarm in May" in pdf.text
    word = read_document(".docx", _docx(), "club.docx")
    assert (word.title, word.author) == ("Garden Club", "Jo March")
    assert word.text == "# Minutes\n\nThe committee agreed to plant pears."
    html = read_document(
        ".html",
        b"<html><head><title>Recipes</title><meta name='author' content='Nan'></head><body>"
        b"<h2>Bread</h2><p>Knead &amp; rest the dough.</p><p>Bake it.</p></body></html>",
        "recipes.html",
    )
    assert (html.title, html.author) == ("Recipes", "Nan")
    assert "# Bread" in html.text and "Knead & rest the dough." in html.text


async def test_a_shelf_of_every_kind_goes_in_and_is_searched(
    companion: Companion, tmp_path: Path
) -> None:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "keeper.epub").write_bytes(_good_epub())
    (shelf / "bees.pdf").write_bytes(_pdf())
    (shelf / "scan.pdf").write_bytes(_pdf(words=False))
    (shelf / "club.docx").write_bytes(_docx())
    (shelf / "bomb.epub").write_bytes(
        _epub({"one.xhtml": "x"}, extra={"OEBPS/two.xhtml": b"\0" * (40 << 20)})
    )
    report = await companion.library.add("me", [shelf])
    assert sorted(a.title for a in report.added) == [
        "Garden Club", "Notes on Bees", "The Lighthouse Keeper",
    ]  # fmt: skip
    assert sorted(s.code for s in report.skipped) == ["library_no_text", "library_zip_bomb"]
    (hit,) = await companion.library.search("me", "lamp lit")
    assert hit.title == "The Lighthouse Keeper" and hit.chapter == "The Lamp"
    assert (await companion.library.search("me", "hives rain"))[0].author == "R. Hive"
