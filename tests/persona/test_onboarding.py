"""First boot: the companion names itself once and gets to know the person."""

from __future__ import annotations

from collections.abc import AsyncIterator

from conftest import collect, turn_request
from os1.companion import Companion
from os1.config import Settings
from os1.events import TextDelta, TurnFinished
from os1.models.base import ChatMessage, Chunk, GenerationOptions, Usage
from os1.models.scripted import ScriptedLLM, ScriptedRequest
from os1.persona.identity import choose_name
from os1.persona.onboarding import QUESTIONS


async def test_the_companion_names_itself_once_and_keeps_the_name(settings: Settings) -> None:
    model = ScriptedLLM([{"name": "Juniper", "reason": "I like how it sounds like a fresh start."}])
    first = await Companion.start(settings, llm=model)
    identity = await first.identity("ann")
    assert identity.name == "Juniper"
    await first.aclose()
    again = await Companion.start(
        settings, llm=ScriptedLLM([{"name": "Other", "reason": "x" * 20}])
    )
    assert (await again.identity("ann")).name == "Juniper"
    assert (await again.identity("bob")).name == "Other"  # each person's companion names itself
    await again.aclose()


async def test_a_product_name_is_refused_and_asked_again() -> None:
    model = ScriptedLLM(
        [
            {"name": "Qwen", "reason": "It is the name of my model."},
            {"name": "Assistant", "reason": "It says what I do for you."},
            {"name": "Wren", "reason": "I like small brave birds."},
        ]
    )
    assert (await choose_name(model)).name == "Wren"
    assert len(model.requests) == 3


async def test_onboarding_asks_each_question_and_stores_each_answer(settings: Settings) -> None:
    model = ScriptedLLM([{"name": "Juniper", "reason": "I like how it sounds."}])
    companion = await Companion.start(settings, llm=model)
    greeting = await collect(companion.greet("ann"))
    text = greeting[-1].text  # type: ignore[attr-defined]
    assert "Juniper" in text and "AI" in text and text.endswith(QUESTIONS[0].text)
    assert await collect(companion.greet("ann")) == []  # greets only once

    answers = ["Call me Annie.", "I teach kids maths.", "My sister Jo.", "Sleeping better."]
    model.enqueue({"name": "Annie"})  # what the model picks out of the first answer
    for index, answer in enumerate(answers):
        model.enqueue(f"Thanks for telling me, reply {index}.")
        events = await collect(companion.turn("ann", answer))
        await companion.wait_background()
        reply = "".join(e.text for e in events if isinstance(e, TextDelta))
        instruction = turn_request(model).messages[0].content
        assert QUESTIONS[index].text in instruction  # the model knows what was asked
        if index + 1 < len(QUESTIONS):
            assert reply.endswith(QUESTIONS[index + 1].text)
        else:
            assert "last getting-to-know-you question" in instruction
        assert isinstance(events[-1], TurnFinished)

    store = await companion.db.user("ann")
    stored = await store.onboarding_answers()
    assert [(a.topic, a.answer) for a in stored] == [
        (q.topic, a) for q, a in zip(QUESTIONS, answers, strict=True)
    ]
    model.enqueue("Just chatting now.")
    await collect(companion.turn("ann", "What do you know about me?"))
    system = turn_request(model).messages[0].content
    assert "I teach kids maths." in system and "getting to know" not in system
    assert "living on Annie's computer" in system
    await companion.aclose()


async def test_onboarding_resumes_after_a_restart_and_can_be_skipped(settings: Settings) -> None:
    first = await Companion.start(settings, llm=ScriptedLLM())
    await collect(first.greet("ann"))
    await collect(first.turn("ann", "Ann"))
    await first.aclose()
    model = ScriptedLLM()
    second = await Companion.start(settings, llm=model)
    events = await collect(second.turn("ann", "Mostly at a desk."))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)).endswith(QUESTIONS[2].text)
    await second.skip_onboarding("ann")
    await collect(second.turn("ann", "hello"))
    assert "getting to know" not in turn_request(model).messages[0].content
    await second.aclose()


async def test_a_name_not_in_the_answer_is_not_believed(settings: Settings) -> None:
    from os1.persona.onboarding import learn_preferred_name, person_name

    model = ScriptedLLM([{"name": "Bartholomew"}, {"name": "Kit"}])
    companion = await Companion.start(settings, llm=model)
    store = await companion.db.user("me")
    assert await learn_preferred_name(store, model, "Oh, just call me whatever.") is None
    assert await person_name(store) is None  # the anonymous default account has no name
    assert await learn_preferred_name(store, model, "Kit is fine") == "Kit"
    assert await person_name(store) == "Kit"
    await companion.aclose()


