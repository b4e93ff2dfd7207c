"""Consolidation (duplicates merge, trivia fades) and the morning briefing."""

from __future__ import annotations

import time
from pathlib import Path

from os1.core.briefing import gather, morning, unsaid
from os1.memory.consolidate import consolidate
from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.memory.facts import FactBook, NewFact
from os1.models.scripted import ScriptedLLM
from os1.store import Database, UserStore

DAY = 86400.0


async def _store(tmp_path: Path) -> tuple[Database, UserStore]:
    db = await Database.open(tmp_path / "os1.db")
    return db, await db.user("ann")


async def test_duplicates_merge_and_keep_all_their_evidence(tmp_path: Path) -> None:
    db, store = await _store(tmp_path)
    log = EpisodeLog(store)
    a = await log.add(NewEpisode("user", "I love jazz."))
    b = await log.add(NewEpisode("user", "Jazz is my favourite."))
    book = FactBook(store)
    [first] = await book.add(
        [NewFact("preference", "user", "likes", "jazz", "Likes jazz.", episode_ids=(a,))]
    )
    # a restored archive can hold the same fact twice; consolidation folds them together
    await store.transaction(
        lambda s: s.execute(
            "INSERT INTO facts (user_id, kind, subject, attribute, value, text, confidence,"
            " importance, created_at, updated_at) VALUES (:user_id, 'preference', 'User',"
            " 'likes', 'Jazz ', 'Loves jazz.', 0.6, 0.5, 0, 0)"
        )
    )
    second = (await book.current())[0].id
    await store.transaction(
        lambda s: s.execute(
            "INSERT INTO fact_sources (fact_id, episode_id, user_id) VALUES (:f, :e, :user_id)",
            {"f": second, "e": b},
        )
    )
    done = await consolidate(store)
    assert done.merged == 1
    [kept] = await book.current()
    assert kept.id == first and set(kept.source_episode_ids) == {a, b}
    await db.aclose()


async def test_trivia_fades_but_is_not_deleted(tmp_path: Path) -> None:
    db, store = await _store(tmp_path)
    episode = await EpisodeLog(store).add(NewEpisode("user", "The bus was late, I think."))
    book = FactBook(store)
    await book.add(
        [
            NewFact(
                "event",
                "user",
                "bus",
                "late",
                "The bus was late.",
                confidence=0.4,
                episode_ids=(episode,),
            )
        ]
    )
    before = (await book.current())[0].importance
    later = time.time() + 40 * DAY
    assert (await consolidate(store, now=later)).faded == 1
    assert (await consolidate(store, now=later)).faded == 0  # once per period, not per run
    [fact] = await book.current()
    assert fact.importance < before
    await db.aclose()


async def test_the_morning_briefing_tells_what_is_due_from_the_notes(tmp_path: Path) -> None:
    db, store = await _store(tmp_path)
    episode = await EpisodeLog(store).add(NewEpisode("user", "Dentist tomorrow at nine."))
    await FactBook(store).add(
        [
            NewFact(
                "plan",
                "user",
                "dentist",
                "appointment",
                "Dentist appointment at nine.",
                valid_at=time.time() + DAY,
                episode_ids=(episode,),
            )
        ]
    )
    facts = await gather(store)
    assert facts.due == ["Dentist appointment at nine. (tomorrow)"]
    model = ScriptedLLM(["Good morning! Don't forget the dentist at nine tomorrow."])
    briefing = await morning(store, model)
    assert "dentist" in briefing.text
    prompt = model.requests[-1].messages[-1].content
    assert "Coming up: Dentist appointment at nine. (tomorrow)" in prompt
    assert "do not add events" in prompt
    assert "Coming up" not in briefing.text  # said once, in the model's words

    # a model that phrases something else does not lose the dentist
    model.enqueue("Good morning! It's a lovely day to be here with you.")
    wandering = await morning(store, model)
    assert wandering.text == (
        "Good morning! It's a lovely day to be here with you.\n"
        "Coming up: Dentist appointment at nine. (tomorrow)"
    )
    assert unsaid("the dentist is at nine", wandering.due) == []
    assert unsaid("", []) == [] and unsaid("", wandering.due) == wandering.due
    await db.aclose()
