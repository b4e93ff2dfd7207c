"""A piece composed from a real memory, its musical decisions chosen by the real
embedded model: a valid plan, a motif from the moment, every file, and the why."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from os1.companion import Companion
from os1.memory.episodes import NewEpisode
from os1.memory.store import Memory
from os1.skills.music.theory import check
from os1.skills.registry import builtin_skills
from os1.store import Database
from os1.turn.context import TurnLimits

pytestmark = pytest.mark.real_model


async def test_the_real_model_reads_a_moment_and_the_code_composes_it(
    home: Path, tmp_path: Path, real_llm: object
) -> None:
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    memory = Memory([], home)
    companion = Companion(db, real_llm, TurnLimits(seed=7), memory)  # type: ignore[arg-type]
    try:
        store = await db.user("sam")
        when = dt.datetime(2026, 11, 14, 7, 30).timestamp()
        said = "Lena and I walked on the beach at dawn; it was grey and cold and we were sad."
        await memory.record(store, [NewEpisode("user", said, when)])
        done = await companion.music.compose(
            "sam", tmp_path / "piece", about="the grey morning on the beach with Lena", seed=1
        )
    finally:
        await companion.stop_background()
        await db.aclose()
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
    home: Path, tmp_path: Path, real_llm: object
) -> None:
    db = await Database.open(home / "os1.db", migrations=builtin_skills().migrations)
    memory = Memory([], home)
    companion = Companion(db, real_llm, TurnLimits(seed=7), memory)  # type: ignore[arg-type]
    try:
        store = await db.user("sam")
        when = dt.datetime(2026, 7, 14, 18, 0).timestamp()
        said = "Every summer Lena and I swam in the lake at Bled until the light was gone."
        await memory.record(store, [NewEpisode("user", said, when)])
        done = await companion.music.song(
            "sam", tmp_path / "song", about="the summers at the lake with Lena", seed=1
        )
        slower = await companion.music.revise_song("sam", done.id, "slower, in G")
    finally:
        await companion.stop_background()
        await db.aclose()
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
