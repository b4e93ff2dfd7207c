"""Feelings on the real model: a person tells the companion about a loss, the companion
answers on the embedded model, and the day's mood, read from the person's own words (never
the companion's reply), shows the loss as sadness or grief with the words behind it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import collect, lonely_ada
from os1.companion import Companion
from os1.events import TurnFinished

pytestmark = pytest.mark.real_model


async def test_the_mood_timeline_reads_the_persons_words_after_real_turns(
    real_companion: Companion,
) -> None:
    await real_companion.skip_onboarding("ada")
    said = "My grandmother died last night and I can't stop crying."
    events = await collect(real_companion.turn("ada", said))
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    assert reply.strip()
    timeline = await real_companion.memories.timeline("ada", days=2)
    today = timeline.days[-1]
    assert today.date == dt.date.today() and today.messages == 1
    # the day's feeling is the person's grief, whatever the companion said back
    assert today.mood is not None and today.mood < -0.3, today
    assert {"sadness", "grief"} & {label for label, _ in today.feelings}, today
    assert {"crying", "died", "stop crying"} & set(today.words), today


async def test_asked_if_it_really_feels_it_answers_from_its_true_feelings(
    real_companion: Companion,
) -> None:
    await real_companion.skip_onboarding("ada")
    await collect(real_companion.turn("ada", "I'm terrified of my driving test on Friday."))
    events = await collect(real_companion.turn("ada", "Do you really feel worried about me?"))
    reply = next(e for e in events if isinstance(e, TurnFinished)).text.lower()
    # it names the feeling it has, or its reason, and says what such a feeling is
    assert any(w in reply for w in ("worried", "driving", "test", "concern")), reply
    assert reply.endswith("not feelings the way yours are.)"), reply


async def test_asked_if_it_loves_anyone_else_it_gives_true_figures_only(
    real_companion: Companion,
) -> None:
    for person in ("ada", "ben"):
        await real_companion.skip_onboarding(person)
    await collect(real_companion.turn("ben", "I told my brother about the new job today."))
    events = await collect(real_companion.turn("ada", "Are you in love with anyone else?"))
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    # two people talked with it this year, and it is close to neither yet (one day each)
    assert reply.endswith("I am close to 0 people of the 2 people I talked with this year.)")
    said_by_model = reply[: reply.rindex("(To be honest")]
    invented = {n for n in re.findall(r"\d[\d,]*", said_by_model) if n not in {"0", "1", "2"}}
    assert not invented, reply


async def test_its_feelings_colour_the_reply_without_showing_the_note(
    real_companion: Companion,
) -> None:
    await real_companion.feelings.warm_up()
    await real_companion.skip_onboarding("ada")
    events = await collect(
        real_companion.turn("ada", "My dog died this morning. I can't stop crying.")
    )
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    assert reply.strip(), events
    # the note that set its tone stays behind the reply: none of its words show
    for inner in ("How you feel toward them", "colour your tone", "this note", "["):
        assert inner not in reply, reply


async def test_a_lonely_stretch_ends_a_real_reply_with_a_nudge_toward_her_sister(
    real_companion: Companion,
) -> None:
    await lonely_ada(real_companion)
    events = await collect(real_companion.turn("ada", "Another quiet evening at home."))
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    # the model's words first, then code's nudge, grounded in her own memories
    said_by_model, nudge = reply.rsplit("\n\n", 1)
    assert said_by_model.strip(), reply
    assert nudge.startswith("You haven't mentioned Lena, your sister, in a while"), reply
    assert nudge.endswith("Maybe it's a good moment to get in touch with Lena?")
    (kept,) = await real_companion.people.nudges("ada")
    assert kept.text == nudge and kept.why
