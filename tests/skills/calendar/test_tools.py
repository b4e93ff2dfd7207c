"""The calendar tools as the companion uses them: plans say the time back in words with
clashes, nothing is written until run, undo puts things back, and one person's calendar
is never seen by another."""

from __future__ import annotations

import datetime as dt

from calendar_parts import NOW, context, store

from os1.skills.calendar.adding import AddEvent, AddEventArgs
from os1.skills.calendar.cancel import CancelEvent, CancelEventArgs
from os1.skills.calendar.listing import ListEvents, ListEventsArgs
from os1.skills.calendar.store import CalendarStore
from os1.store import UserStore

__all__ = ["store"]


async def _add(store: UserStore, title: str, when: str, duration: str = "") -> dict[str, object]:
    plan = await AddEvent().plan(
        context(store), AddEventArgs(title=title, when=when, duration=duration)
    )
    assert not isinstance(plan, str), plan
    outcome = await AddEvent().run(context(store), plan.args)
    assert outcome.undo is not None
    return outcome.undo


async def test_add_event_previews_in_words_then_adds_and_undoes(store: UserStore) -> None:
    tool = AddEvent()
    args = tool.from_command("lunch with Amy next Thursday at one at Café Rose")
    assert (args.title, args.when, args.where) == (
        "lunch with Amy",
        "next Thursday at one",
        "Café Rose",
    )
    plan = await tool.plan(context(store), args)
    assert not isinstance(plan, str)
    assert "When: Thursday 26 November 2026, 1:00 pm – 2:00 pm (in 3 days)" in plan.preview
    assert "Time zone: Europe/Berlin" in plan.preview and "Where: Café Rose" in plan.preview
    assert await CalendarStore(store).count() == 0  # a plan writes nothing

    outcome = await tool.run(context(store), plan.args)
    assert (
        outcome.message == "Added “lunch with Amy”: Thursday 26 November 2026, 1:00 pm – 2:00 pm."
    )
    listed = await ListEvents().plan(context(store), ListEventsArgs(when="this week"))
    assert isinstance(listed, str)
    assert "Thursday 26 November 2026\n- 1:00 pm – 2:00 pm: lunch with Amy (at Café Rose)" in listed

    assert outcome.undo is not None
    assert "Removed “lunch with Amy”" in await tool.undo(context(store), outcome.undo)
    assert await CalendarStore(store).count() == 0


async def test_clashes_are_named_before_anything_is_added(store: UserStore) -> None:
    await _add(store, "Standup", "every Thursday at 1:30pm", "15 minutes")
    plan = await AddEvent().plan(
        context(store), AddEventArgs(title="Lunch with Amy", when="Thursday 3 December at one")
    )
    assert not isinstance(plan, str)
    assert (
        "Clashes with: Thursday 3 December 2026, 1:30 pm – 1:45 pm: Standup (repeats)"
        in plan.preview
    )


async def test_times_in_the_past_and_unclear_words_are_refused(store: UserStore) -> None:
    past = await AddEvent().plan(
        context(store), AddEventArgs(title="Call Bob", when="today at 9am")
    )
    assert past == (
        "Monday 23 November 2026, 9:00 am (today) is in the past, so I did not add “Call Bob”."
        " Say a later time."
    )
    vague = await AddEvent().plan(context(store), AddEventArgs(title="Call Bob", when="soonish"))
    assert isinstance(vague, str) and "next Thursday at one" in vague


async def test_cancel_names_the_exact_event_and_undo_restores_it(store: UserStore) -> None:
    await _add(store, "Dentist", "Friday at 9:30")
    await _add(store, "Standup", "every Monday at 9")
    tool = CancelEvent()
    plan = await tool.plan(context(store), CancelEventArgs(what="the dentist"))
    assert not isinstance(plan, str)
    assert (
        plan.preview == "Cancel “Dentist”:\nFriday 27 November 2026, 9:30 am – 10:30 am (in 4 days)"
    )
    outcome = await tool.run(context(store), plan.args)
    assert await CalendarStore(store).get(str(plan.args["uid"])) is None
    assert outcome.undo is not None
    await tool.undo(context(store), outcome.undo)
    assert await CalendarStore(store).get(str(plan.args["uid"])) is not None

    one = await tool.plan(context(store), CancelEventArgs(what="standup on Monday 7 December"))
    assert not isinstance(one, str) and "only this occurrence" in one.preview
    await tool.run(context(store), one.args)
    weeks = await ListEvents().plan(context(store), ListEventsArgs(when="next 28 days"))
    assert isinstance(weeks, str)
    assert "Monday 30 November 2026" in weeks and "Monday 7 December 2026" not in weeks
    assert "Monday 14 December 2026" in weeks  # the series goes on after the one cancelled


async def test_two_matches_are_listed_instead_of_guessed(store: UserStore) -> None:
    await _add(store, "Lunch with Amy", "Thursday at one")
    await _add(store, "Lunch with Bob", "Friday at one")
    answer = await CancelEvent().plan(context(store), CancelEventArgs(what="lunch"))
    assert isinstance(answer, str) and answer.startswith("More than one appointment matches")
    assert "Lunch with Amy" in answer and "Lunch with Bob" in answer
    nothing = await CancelEvent().plan(context(store), CancelEventArgs(what="yoga"))
    assert nothing == "I found nothing called “yoga” in the coming 8 weeks."


async def test_one_persons_calendar_is_not_anothers(store: UserStore) -> None:
    await _add(store, "Secret meeting", "tomorrow at 3pm")
    eve = await store.db.user("eve")
    await eve.set_setting("calendar.timezone", "Europe/Berlin")
    theirs = await ListEvents().plan(context(eve), ListEventsArgs(when="tomorrow"))
    assert theirs == "Nothing on the calendar tomorrow (Tuesday 24 November 2026)."
    assert await CancelEvent().plan(context(eve), CancelEventArgs(what="secret meeting")) == (
        "I found nothing called “secret meeting” in the coming 8 weeks."
    )
    assert await CalendarStore(eve).count() == 0 and await CalendarStore(store).count() == 1


async def test_the_person_sees_their_own_zone(store: UserStore) -> None:
    await _add(store, "Call with Tokyo", "tomorrow at 3pm")
    await store.set_setting("calendar.timezone", "Asia/Tokyo")
    listed = await ListEvents().plan(
        context(store, NOW + dt.timedelta(hours=1)), ListEventsArgs(when="next 3 days")
    )
    assert isinstance(listed, str) and "Asia/Tokyo time" in listed
    assert "Tuesday 24 November 2026\n- 11:00 pm – midnight: Call with Tokyo" in listed
