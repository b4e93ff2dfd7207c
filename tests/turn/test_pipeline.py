"""The turn pipeline on the scripted model: streaming, persistence, limits, interruption."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from conftest import collect, turn_request
from os1.companion import Companion, Exchange
from os1.config import Settings
from os1.events import ErrorEvent, Notice, TextDelta, TurnFinished, TurnStarted
from os1.models.base import CancelToken
from os1.models.scripted import ScriptedLLM
from os1.turn import remember


async def test_reply_streams_in_pieces_and_ends_with_the_whole_text(companion: Companion) -> None:
    events = await collect(companion.turn("ann", "Tell me something nice"))
    assert isinstance(events[0], TurnStarted)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert finished.text == "".join(deltas)
    assert "Tell me something nice" in finished.text
    assert not finished.interrupted


async def test_prompt_has_persona_first_and_new_message_last(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await collect(companion.turn("ann", "first message"))
    await collect(companion.turn("ann", "second message"))
    messages = turn_request(scripted).messages
    assert messages[0].role == "system"
    assert "AI companion" in messages[0].content and "Scripted" in messages[0].content
    assert [m.content for m in messages[1:]] == [
        "first message",
        "(scripted reply to: first message)",
        "second message",
    ]


async def test_empty_and_whitespace_input_get_a_clear_error_and_store_nothing(
    companion: Companion,
) -> None:
    for text in ("", "   \n\t  ", "\x00\x01"):
        events = await collect(companion.turn("ann", text))
        errors = [e for e in events if isinstance(e, ErrorEvent)]
        assert errors and errors[0].code == "empty_input"
        assert "/help" in errors[0].hint
        assert not any(isinstance(e, TextDelta) for e in events)
    assert await companion.history("ann") == []


async def test_conversation_survives_a_restart(settings: Settings) -> None:
    first = await Companion.start(settings, llm=ScriptedLLM())
    await collect(first.turn("ann", "My cat is called Miso."))
    await first.aclose()

    model = ScriptedLLM()
    second = await Companion.start(settings, llm=model)
    await collect(second.turn("ann", "What is my cat called?"))
    await second.aclose()
    prompt = [m.content for m in turn_request(model).messages]
    assert "My cat is called Miso." in prompt
    # the name chosen at first boot is kept: the second model was never asked to choose
    assert "Scripted" in prompt[0] and len(model.requests) == 1


async def test_a_huge_paste_is_cut_for_the_model_but_stored_whole(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    paste = "".join(
        f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(20000)
    )
    assert len(paste) > 1_000_000
    events = await collect(companion.turn("ann", paste + "So what do you think?"))
    notices = [e for e in events if isinstance(e, Notice)]
    assert notices and notices[0].code == "input_truncated"
    assert isinstance(events[-1], TurnFinished)
    sent = turn_request(scripted).messages
    total = sum(scripted.count_tokens(m.content) for m in sent)
    assert total <= companion.limits.prompt_budget
    assert sent[-1].content.startswith("line 0:")
    assert sent[-1].content.endswith("So what do you think?")
    assert "characters left out" in sent[-1].content
    stored = await companion.history("ann")
    assert stored[0].text == (paste + "So what do you think?").strip()


async def test_cancel_keeps_the_partial_reply_marked_interrupted(settings: Settings) -> None:
    model = ScriptedLLM(["one two three four five six seven eight nine ten"], delay=0.01)
    companion = await Companion.start(settings, llm=model)
    cancel = CancelToken()
    events = []
    async for event in companion.turn("ann", "count for me", cancel=cancel):
        events.append(event)
        if isinstance(event, TextDelta) and "three" in event.text:
            cancel.cancel()
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.interrupted
    assert finished.text.startswith("one two three")
    assert "ten" not in finished.text
    history = await companion.history("ann")
    assert history[-1].status == "interrupted"
    assert history[-1].text == finished.text

    # the model is told where it was cut off in the notes of the next turn only, never
    # by a marker in the history: it copied every such marker into new replies
    await collect(companion.turn("ann", "sorry, go on"))
    await collect(companion.turn("ann", "thanks"))
    prompts = [r.messages for r in model.requests if not r.options.background][-2:]
    said = finished.text.strip()
    assert [(m.role, m.content) for m in prompts[0][-2:]] == [
        ("assistant", said),
        ("user", "(They cut in on your last reply.)\nsorry, go on"),
    ]
    assert [m.content for m in prompts[1][-4:-2]] == [said, "sorry, go on"]
    await companion.aclose()


async def test_a_door_that_walks_away_mid_reply_still_keeps_what_was_said(
    settings: Settings,
) -> None:
    model = ScriptedLLM(["alpha beta gamma delta epsilon zeta eta theta"], delay=0.01)
    companion = await Companion.start(settings, llm=model)
    seen = []
    async with aclosing(companion.turn("ann", "greek letters please")) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                seen.append(event.text)
            if len(seen) == 2:
                break
    history = await companion.history("ann")
    assert [h.role for h in history] == ["user", "assistant"]
    assert history[-1].status == "interrupted"
    assert history[-1].text == "".join(seen)
    await companion.aclose()


async def test_task_cancellation_mid_reply_saves_the_partial_reply(settings: Settings) -> None:
    model = ScriptedLLM(["a b c d e f g h i j k l m n o p"], delay=0.02)
    companion = await Companion.start(settings, llm=model)

    spoke = asyncio.Event()

    async def consume() -> None:
        async for event in companion.turn("ann", "letters"):
            if isinstance(event, TextDelta):
                spoke.set()

    task = asyncio.create_task(consume())
    await spoke.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    history = await companion.history("ann")
    assert history[-1].role == "assistant" and history[-1].status == "interrupted"
    assert 0 < len(history[-1].text) < len("a b c d e f g h i j k l m n o p")
    await companion.aclose()


async def test_a_long_reply_is_written_as_it_streams_so_a_killed_process_leaves_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a reply streams, what was said so far is in the store (read as interrupted:
    if the process died now, that is what it would leave); at its end, the one reply is
    whole and complete, never written twice."""
    monkeypatch.setattr(remember, "KEEP_EVERY", 0.05)
    words = " ".join(f"word{n}" for n in range(40))
    model = ScriptedLLM([words], delay=0.01)
    companion = await Companion.start(settings, llm=model)
    midway: list[Exchange] = []
    async for event in companion.turn("ann", "talk for a while"):
        if isinstance(event, TextDelta) and "word30" in event.text:
            midway = await companion.history("ann")
    assert [h.role for h in midway] == ["user", "assistant"]
    assert midway[-1].status == "interrupted" and words.startswith(midway[-1].text)
    assert "word5 " in midway[-1].text and "word39" not in midway[-1].text
    history = await companion.history("ann")
    assert [(h.role, h.status) for h in history] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert history[-1].text.startswith(words)
    await companion.aclose()


