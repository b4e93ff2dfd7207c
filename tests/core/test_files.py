"""``companion.files``, the files API every door calls, on the cheap open: a folder that
is none is refused at once; the survey says what tidying would move without moving it,
and the tidy is only proposed; finding a file answers with matches or in words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from core_parts import opened

from os1.companion import Companion
from os1.core.files import Files
from os1.errors import InputError
from os1.events import ProposalMade

__all__ = ["opened"]  # a fixture, used by name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small home: one duplicate download, a half-finished download, a CV to find."""
    root = tmp_path / "me"
    report = os.urandom(50_000)
    for where, data in [
        ("Documents/report.pdf", report),
        ("Downloads/report (1).pdf", report),
        ("Downloads/movie.mkv.part", b"partial"),
        ("Documents/cv-ada-lovelace.pdf", b"%PDF-1.4 curriculum vitae"),
    ]:
        (root / where).parent.mkdir(parents=True, exist_ok=True)
        (root / where).write_bytes(data)
    old = 1_600_000_000  # long before now, so nothing looks like a download under way
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


def test_a_folder_that_is_none_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(InputError):  # said before any companion opens
        Files.check_folder(str(tmp_path / "nowhere"))
    (tmp_path / "a.txt").write_text("a file, not a folder")
    with pytest.raises(InputError):
        Files.check_folder(str(tmp_path / "a.txt"))
    Files.check_folder(str(tmp_path))


async def test_the_survey_moves_nothing_and_the_tidy_is_only_proposed(
    opened: Companion, folder: Path
) -> None:
    surveyed = await opened.files.survey("ada", {"path": str(folder)})
    moved = {str(Path(item.path).relative_to(folder)) for item in surveyed.survey.items}
    assert {"Downloads/report (1).pdf", "Downloads/movie.mkv.part"} <= moved
    assert "Documents/report.pdf" not in moved  # the copy that stays
    assert (folder / "Downloads" / "report (1).pdf").exists() and surveyed.where
    with pytest.raises(InputError):
        await opened.files.survey("ada", {"path": str(folder), "to": "the moon"})

    proposal = await opened.propose("ada", "declutter", {"path": str(folder)})
    assert isinstance(proposal, ProposalMade) and "report (1).pdf" in proposal.preview
    assert (folder / "Downloads" / "report (1).pdf").exists()  # only proposed


async def test_a_file_is_found_with_where_it_looked(opened: Companion, folder: Path) -> None:
    found = await opened.files.find("ada", "my CV", str(folder))
    assert found.matches and found.matches[0].path.endswith("cv-ada-lovelace.pdf")
    assert found.looked_at >= 4 and len(found.roots) == 1
    assert "cv-ada-lovelace.pdf" in found.shown(found.matches[0].path)
    said = await opened.files.find_words("ada", "my CV", str(folder))
    assert "cv-ada-lovelace.pdf" in said
    with pytest.raises(InputError):
        await opened.files.find("ada", "my CV", str(folder / "nowhere"))
