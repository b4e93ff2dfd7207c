"""Proofreading in conversation with the real model: pasted text gets its corrections as
a diff; a file is corrected only once confirmed, its original kept, and undo restores it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import collect, proposal_for
from os1.companion import Companion
from os1.events import ActionSettled, ProposalMade, TextDelta

pytestmark = pytest.mark.real_model


async def test_pasted_text_gets_its_corrections_as_a_diff(real_routed: Companion) -> None:
    events = await collect(
        real_routed.turn(
            "kim", "Proofread this for me: I am writting to thank you for the the lovely evening."
        )
    )
    assert not [e for e in events if isinstance(e, ProposalMade)]  # text only: nothing to do
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "suggestion" in answer and "{+writing+}" in answer
    assert "I am writing to thank you for the lovely evening." in answer  # all applied


async def test_a_letter_on_disk_is_corrected_only_when_confirmed(
    real_routed: Companion, tmp_path: Path
) -> None:
    letter = tmp_path / "bank.txt"
    original = "Dear Sir,\nI recieved you letter and I has a question about my acount.\n"
    letter.write_text(original)
    proposal = await proposal_for(real_routed, "kim", f"Please proofread the file {letter}")
    assert proposal.tool == "proofread" and "received" in proposal.preview
    assert letter.read_text() == original

    [done] = await collect(real_routed.decide("kim", proposal.proposal_id, confirm=True))
    assert isinstance(done, ActionSettled) and done.status == "done"
    fixed = letter.read_text()
    assert "received" in fixed and "account" in fixed and fixed != original
    await real_routed.undo("kim", proposal.proposal_id)
    assert letter.read_text() == original