async def test_a_reply_cut_off_while_its_partial_write_is_under_way_is_kept_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remember, "KEEP_EVERY", 0.0)  # a write after every word
    model = ScriptedLLM(["a b c d e f g h i j k l m n o p"], delay=0.005)
    companion = await Companion.start(settings, llm=model)
    for stop_after in (1, 3, 7):
        seen = []
        async with aclosing(companion.turn("ann", f"letters {stop_after}")) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    seen.append(event.text)
                if len(seen) == stop_after:
                    break
        history = await companion.history("ann")
        assert [h.role for h in history[-2:]] == ["user", "assistant"]
        assert history[-1].status == "interrupted" and history[-1].text == "".join(seen)
    assert len(await companion.history("ann")) == 6
    await companion.aclose()


async def test_long_conversations_stay_in_the_window_with_a_rolling_summary(
    settings: Settings,
) -> None:
    model = ScriptedLLM(n_ctx=1024)
    companion = await Companion.start(settings, llm=model)
    for i in range(40):
        model.enqueue(f"Reply number {i}: " + "words " * 30)
        await collect(companion.turn("ann", f"Message number {i}: " + "chatter " * 30))
        await companion.wait_background()
    budget = companion.limits.prompt_budget
    for request in model.requests:
        if not request.options.background:
            assert sum(model.count_tokens(m.content) for m in request.messages) <= budget
    store = await companion.db.user("ann")
    conversation = await store.latest_conversation()
    assert conversation is not None
    assert await store.latest_summary(conversation) is not None, "older turns never summarized"
    last_prompt = turn_request(model)
    assert not last_prompt.options.background
    assert "Summary of the earlier part" in last_prompt.messages[0].content
    assert last_prompt.messages[-1].content.startswith("Message number 39")
    await companion.aclose()


async def test_model_failure_becomes_an_error_event_and_keeps_the_question(
    settings: Settings,
) -> None:
    from os1.errors import ModelError

    def broken(messages, options):  # type: ignore[no-untyped-def]
        if options.json_schema is not None:
            return {"name": "Juniper", "reason": "I like trees and gin."}
        raise ModelError("llm_unreachable", "Cannot reach the model server.", "Start it.")

    companion = await Companion.start(settings, llm=ScriptedLLM(fallback=broken))
    events = await collect(companion.turn("ann", "hello?"))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert errors[0].code == "llm_unreachable" and errors[0].hint == "Start it."
    history = await companion.history("ann")
    assert [h.text for h in history] == ["hello?"]
    await companion.aclose()


async def test_what_a_quitting_process_did_not_learn_from_is_learned_next_time(
    settings: Settings,
) -> None:
    first = await Companion.start(settings, llm=ScriptedLLM())
    await collect(first.turn("ann", "My sister Ottoline moved to Lisbon."))
    await first.aclose()  # quits before background learning could run
    store_db = await Companion.start(settings, llm=ScriptedLLM())
    waiting = await store_db.memory.episodes(await store_db.db.user("ann")).unlearned()  # type: ignore[union-attr]
    assert [e.text for e in waiting] == ["My sister Ottoline moved to Lisbon."]
    await store_db.aclose()

    model = ScriptedLLM()
    second = await Companion.start(settings, llm=model)
    await collect(second.turn("ann", "How are you?"))
    await second.wait_background()
    learning = [r for r in model.requests if r.options.json_schema and r.options.background]
    assert any("Ottoline moved to Lisbon" in r.messages[-1].content for r in learning)
    assert await second.memory.episodes(await second.db.user("ann")).unlearned() == []  # type: ignore[union-attr]
    await second.aclose()
