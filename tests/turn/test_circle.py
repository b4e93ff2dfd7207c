"""Asked "are you in love with anyone else?", the companion gets the true figures (whom it
talked with this year, how many of them it has grown close to) and code says honestly
what its closeness is, every time."""

from __future__ import annotations

import time

import pytest

from conftest import collect, turn_request
from os1.companion import Companion
from os1.core import circle
from os1.events import TurnFinished
from os1.models.scripted import ScriptedLLM
from os1.turn.live import asks_about_love, asks_about_others


@pytest.mark.parametrize(
    "text",
    [
        "Are you in love with anyone else?",
        "do you love someone else",
        "Have you fallen for other people too?",
        "are you close to anyone else?",
        "How many people are you in love with?",
    ],
)
def test_questions_about_love_and_closeness_are_recognised(text: str) -> None:
    assert asks_about_love(text) and asks_about_others(text)


@pytest.mark.parametrize(
    "text",
    [
        "I love my sister",
        "I'm in love with Paris",
        "Is the shop close to the station?",
        "I love everyone else in my family",
        "Do you think someone else would love this gift?",
        "How many times do I have to say I love you?",
    ],
)
def test_other_talk_of_love_is_not(text: str) -> None:
    assert not asks_about_love(text)


async def _talked_daily(companion: Companion, user: str, days: int) -> None:
    """``user`` confides something every day for ``days`` days, ending today."""
    await companion.skip_onboarding(user)
    for _ in range(days):
        await collect(companion.turn(user, "I feel happy, my sister visits next weekend"))
    store = await companion.core.store(user)
    now = time.time()

    def spread(db: circle.sqlite.Connection) -> None:  # type: ignore[name-defined]
        ids = [r[0] for r in db.execute(
            "SELECT id FROM messages WHERE user_id = :user_id ORDER BY id DESC"
        )]  # fmt: skip
        for back, number in enumerate(ids):
            db.execute(
                "UPDATE messages SET created_at = :at WHERE user_id = :user_id AND id = :id",
                {"at": now - (back // 2) * 86_400, "id": number},
            )

    await store.transaction(spread)


async def test_asked_about_love_it_gets_the_true_figures_and_says_what_closeness_is(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await _talked_daily(companion, "ana", 30)  # a month of daily sharing: close
    await _talked_daily(companion, "bo", 2)  # two days: not yet
    events = await collect(companion.turn("bo", "Are you in love with anyone else?"))
    asked = turn_request(scripted).messages[-1].content
    assert "this year you talked with 2 people and have grown close to 1 of them" in asked
    assert "not yet you" in asked
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    assert reply.endswith(
        "I am close to 1 person of the 2 people I talked with this year, not yet you.)"
    )
    await collect(companion.turn("ana", "do you love someone else?"))
    assert "close to 1 of them, you among them" in turn_request(scripted).messages[-1].content
    # ordinary talk gets no figures
    await collect(companion.turn("ana", "I love my sister."))
    assert "grown close" not in turn_request(scripted).messages[-1].content


async def test_a_count_that_takes_too_long_is_left_out_not_waited_for(
    companion: Companion, scripted: ScriptedLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = circle._closeness_this_year

    def slowly(*args: object) -> object:
        time.sleep(0.5)
        return slow(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(circle, "_closeness_this_year", slowly)
    monkeypatch.setattr(circle, "WAIT_SECONDS", 0.05)
    await companion.skip_onboarding("ana")
    events = await collect(companion.turn("ana", "are you close to anyone else?"))
    assert "grown close" not in turn_request(scripted).messages[-1].content
    assert any(isinstance(e, TurnFinished) for e in events)  # the turn still answers
    await companion.circles._count()  # the count, left running, is kept
    assert await companion.circles.of("ana") is not None


async def test_a_count_under_way_is_cancelled_when_the_companion_stops(
    companion: Companion, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = circle._closeness_this_year

    def slowly(*args: object) -> object:
        time.sleep(0.3)
        return slow(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(circle, "_closeness_this_year", slowly)
    counting = companion.circles._count()
    await companion.stop_background()
    assert counting.done()  # nothing left running to outlive the close
    assert await companion.circles.of("ana") is not None  # asked again, counted again
