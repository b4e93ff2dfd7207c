"""A letter written by the real embedded model from real memories: it draws on them,
cites them, and comes out on paper."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import collect, proposal_for
from os1.companion import Companion
from os1.core.letters import render_letter
from os1.events import ActionSettled
from os1.memory.episodes import NewEpisode
from os1.memory.store import Memory
from os1.skills.registry import builtin_skills
from os1.store import Database
from os1.turn.context import TurnLimits

pytestmark = pytest.mark.real_model

MEMORIES = [
    "Every summer my grandmother Rose took me to her lake house in Maine.",
    "Grandma Rose taught me to skip stones off the old jetty at the lake.",
    "Grandma Rose turns 90 on the 14th of June.",
]


async def test_the_real_model_writes_a_cited_letter_that_goes_on_paper(
    home: Path, tmp_path: Path, real_llm: object
) -> None:
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    memory = Memory([], home)
    companion = Companion(db, real_llm, TurnLimits(seed=7), memory)  # type: ignore[arg-type]
    try:
        store = await db.user("sam")
        when = dt.datetime(2025, 7, 1, 12).timestamp()
        await memory.record(
            store, [NewEpisode("user", t, when + n) for n, t in enumerate(MEMORIES)]
        )
        draft = (
            await companion.letters.write(
                "sam",
                "Grandma Rose",
                "wish her a happy 90th birthday and thank her for the summers",
                seed=7,
            )
        ).draft
    finally:
        await companion.stop_background()
        await db.aclose()
    words = draft.text.lower()
    assert "rose" in words or "grandma" in words
    assert "lake" in words or "stone" in words or "summer" in words
    assert draft.cited, f"the letter cites no memory:\n{draft.text}"
    assert {s.text for s in draft.cited} <= set(MEMORIES)
    assert "[" not in draft.text
    done = await render_letter(draft.text, tmp_path / "letter", "caveat", 1)
    assert done.pdf.stat().st_size > 10_000 and done.pngs


async def test_a_letter_asked_for_in_a_chat_is_proposed_then_kept(
    home: Path, real_llm: object
) -> None:
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    memory = Memory([], home)
    limits = TurnLimits(max_reply_tokens=120, temperature=0.2, seed=7)
    companion = Companion(
        db,
        real_llm,  # type: ignore[arg-type]
        limits,
        memory,
        home=home,
        tool_choice=True,
        local=True,
    )
    try:
        store = await db.user("sam")
        when = dt.datetime(2025, 7, 1, 12).timestamp()
        await memory.record(
            store, [NewEpisode("user", t, when + n) for n, t in enumerate(MEMORIES)]
        )
        proposal = await proposal_for(
            companion, "sam",
            "Could you write a letter to Grandma Rose for her 90th birthday? Thank her for"
            " the summers at the lake.",
        )  # fmt: skip
        assert proposal.tool == "write_letter", proposal
        assert "Rose" in proposal.title
        assert await companion.letters.listed("sam") == []  # a proposal keeps nothing
        assert "It draws on what you told me:" in proposal.preview, proposal.preview
        [done] = await collect(companion.decide("sam", proposal.proposal_id, confirm=True))
        assert isinstance(done, ActionSettled) and done.status == "done", done
        [(kept, _)] = await companion.letters.listed("sam")
    finally:
        await companion.stop_background()
        await db.aclose()
    assert kept.draft.text in proposal.preview  # what was shown is what was kept
    assert {s.text for s in kept.draft.cited} <= set(MEMORIES) and kept.draft.cited
