"""``companion.proofread``, the one proofreading API every door calls: the suggestions
for a file within the person's reach, as a door shows them, and the arguments that write
exactly the kept ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.companion import Companion
from os1.errors import InputError
from os1.events import ActionSettled, ProposalMade

LETTER = "dear Amy,\n\nI recieve your letter and was happy to to read it.\n"


async def test_a_file_is_checked_shown_and_only_the_kept_suggestions_written(
    companion: Companion, tmp_path: Path
) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text(LETTER)

    found = await companion.proofread.check("ada", str(letter), use_model=False)
    assert found.document.path == letter.resolve() and letter.read_text() == LETTER
    typo = next(s for s in found.suggestions if s.original == "recieve")
    assert found.line(typo) == 3
    assert (
        found.change(typo).inline()
        == "I [-recieve-]{+receive+} your letter and was happy to to read it…"
    )
    data = found.to_dict()
    assert data["encoding"] == "utf-8" and {"line": 3, **typo.to_dict()} in data["suggestions"]

    proposal = await companion.propose("ada", "proofread", found.accepting([typo]))
    assert isinstance(proposal, ProposalMade)
    (settled,) = [e async for e in companion.decide("ada", proposal.proposal_id, confirm=True)]
    assert isinstance(settled, ActionSettled) and settled.status == "done"
    assert letter.read_text() == LETTER.replace("recieve", "receive")


async def test_what_cannot_be_proofread_is_refused(companion: Companion, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="There is no file"):
        await companion.proofread.check("ada", str(tmp_path / "missing.txt"), use_model=False)
    with pytest.raises(InputError, match="is a folder"):
        await companion.proofread.check("ada", str(tmp_path), use_model=False)
