"""``Memories``, the one place every door's memory operations live, on the cheap open (no
model loaded): refs, show, edit, forget, export and restore, importing a conversation with
and without learning, the profile, consolidation and the mood timeline. Search, find and
notes are in test_services.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from core_parts import opened

from os1.companion import Companion
from os1.errors import ConfigError, InputError, StoreError
from os1.memory.facts import FactBook, NewFact
from os1.models.scripted import ScriptedLLM
from os1.store import Database
from os1.turn.context import TurnLimits

__all__ = ["opened"]  # a fixture, used by name


async def _learn(companion: Companion, user: str, *facts: NewFact) -> list[int]:
    return await FactBook(await companion.core.store(user)).add(list(facts))


def test_refs_long_and_short_and_words_that_are_no_ref(opened: Companion) -> None:
    memories = opened.memories
    assert memories.parse_ref("fact:12") == ("fact", 12)
    assert memories.parse_ref("e40") == ("episode", 40)
    assert memories.ref_or_none("7", "episode") == ("episode", 7)
    assert memories.ref_or_none("my old address") is None
    with pytest.raises(InputError):
        memories.parse_ref("my old address")


async def test_a_fact_shows_its_evidence_is_corrected_then_forgotten(opened: Companion) -> None:
    memories = opened.memories
    said = await memories.note("ada", "I work as a nurse at the Porto hospital.")
    [fact] = await _learn(
        opened,
        "ada",
        NewFact("person", "user", "job", "nurse", "Ada is a nurse.", episode_ids=(said,)),
    )
    shown = await memories.item("ada", "fact", fact)
    assert shown is not None and shown.text == "Ada is a nurse." and shown.confidence == 0.7
    assert [s.ref for s in shown.sources] == [f"episode:{said}"]
    assert await memories.item("bob", "fact", fact) is None  # never anyone else's
    assert [e.text for e in await memories.episodes("ada", [said])] == [
        "I work as a nurse at the Porto hospital."
    ]
    [hit] = await memories.search("ada", "hospital")
    assert (await memories.sources("ada", [hit]))[said][0].startswith("note")

    assert await memories.edit("ada", "fact", fact, "Ada is a midwife.")
    corrected = await memories.fact("ada", fact)
    assert corrected is not None and corrected.text == "Ada is a midwife."
    assert corrected.confidence == 1.0  # the person said so
    with pytest.raises(StoreError) as theirs:
        await memories.edit("bob", "fact", fact, "Bob's now.")
    assert theirs.value.code == "fact_unknown"
    assert not await memories.edit("bob", "episode", said, "Bob's now.")
    assert not await memories.edit("ada", "episode", 9999, "Nothing here.")
    with pytest.raises(StoreError):
        await memories.edit("ada", "episode", said, "   ")

    assert await memories.forget("bob", [("episode", said)]) == 0
    assert await memories.forget("ada", [("episode", said)]) == 2  # and the fact on it
    assert await memories.fact("ada", fact) is None  # it rested only on that episode
    assert await memories.recent("ada") == []


async def test_an_export_restores_elsewhere_and_twice_changes_nothing(
    opened: Companion,
) -> None:
    memories = opened.memories
    said = await memories.note("ada", "My sister Ottoline has a dog called Biscuit.")
    await _learn(
        opened,
        "ada",
        NewFact("relation", "Ottoline", "dog", "Biscuit", "Ottoline's dog is Biscuit.",
                episode_ids=(said,)),
    )  # fmt: skip
    lines = await memories.export("ada")
    assert json.loads(lines[0])["format"] == "os1-memory" and len(lines) == 3
    first = await memories.restore("cy", lines)
    assert (first.episodes, first.facts, first.problems) == (1, 1, [])
    again = await memories.restore("cy", lines)
    assert (again.episodes, again.facts) == (0, 0)
    restored = await memories.find("cy")
    assert sorted(i.text for i in restored) == sorted(i.text for i in await memories.find("ada"))


async def test_a_conversation_imports_once_and_waits_to_be_learned_from_unless_told_not(
    opened: Companion, tmp_path: Path
) -> None:
    chat = tmp_path / "chat.jsonl"
    rows = [
        {"id": "m1", "speaker": "ann", "text": "We moved to Porto.", "time": "2026-05-14T10:00"},
        {"id": "m2", "speaker": "ann", "time": "2026-05-14T10:01"},
        {"id": "m3", "speaker": "ann", "text": "I adopted a terrier.", "time": "2026-05-15T09:00"},
    ]
    chat.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    seen: list[tuple[int, int]] = []
    report = await opened.memories.import_conversation(
        "ann", chat, progress=lambda done, total: seen.append((done, total))
    )
    assert (report.added, report.already, [b.number for b in report.bad]) == (2, 0, [2])
    assert seen and seen[-1][0] == seen[-1][1]
    again = await opened.memories.import_conversation("ann", chat)
    assert (again.added, again.already) == (0, 2)
    quiet = await opened.memories.import_conversation("cy", chat, learn=False)
    assert quiet.added == 2

    async def waiting(user: str) -> int:
        """Episodes the learner has yet to read (facts come from them after a turn)."""
        memory = opened.core.memory
        assert memory is not None
        return len(await memory.episodes(await opened.core.store(user)).unlearned())

    assert await waiting("ann") == 2 and await waiting("cy") == 0
    with pytest.raises(OSError):
        await opened.memories.import_conversation("ann", tmp_path / "missing.jsonl")


async def test_the_profile_names_the_person_and_consolidation_merges(
    opened: Companion,
) -> None:
    memories = opened.memories
    said = await memories.note("ada", "I love jazz, and I live in Porto.")
    jazz = NewFact("preference", "user", "likes", "jazz", "Likes jazz.", episode_ids=(said,))
    await _learn(
        opened,
        "ada",
        jazz,
        NewFact("person", "user", "lives_in", "Porto", "Ada lives in Porto.", episode_ids=(said,)),
    )
    name, profile = await memories.profile("ada")
    assert name == "ada"  # the account's name until they give one
    assert [line.text for line in profile.likes] == ["Likes jazz."]
    assert [line.text for line in profile.who] == ["Ada lives in Porto."]
    _, nothing = await memories.profile("bob")
    assert nothing.is_empty()

    store = await opened.core.store("ada")
    await store.transaction(  # a restored archive can hold the same fact twice
        lambda db: db.execute(
            "INSERT INTO facts (user_id, kind, subject, attribute, value, text, confidence,"
            " importance, created_at, updated_at) VALUES (:user_id, 'preference', 'User',"
            " 'likes', 'Jazz ', 'Loves jazz.', 0.6, 0.5, 0, 0)"
        )
    )
    done = await memories.consolidate("ada")
    assert done.merged == 1
    assert (await memories.consolidate("ada")).merged == 0


async def test_the_timeline_counts_days_moods_and_the_relationship(opened: Companion) -> None:
    store = await opened.core.store("ada")
    talk = await store.new_conversation()
    await store.add_message(talk, "user", "I'm so happy today, everything is wonderful!")
    await store.add_message(talk, "assistant", "That is lovely to hear.")
    found = await opened.memories.timeline("ada", days=3)
    assert [d.date for d in found.days] == [
        dt.date.today() - dt.timedelta(days=n) for n in (2, 1, 0)
    ]
    assert [d.messages for d in found.days] == [0, 0, 1]
    assert found.days[-1].mood is not None and found.days[-1].mood > 0
    assert found.days[0].mood is None
    known = found.relationship
    assert (known.days_known, known.conversations, known.messages) == (1, 1, 1)
    stranger = await opened.memories.timeline("bob")
    assert len(stranger.days) == 30 and stranger.relationship.first_met is None


async def test_without_memory_search_is_empty_and_changes_are_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    companion = Companion(db, ScriptedLLM(), TurnLimits(), memory=None, home=tmp_path)
    try:
        assert not companion.memories.available
        assert await companion.memories.search("ada", "anything") == []
        with pytest.raises(ConfigError) as refused:
            await companion.memories.note("ada", "Remember this.")
        assert refused.value.code == "memory_off"
    finally:
        await companion.aclose()
