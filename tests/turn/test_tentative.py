"""A tentative turn (a voice reply begun at a pause): written, but nothing kept until the
door keeps it; dropped, it leaves no trace (not the words, the reply, a memory, a proposal)."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from conftest import collect
from os1.companion import Companion
from os1.config import Settings
from os1.core.turns import CancelToken, Tentative
from os1.events import ProposalMade, TextDelta, TurnEvent, TurnFinished
from os1.models.scripted import ScriptedLLM


async def _memories(companion: Companion, user: str, query: str) -> list[str]:
    assert companion.memory is not None
    store = await companion.db.user(user)
    return [h.text for h in await companion.memory.search(store, query, 5, by_meaning=False)]


async def _run_until_written(
    companion: Companion, user: str, text: str, tentative: Tentative, cancel: CancelToken
) -> tuple[asyncio.Task[list[TurnEvent]], list[TurnEvent]]:
    """Start the turn and wait until its reply is written (it then waits for the door)."""
    seen: list[TurnEvent] = []

    async def run() -> list[TurnEvent]:
        async with aclosing(companion.turn(user, text, cancel=cancel, tentative=tentative)) as s:
            async for event in s:
                seen.append(event)
        return seen

    task = asyncio.get_running_loop().create_task(run())
    for _ in range(200):
        if any(isinstance(e, TextDelta) for e in seen) and not task.done():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    return task, seen


async def test_a_dropped_turn_keeps_nothing(companion: Companion, scripted: ScriptedLLM) -> None:
    await companion.skip_onboarding("ann")
    scripted.enqueue("Apricots are lovely in June.")
    tentative, cancel = Tentative(), CancelToken()
    task, _ = await _run_until_written(
        companion, "ann", "I bought apricots at the market and", tentative, cancel
    )
    assert not task.done(), "a tentative turn must wait for the door before keeping anything"
    assert await companion.history("ann") == []  # written, not kept
    tentative.drop()
    events = await asyncio.wait_for(task, 5)
    assert not any(isinstance(e, TurnFinished) for e in events)
    assert await companion.history("ann") == []
    assert await _memories(companion, "ann", "apricots") == []

    await collect(companion.turn("ann", "I bought apricots at the market and some figs."))
    history = await companion.history("ann")
    assert [m.role for m in history] == ["user", "assistant"]  # only the turn that ended


async def test_a_kept_turn_is_an_ordinary_turn(companion: Companion, scripted: ScriptedLLM) -> None:
    await companion.skip_onboarding("ann")
    scripted.enqueue("Figs are the best part of autumn.")
    tentative = Tentative()
    task, _ = await _run_until_written(companion, "ann", "I love figs.", tentative, CancelToken())
    tentative.keep()
    events = await asyncio.wait_for(task, 5)
    finished = events[-1]
    assert (
        isinstance(finished, TurnFinished) and finished.text == "Figs are the best part of autumn."
    )
    assert not finished.interrupted
    history = await companion.history("ann")
    assert [(m.role, m.text) for m in history] == [
        ("user", "I love figs."),
        ("assistant", "Figs are the best part of autumn."),
    ]
    assert "I love figs." in await _memories(companion, "ann", "figs")


async def test_kept_mid_reply_the_words_are_stored_before_the_reply_ends(
    settings: Settings,
) -> None:
    slow = ScriptedLLM(["One two three four five six seven eight nine ten."], delay=0.1)
    companion = await Companion.start(settings, llm=slow)
    try:
        await companion.skip_onboarding("ann")
        tentative = Tentative()
        stream = companion.turn("ann", "Count to ten for me.", tentative=tentative)
        async with aclosing(stream) as events:
            async for event in events:
                if isinstance(event, TextDelta) and "three" in event.text:
                    tentative.keep()
                if isinstance(event, TextDelta) and "seven" in event.text:
                    history = await companion.history("ann")
                    assert [m.role for m in history] == ["user"]  # a crash now loses no words
        assert [m.role for m in await companion.history("ann")] == ["user", "assistant"]
    finally:
        await companion.aclose()


async def test_a_tool_is_proposed_only_once_the_turn_is_kept(companion: Companion) -> None:
    tentative = Tentative()
    task, seen = await _run_until_written(
        companion, "ann", "/remember my locker code is 4417", tentative, CancelToken()
    )
    assert not any(isinstance(e, ProposalMade) for e in seen)
    assert await companion.actions.recent("ann") == []  # nothing in the journal yet
    tentative.drop()
    await asyncio.wait_for(task, 5)
    assert await companion.actions.recent("ann") == []

    kept = Tentative()
    kept.keep()
    events = await collect(
        companion.turn("ann", "/remember my locker code is 4417", tentative=kept)
    )
    assert any(isinstance(e, ProposalMade) for e in events)
    assert len(await companion.actions.recent("ann")) == 1
