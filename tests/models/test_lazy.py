"""A model loaded on first use, or ahead in the background (``LazyLLM``): one load however
many ask at once, a failed load tried again, closing waits for a load under way, and a
turn stopped before it needs the model never loads one (issue 22)."""

from __future__ import annotations

import asyncio

import pytest

from conftest import collect
from os1.companion import Companion
from os1.config import Settings
from os1.errors import ModelError
from os1.events import TextDelta, TurnFinished
from os1.models.base import CancelToken, ChatMessage, GenerationOptions, complete, ready
from os1.models.lazy import LazyLLM
from os1.models.scripted import ScriptedLLM


class Loads:
    """Counts loads of a scripted model; each takes ``seconds``; the first ``failing``
    fail."""

    def __init__(self, seconds: float = 0.0, failing: int = 0) -> None:
        self.seconds, self.failing = seconds, failing
        self.count = 0
        self.models: list[ScriptedLLM] = []

    async def __call__(self) -> ScriptedLLM:
        self.count += 1
        await asyncio.sleep(self.seconds)
        if self.count <= self.failing:
            raise ModelError("model_load_failed", "the disk is slow today")
        self.models.append(ScriptedLLM(["hello there"]))
        return self.models[-1]


async def test_many_asking_at_once_share_one_load() -> None:
    loads = Loads(seconds=0.05)
    lazy = LazyLLM("scripted", 4096, loads)
    lazy.load_ahead()
    lazy.load_ahead()
    await asyncio.gather(ready(lazy), ready(lazy), lazy.ready())
    answer = await complete(lazy, [ChatMessage("user", "hi")], GenerationOptions())
    assert loads.count == 1 and answer.text == "hello there"


async def test_token_counts_are_the_models_once_it_is_ready() -> None:
    lazy = LazyLLM("scripted", 4096, Loads())
    text = "a sentence of several words"
    before = lazy.count_tokens(text)
    await ready(lazy)
    exact = ScriptedLLM().count_tokens(text)
    assert before > lazy.count_tokens(text) == exact  # an over-estimate, then exact


async def test_a_failed_load_is_tried_again_by_the_next_one_to_ask() -> None:
    loads = Loads(failing=1)
    lazy = LazyLLM("scripted", 4096, loads)
    with pytest.raises(ModelError, match="slow today"):
        await lazy.ready()
    assert await lazy.ready() is loads.models[0] and loads.count == 2


async def test_a_caller_cancelled_while_waiting_leaves_the_load_for_the_next() -> None:
    loads = Loads(seconds=0.2)
    lazy = LazyLLM("scripted", 4096, loads)
    waiting = asyncio.create_task(lazy.ready())
    await asyncio.sleep(0.05)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert await lazy.ready() is loads.models[0] and loads.count == 1


async def test_closing_waits_for_a_load_under_way_and_closes_what_it_made() -> None:
    class Closing(ScriptedLLM):
        closed = False

        async def aclose(self) -> None:
            self.closed = True

    made: list[Closing] = []

    async def load() -> Closing:
        await asyncio.sleep(0.1)
        made.append(Closing())
        return made[-1]

    lazy = LazyLLM("scripted", 4096, load)
    lazy.load_ahead()
    await lazy.aclose()
    assert made and made[0].closed


async def test_closing_a_model_never_loaded_loads_nothing() -> None:
    loads = Loads()
    await LazyLLM("scripted", 4096, loads).aclose()
    assert loads.count == 0


async def test_a_turn_stopped_before_it_needs_the_model_keeps_the_words_without_one(
    settings: Settings,
) -> None:
    loads = Loads(seconds=5)  # a stop that waited for this load would show
    companion = await Companion.start(settings, llm=LazyLLM("scripted", 4096, loads))
    cancel = CancelToken()
    cancel.cancel()  # the reader was gone before the turn began
    started = asyncio.get_running_loop().time()
    events = await collect(companion.turn("ann", "Are you there?", cancel=cancel))
    await companion.wait_background()
    assert asyncio.get_running_loop().time() - started < 1.0
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.interrupted
    assert not any(isinstance(e, TextDelta) for e in events)
    assert [(h.role, h.text) for h in await companion.history("ann")] == [
        ("user", "Are you there?")
    ]
    await companion.aclose()
    assert loads.count == 0

    # the next turn, with a reader, answers as usual (the stopped line is in its history)
    model = ScriptedLLM()
    again = await Companion.start(settings, llm=model)
    await collect(again.turn("ann", "Hello?"))
    await again.aclose()
    sent = [m.content for m in model.requests[-1].messages]
    assert "Are you there?" in sent and sent[-1] == "Hello?"


async def test_background_work_waits_while_a_person_waits_on_a_render() -> None:
    # a piece is engraved after the model chose its music: learning that starts then
    # would take a core from the render, so it waits until the person has the piece
    lazy = LazyLLM("scripted", 4096, Loads())
    options = GenerationOptions(background=True)
    async with lazy.hold_background():
        learning = asyncio.create_task(complete(lazy, [ChatMessage("user", "hi")], options))
        await asyncio.sleep(0.1)
        assert not learning.done()  # not started: the model was not even loaded for it
        person = await complete(lazy, [ChatMessage("user", "hi")], GenerationOptions())
        assert person.text == "hello there"  # the person's own request runs as usual
        assert not learning.done()
    assert (await asyncio.wait_for(learning, 1)).finish_reason == "stop"
