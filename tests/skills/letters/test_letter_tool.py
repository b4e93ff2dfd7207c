"""A letter asked for in a chat is a proposal: drafted and shown with its memories, kept
among the person's letters only once confirmed, and taken out again by undo."""

from __future__ import annotations

import pytest
from test_compose import LAKE, remember

from conftest import collect
from os1.companion import Companion
from os1.errors import InputError
from os1.events import ActionSettled, ProposalMade, TurnFinished
from os1.models.scripted import ScriptedLLM
from os1.skills.letters.tools import WriteLetter

DRAFT = (
    "Dear Grandma Rose,\n\nThank you for every summer at the lake house, skipping stones"
    " with me [1]. Remember when we rode horses on the beach?\n\nLove,\n[Your Name]"
)


async def _proposal(companion: Companion, text: str) -> ProposalMade:
    events = await collect(companion.turn("ann", text))
    made = [e for e in events if isinstance(e, ProposalMade)]
    assert len(made) == 1, events
    return made[0]


async def test_a_letter_asked_for_in_a_chat_is_kept_only_once_confirmed(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await remember(companion, LAKE)
    scripted.enqueue(DRAFT)
    proposal = await _proposal(
        companion, "/write_letter to Grandma Rose: happy 90th, thank her for the summers"
    )
    assert proposal.title == "Keep the letter to Grandma Rose"
    assert "Thank you for every summer at the lake house" in proposal.preview
    assert f'"{LAKE}" (2 August 2025)' in proposal.preview  # the memory it draws on
    assert "Remember when we rode horses on the beach?" in proposal.preview.split("No memory")[1]
    assert "Love,\nann" in proposal.preview  # signed in the person's name
    assert await companion.letters.listed("ann") == []  # nothing kept before Confirm

    settled = await collect(companion.decide("ann", proposal.proposal_id, confirm=True))
    assert isinstance(settled[0], ActionSettled) and settled[0].status == "done"
    [(kept, versions)] = await companion.letters.listed("ann")
    assert versions == 1 and kept.draft.recipient == "Grandma Rose"
    assert f"letter {kept.letter}" in settled[0].message
    assert kept.draft.text.startswith("Dear Grandma Rose") and "[1]" not in kept.draft.text
    assert [s.text for s in kept.draft.cited] == [LAKE]
    assert kept.draft.unsupported == ("Remember when we rode horses on the beach?",)

    undone = await companion.undo("ann", proposal.proposal_id)
    assert undone.status == "undone"
    assert await companion.letters.listed("ann") == []


async def test_undo_keeps_a_letter_revised_since(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await remember(companion, LAKE)
    scripted.enqueue(DRAFT)
    proposal = await _proposal(companion, "/write_letter Grandma Rose: thank her")
    await collect(companion.decide("ann", proposal.proposal_id, confirm=True))
    [(kept, _)] = await companion.letters.listed("ann")
    scripted.enqueue("Dearest Grandma Rose,\n\nThe lake house summers were everything.\n\nAnn")
    await companion.letters.revise("ann", kept.letter, "warmer")
    undone = await companion.undo("ann", proposal.proposal_id)
    assert undone.status != "undone" and "revised since" in undone.message
    assert len(await companion.letters.versions("ann", kept.letter)) == 2


async def test_a_stranger_is_asked_about_and_nothing_is_proposed(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await remember(companion, LAKE)
    events = await collect(companion.turn("ann", "/write_letter to Zebedee: say hello"))
    assert not [e for e in events if isinstance(e, ProposalMade)]
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert "I don't know who Zebedee is yet" in finished.text
    assert await companion.letters.listed("ann") == []


@pytest.mark.parametrize("said", ["", "Grandma Rose", "   :  ", ": only words"])
def test_a_command_without_who_and_what_says_how(said: str) -> None:
    with pytest.raises(InputError) as caught:
        WriteLetter().from_command(said)
    assert "/write_letter to Grandma Rose: happy 90th" in str(caught.value)
