"""Nudges toward the people in a person's life (``companion.people``): made only on signs
of isolation, about someone from their own memories, rate-limited, with reasons, and
never once the person has turned them off."""

from __future__ import annotations

import time

from conftest import collect, lonely_ada, said_days_ago
from os1.companion import Companion
from os1.core import people
from os1.events import TurnFinished
from os1.memory.facts import FactBook, NewFact

DAY = 86_400.0


async def test_a_lonely_stretch_brings_a_nudge_grounded_in_her_own_memories(
    companion: Companion,
) -> None:
    await lonely_ada(companion)
    nudge = await companion.people.suggest("ada")
    assert nudge is not None and nudge.about == "Lena"  # the birthday comes first
    assert nudge.text.startswith("You haven't mentioned Lena, your sister, in a while")
    assert "the last time was 6 weeks ago" in nudge.text
    assert "Lena's birthday is in 3 weeks" in nudge.text
    why = " | ".join(nudge.why)
    assert "you said “Watched a film by myself, nothing much else.”" in why  # the latest
    assert "mentioned no one you were with" in why
    assert "you last mentioned Lena 6 weeks ago" in why
    assert await companion.people.nudges("ada") == [nudge]  # kept, with its reasons
    # rate-limited: no second nudge the same week, and never Lena again within a month
    assert await companion.people.suggest("ada") is None
    later = await companion.people.suggest("ada", now=time.time() + 8 * DAY)
    assert later is not None and later.about == "Tom"
    assert [n.about for n in await companion.people.nudges("ada")] == ["Tom", "Lena"]


async def test_no_signs_of_isolation_means_no_nudge(companion: Companion) -> None:
    await companion.skip_onboarding("bo")
    await FactBook(await companion.core.store("bo")).add([
        NewFact("relation", "Mia", "relation", "sister", "Mia is Bo's sister."),
    ])  # fmt: skip
    await said_days_ago(
        companion, "bo",
        (40, "Mia and I went climbing."),
        (9, "Great day at work, the team loved my talk!"),
        (5, "Dinner with Sam and Priya tonight, so much fun."),
        (1, "Off to the beach with the gang."),
    )  # fmt: skip
    assert await companion.people.suggest("bo") is None
    assert await companion.people.nudges("bo") == []


async def test_turned_off_there_are_none_and_turned_on_again_they_come(
    companion: Companion,
) -> None:
    await lonely_ada(companion)
    await companion.people.set_nudges("ada", on=False)
    assert not await companion.people.nudges_on("ada")
    assert await companion.people.suggest("ada") is None
    await companion.people.set_nudges("ada", on=True)
    assert (await companion.people.suggest("ada")) is not None


async def test_a_due_nudge_ends_a_reply_once_a_day_at_most(companion: Companion) -> None:
    await lonely_ada(companion)
    events = await collect(companion.turn("ada", "Not much to tell today."))
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    assert reply.endswith("Maybe it's a good moment to get in touch with Lena?")
    events = await collect(companion.turn("ada", "Still here."))
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    assert "get in touch" not in reply  # checked once a day, and one a week at most


async def test_a_damaged_record_of_nudges_costs_the_history_not_the_turn(
    companion: Companion,
) -> None:
    await lonely_ada(companion)
    store = await companion.core.store("ada")
    await store.set_setting(people.KEPT_NUDGES, [{"at": "soon", "who": None}, 7])
    assert await companion.people.nudges("ada") == []
    assert (await companion.people.suggest("ada")) is not None


async def test_no_nudge_toward_someone_who_died_or_is_estranged(companion: Companion) -> None:
    await lonely_ada(companion)
    await FactBook(await companion.core.store("ada")).add([
        NewFact("event", "Lena", "passed_away", "last spring", "Lena passed away last spring."),
        NewFact("relation", "Tom", "status", "estranged", "Ada and Tom are estranged now."),
    ])  # fmt: skip
    assert await companion.people.suggest("ada") is None
