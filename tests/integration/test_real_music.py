"""Music with the real embedded model: a piece composed from a real memory (a valid plan,
a motif from the moment, every file, and the why), a song whose words scan and rhyme,
and a piece asked for in a chat."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conftest import collect, proposal_for
from os1.companion import Companion
from os1.events import ActionSettled
from os1.memory.episodes import NewEpisode
from os1.memory.store import Memory
from os1.skills.music.compose import compose
from os1.skills.music.theory import check
from os1.skills.registry import builtin_skills
from os1.store import Database
from os1.turn.context import TurnLimits

pytestmark = pytest.mark.real_model


@pytest.fixture
async def music(home: Path, real_llm: object) -> AsyncIterator[Companion]:
    """The companion with memory, choosing skills from what the person says."""
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    limits = TurnLimits(max_reply_tokens=120, temperature=0.2, seed=7)
    companion = Companion(
        db,
        real_llm,
        limits,
        Memory([], home),
        home=home,
        tool_choice=True,
        local=True,  # type: ignore[arg-type]
    )
    yield companion
    await companion.stop_background()
    await db.aclose()


async def _remember(companion: Companion, said: str, when: float) -> None:
    assert companion.core.memory is not None
    store = await companion.core.store("sam")
    await companion.core.memory.record(store, [NewEpisode("user", said, when)])


async def test_the_real_model_reads_a_moment_and_the_code_composes_it(
    music: Companion, tmp_path: Path
) -> None:
    said = "Lena and I walked on the beach at dawn; it was grey and cold and we were sad."
    await _remember(music, said, dt.datetime(2026, 11, 14, 7, 30).timestamp())
    done = await music.music.compose(
        "sam", tmp_path / "piece", about="the grey morning on the beach with Lena", seed=1
    )
    plan = done.piece.plan
    assert [m.text for m in done.moment.memories] == [said]
    assert plan.reasons.get("key") and plan.reasons.get("instrument")
    assert done.piece.motif.spelled, done.why  # a word from the moment spelled in notes
    assert done.piece.motif.spelled.lower() in re.sub(
        r"[^a-z]", "", (said + done.moment.about).lower()
    )
    report = check(done.piece)
    assert (report.in_key, report.cadences, report.parallels_per_100) == (1.0, 1.0, 0.0)
    assert {"mid", "wav", "musicxml", "pdf", "why.txt"} <= set(done.written.files)
    assert "It remembers" in done.why and "14 November 2026" in done.why


async def test_the_real_model_writes_a_song_that_scans_and_rhymes(
    music: Companion, tmp_path: Path
) -> None:
    said = "Every summer Lena and I swam in the lake at Bled until the light was gone."
    await _remember(music, said, dt.datetime(2026, 7, 14, 18, 0).timestamp())
    done = await music.music.song(
        "sam", tmp_path / "song", about="the summers at the lake with Lena", seed=1
    )
    slower = await music.music.revise_song("sam", done.id, "slower, in G")
    lines = [t for _, stanza in done.song.lyrics.sections() for t in stanza]
    assert len(lines) == 16 and all(0 < len(t) <= 60 for t in lines)
    assert sum(done.check.rhymed.values()) >= 2, done.why  # mended with the rhyming book
    assert min(done.check.meter.values()) >= 0.75, done.why
    assert done.song.plan.tonic == "E"  # LENA begins on E
    melody = done.song.melody
    assert max(n.pitch for n in melody) - min(n.pitch for n in melody) <= 19
    assert "Words from your memories:" in done.why and "stressed syllables on" in done.why
    assert {"txt", "svg", "pdf", "mid", "wav"} <= set(done.written.files)
    assert (slower.song.plan.tonic, slower.song.lyrics) == ("G", done.song.lyrics)
    assert slower.song.plan.tempo < done.song.plan.tempo


async def test_a_piece_asked_for_in_a_chat_is_proposed_then_kept(music: Companion) -> None:
    said = "Lena and I walked on the beach at dawn; it was grey and cold and we were sad."
    await _remember(music, said, time.time() - 3600)
    proposal = await proposal_for(
        music, "sam", "Compose a piece of music about this morning at the beach with Lena."
    )
    assert proposal.tool == "compose_music", proposal
    assert "spell" in proposal.preview and said in proposal.preview, proposal.preview
    assert await music.music.pieces("sam") == []  # a proposal keeps nothing
    [done] = await collect(music.decide("sam", proposal.proposal_id, confirm=True))
    assert isinstance(done, ActionSettled) and done.status == "done", done
    [kept] = await music.music.pieces("sam")
    assert kept.why in proposal.preview  # what was shown is what was kept
    assert check(compose(kept.plan, kept.seed)).cadences == 1.0


async def test_a_song_asked_for_in_a_chat_is_proposed_then_kept(music: Companion) -> None:
    said = "Every summer Lena and I swam in the lake at Bled until the light was gone."
    await _remember(music, said, time.time() - 86400)
    proposal = await proposal_for(
        music, "sam", "Let's write a song together about the summers at the lake with Lena."
    )
    assert proposal.tool == "write_song", proposal
    assert "[Chorus]" in proposal.preview and "Rhymes in" in proposal.preview, proposal.preview
    [done] = await collect(music.decide("sam", proposal.proposal_id, confirm=True))
    assert isinstance(done, ActionSettled) and done.status == "done", done
    [kept] = await music.music.songs("sam")
    assert kept.lyrics.chorus[0] in proposal.preview  # what was shown is what was kept
