"""A letter written by the real embedded model from real memories: it draws on them,
cites them, and comes out on paper."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from os1.companion import Companion
from os1.core.letters import render_letter
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