async def test_of_several_names_given_the_first_is_the_one_to_call_them(
    settings: Settings,
) -> None:
    from os1.persona.onboarding import learn_preferred_name

    model = ScriptedLLM([{"name": "Tom. Thomas Reid"}, {"name": "Tom Reid"}, {"name": "Tim"}])
    companion = await Companion.start(settings, llm=model)
    store = await companion.db.user("me")
    answer = "Tom. Thomas Reid if you want the full thing."
    assert await learn_preferred_name(store, model, answer) == "Tom"
    assert await learn_preferred_name(store, model, answer) == "Tom Reid"  # each word said
    assert await learn_preferred_name(store, model, answer) is None
    await companion.aclose()


async def test_a_name_said_before_the_greeting_is_not_asked_for_again(
    settings: Settings,
) -> None:
    from os1.persona.onboarding import person_name, said_name

    model = ScriptedLLM([{"name": "Juniper", "reason": "It sounds kind."}])
    companion = await Companion.start(settings, llm=model)
    first = "Hi! I'm Sam. I just moved to Lisbon and I work as a nurse at Santa Maria."
    await collect(companion.turn("ann", first, onboarding_enabled=False))  # spoke first
    greeting = (await collect(companion.greet("ann")))[-1].text  # type: ignore[attr-defined]
    assert greeting.startswith("Hi Sam!") and "Juniper" in greeting
    assert QUESTIONS[0].text not in greeting and greeting.endswith(QUESTIONS[1].text)
    assert await person_name(await companion.db.user("ann")) == "Sam"
    events = await collect(companion.turn("ann", "Night shifts, mostly."))
    said = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert said.endswith(QUESTIONS[2].text)  # onboarding goes on from there
    await companion.aclose()
    assert [said_name(t) for t in ("I'm so tired", "It's Monday", "call me Theo.")] == [
        None,
        None,
        "Theo",
    ]


def test_the_name_answer_is_read_without_the_model_when_it_plainly_is_a_name() -> None:
    from os1.persona.onboarding import name_in_answer

    plain = ["Ana", "maya. or may, whatever", "Call me Theo.", "My name is Henrik Dahl."]
    assert [name_in_answer(t) for t in plain] == ["Ana", "Maya", "Theo", "Henrik"]
    unclear = ["whatever you like", "Hi", "I dont know", "Dr. Jones", "42", ""]
    assert [name_in_answer(t) for t in unclear] == [None] * len(unclear)
    long = "Well it depends on who is asking, my friends say all sorts of things really"
    assert name_in_answer(long) is None  # the model reads longer answers


class StopsTheFirstNameLearning(ScriptedLLM):
    """The scripted model, stopped (as the local model stops background work when the
    person speaks) the first time it is asked which name they go by."""

    stopped = False

    async def stream(
        self, messages: list[ChatMessage], options: GenerationOptions, cancel: object = None
    ) -> AsyncIterator[Chunk]:
        if "Which name do they want" in messages[-1].content and not self.stopped:
            self.stopped = True
            self.requests.append(ScriptedRequest(list(messages), options))
            yield Chunk('{"name": "To', "preempted", Usage())
            return
        async for chunk in super().stream(messages, options):
            yield chunk


async def test_nothing_is_learned_from_their_words_before_their_name_is_known(
    settings: Settings,
) -> None:
    """Read without the name, "Tom. Thomas Reid" is a stranger, and "I"'s facts are filed
    under the wrong subject: learning waits for the name, then reads every line with it."""
    model = StopsTheFirstNameLearning([{"name": "Juniper", "reason": "It sounds kind."}])
    companion = await Companion.start(settings, llm=model)
    await collect(companion.greet("ann"))
    await collect(companion.turn("ann", "Tom. Thomas Reid if you want the full thing."))
    await companion.wait_background()
    assert model.stopped
    notes = [r for r in model.requests if "You keep notes about" in r.messages[0].content]
    assert notes == []  # the name was not known yet
    model.enqueue({"name": "Tom"})
    await collect(companion.turn("ann", "I drive a taxi in Dundee."))
    await companion.wait_background()
    notes = [r for r in model.requests if "You keep notes about" in r.messages[0].content]
    assert notes and all("notes about Tom for" in r.messages[0].content for r in notes)
    assert "Thomas Reid" in notes[0].messages[1].content  # the first line, read with the name
    await companion.aclose()
