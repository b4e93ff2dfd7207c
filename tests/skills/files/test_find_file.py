"""Finding a file from a description, on a real tree, with a fixed clock."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from files_trees import write

from os1.skills.base import ToolContext
from os1.skills.files.query import parse
from os1.skills.files.tools import FindFile
from os1.skills.reach import FileReach
from os1.store import Database, UserStore

NOW = dt.datetime(2025, 7, 20, 12, 0).timestamp()


def _at(path: Path, when: dt.datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF whose page says ``text`` (built by hand: offsets and all)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[UserStore]:
    db = await Database.open(tmp_path / "os1.db")
    yield await db.user("me")
    await db.aclose()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    spring = dt.datetime(2025, 4, 10)
    _at(write(root / "Documents" / "Flat" / "lease-agreement.pdf", _minimal_pdf("Lease")), spring)
    _at(
        write(root / "Documents" / "lease-2019.pdf", _minimal_pdf("Old lease")),
        dt.datetime(2019, 4, 1),
    )
    _at(
        write(root / "Documents" / "scan_0041.pdf", _minimal_pdf("Tenancy agreement for the flat")),
        spring,
    )
    _at(write(root / "Documents" / "lease-notes.txt", "notes on the lease"), spring)
    _at(write(root / "Pictures" / "Lisbon" / "IMG_2041.jpg", b"jpeg"), dt.datetime(2024, 7, 3))
    _at(write(root / "Pictures" / "Lisbon" / "IMG_9001.jpg", b"jpeg"), dt.datetime(2022, 1, 3))
    _at(write(root / "Pictures" / "Porto" / "IMG_2042.jpg", b"jpeg"), dt.datetime(2024, 7, 4))
    _at(write(root / "Work" / "Jane_Doe_Resume_2025.docx", b"docx"), dt.datetime(2025, 2, 1))
    _at(write(root / "Work" / "boiler.txt", "the boiler man comes on Tuesday"), spring)
    return root


def test_descriptions_become_kinds_times_and_words() -> None:
    lease = parse("the PDF about my lease from spring", NOW)
    assert (lease.kind, lease.words, lease.when) == ("PDF", ("lease",), "spring 2025")
    lisbon = parse("photos from Lisbon last summer", NOW)
    assert lisbon.kind == "photo" and lisbon.words == ("lisbon",)
    assert lisbon.when == "summer 2024"  # this summer is not over on 20 July
    assert parse("my CV", NOW).synonyms == {
        "cv": frozenset({"resume", "curriculum", "vitae", "lebenslauf"})
    }
    assert parse("the spreadsheet from last year", NOW).when == "2024"
    assert parse("notes from March", NOW).when == "March"


async def _find(store: UserStore, description: str, path: str = "") -> str:
    answer = await FindFile().plan(
        ToolContext(store, now=lambda: NOW, files=FileReach.anywhere()),
        FindFile.Args.model_validate({"description": description, "path": path}),
    )
    assert isinstance(answer, str)
    return answer


def _ranked(answer: str) -> list[str]:
    return [line.split(" (")[0].split(". ", 1)[1] for line in answer.splitlines()[1:]]


async def test_the_lease_pdf_from_spring_comes_first(store: UserStore, tree: Path) -> None:
    answer = await _find(store, "the PDF about my lease from spring", str(tree))
    ranked = _ranked(answer)
    assert ranked[0].endswith("Flat/lease-agreement.pdf")
    assert "lease-notes.txt" not in answer  # not a PDF
    assert any(r.endswith("scan_0041.pdf") for r in ranked)  # its text says tenancy
    assert ranked.index(next(r for r in ranked if r.endswith("lease-2019.pdf"))) > 0
    assert '"lease" in the name' in answer and "changed in spring 2025" in answer


async def test_photos_from_a_place_and_a_season(store: UserStore, tree: Path) -> None:
    ranked = _ranked(await _find(store, "photos from Lisbon last summer", str(tree)))
    assert ranked[0].endswith("Lisbon/IMG_2041.jpg")
    assert not any("Porto" in r for r in ranked)


async def test_my_cv_finds_the_resume_from_the_roots_setting(store: UserStore, tree: Path) -> None:
    await store.set_setting("files.roots", [str(tree / "Work")])
    answer = await _find(store, "my CV")
    assert _ranked(answer)[0].endswith("Jane_Doe_Resume_2025.docx")
    assert "in part of the name" in answer or "in the name" in answer


async def test_words_inside_text_files_count(store: UserStore, tree: Path) -> None:
    answer = await _find(store, "the note about the boiler man", str(tree))
    assert _ranked(answer)[0].endswith("boiler.txt")


async def test_nothing_found_and_bad_folders_are_said_plainly(store: UserStore, tree: Path) -> None:
    assert "I found nothing matching" in await _find(store, "the zebra invoice", str(tree))
    assert "There is no folder" in await _find(store, "my CV", str(tree / "nope"))
    assert "Tell me something about the file" in await _find(store, "the", str(tree))
