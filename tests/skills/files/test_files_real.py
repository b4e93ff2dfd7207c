"""The files skill in conversation with the real model: asked in plain words, proposed,
confirmed, journaled and undone."""

from __future__ import annotations

from pathlib import Path

import pytest
from files_trees import fingerprint, messy_tree

from conftest import collect, proposal_for
from os1.companion import Companion
from os1.events import ActionSettled, ProposalMade, TextDelta

pytestmark = pytest.mark.real_model


async def test_tidy_a_folder_asked_in_words(real_routed: Companion, tmp_path: Path) -> None:
    root = messy_tree(tmp_path / "sam")
    before = fingerprint(root)
    proposal = await proposal_for(
        real_routed, "sam", f"My disk is full. Can you clean up the clutter in {root}?"
    )
    assert proposal.tool == "declutter" and "nothing is deleted" in proposal.preview
    assert fingerprint(root) == before  # nothing moves before the person says yes

    [done] = await collect(real_routed.decide("sam", proposal.proposal_id, confirm=True))
    assert isinstance(done, ActionSettled) and done.status == "done"
    assert not (root / "Downloads" / "setup-tool.dmg").exists()
    undone = await real_routed.undo("sam")
    assert undone.status == "undone" and fingerprint(root) == before


async def test_find_a_file_by_description(real_routed: Companion, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "letters").mkdir(parents=True)
    (root / "letters" / "lease-agreement-flat.txt").write_text("Tenancy lease for the flat")
    (root / "letters" / "gym.txt").write_text("gym membership")
    events = await collect(
        real_routed.turn("sam", f"Where is the document about my lease? Look in {root}")
    )
    assert not [e for e in events if isinstance(e, ProposalMade)]  # finding only reads
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "lease-agreement-flat.txt" in answer and "gym.txt" not in answer
