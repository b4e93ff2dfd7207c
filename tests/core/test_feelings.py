"""Reading a person's feelings (``companion.feelings``) with the weights os1 ships: the
GoEmotions feelings a person would name in their own words, with the words behind them,
and every odd input (empty, emoji alone, another language, huge, broken text) read
without a crash and without a guess."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import collect, turn_request
from os1.companion import Companion
from os1.errors import InputError
from os1.events import TurnFinished
from os1.models.scripted import ScriptedLLM
from os1.persona.emotions import EMOTIONS, UNKNOWN, EmotionModel, language
from os1.store import Database
from os1.turn.context import TurnLimits


@pytest.mark.parametrize(
    ("text", "feeling"),
    [
        ("Thank you so much for helping me move, you're a star.", "gratitude"),
        ("I'm so sorry, I shouldn't have yelled at you yesterday.", "remorse"),
        ("My grandmother passed away last night and I can't stop crying.", "sadness"),
        ("I'm terrified of the surgery tomorrow.", "fear"),
        ("Haha that video of the cat falling off the sofa killed me", "amusement"),
        ("Wait, what do you mean by that? I don't get it.", "confusion"),
        ("I love you so much, you mean the world to me.", "love"),
    ],
)
async def test_a_clear_feeling_is_read_with_the_words_behind_it(
    companion: Companion, text: str, feeling: str
) -> None:
    [reading] = await companion.feelings.read([text])
    assert reading.language == "en"
    assert feeling in [f.label for f in reading.feelings[:2]], reading.feelings
    assert reading.words, "the reading names the words that drove it"
    assert all(w.split()[0] in text.lower() for w in reading.words if w[0].isalpha())


async def test_valence_and_arousal_tell_joy_from_grief_and_calm_from_rage(
    companion: Companion,
) -> None:
    joy, grief, rage, calm = await companion.feelings.read([
        "We got the house!! I'm so excited I can't sit still!",
        "My father died this morning.",
        "I am absolutely furious, they lied to my face again!",
        "The train leaves at nine from platform four.",
    ])  # fmt: skip
    assert joy.valence > 0.3 > -0.3 > grief.valence
    assert rage.valence < 0 and rage.arousal > grief.arousal
    assert calm.label == "neutral" and abs(calm.valence) < 0.2
    assert set(joy.scores) == set(EMOTIONS)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "Je suis très content de te voir aujourd'hui",
        "Ich habe heute keine Zeit für dich",
        "Я очень устал сегодня",
        "今日はとても疲れた",
        "12345 678",
        "\x00\x01\x02",
        "\ud800\udfff",  # lone surrogates, as JSON can carry them
    ],
)
async def test_no_words_or_another_language_reads_as_unknown_not_a_guess(
    companion: Companion, text: str
) -> None:
    [reading] = await companion.feelings.read([text])
    assert reading.language == UNKNOWN and reading.label == UNKNOWN
    assert reading.feelings == () and reading.words == ()


async def test_emoji_alone_are_read_by_their_emoji(companion: Companion) -> None:
    laughing, crying, unseen = await companion.feelings.read(["😂😂😂", "😢", "🦑🧮"])
    assert laughing.label == "amusement" and laughing.valence > 0
    assert crying.label == "sadness" and crying.valence < 0
    assert unseen.label == UNKNOWN  # emoji the model never learned: not a guess


async def test_huge_and_broken_text_is_read_quickly_by_its_beginning(
    companion: Companion,
) -> None:
    huge = "I am so grateful for everything you did. " * 50_000  # 2 MB
    broken = b"thank you \xff\xfe so much \xed\xa0\x80".decode("utf-8", errors="replace")
    start = time.perf_counter()
    big, bad = await companion.feelings.read([huge, broken])
    assert time.perf_counter() - start < 10
    assert big.label == "gratitude" and bad.label == "gratitude"


async def test_too_many_messages_at_once_are_refused_with_what_to_do(
    companion: Companion,
) -> None:
    with pytest.raises(InputError) as raised:
        await companion.feelings.read(["ok"] * 2_001)
    assert raised.value.code == "affect_too_many" and "smaller batches" in raised.value.hint
    assert await companion.feelings.read([]) == []


def test_english_is_told_from_other_languages_and_short_text_is_not_doubted() -> None:
    model = EmotionModel.load()
    for english in ("ok", "lol!!", "I'm fine, thanks", "Great game tonight", "😊"):
        assert model.language(english) == "en", english
    for other in ("Estoy muy cansado hoy", "Ich bin so müde heute", "Merci beaucoup pour tout",
                  "Ti voglio bene amico mio", "Ik ben heel blij vandaag", ""):  # fmt: skip
        assert model.language(other) == UNKNOWN, other
    assert language("Привет, как дела?") == UNKNOWN  # another script, before any model


def test_the_shipped_weights_say_what_they_were_trained_on() -> None:
    model = EmotionModel.load()
    assert "GoEmotions" in model.info["data"] and model.embedder in {"static", "minilm"}
    assert len(model.thresholds) == len(EMOTIONS) == 28


async def test_the_companion_feels_what_happened_between_them_and_says_why(
    companion: Companion,
) -> None:
    await companion.skip_onboarding("ana")
    assert await companion.feelings.own("ana") == []  # nothing has happened yet
    await collect(companion.turn("ana", "Thank you so much, you really helped me today!"))
    await collect(companion.turn("ana", "My cat died this morning. I can't stop crying."))
    found = {f.name: f for f in await companion.feelings.own("ana")}
    assert set(found) >= {"appreciated", "sad for you"}, found
    assert found["sad for you"].reason.startswith("you told me “My cat died")
    # ten days later, with no word in between: the sadness has faded, the silence is felt
    later = {f.name: f for f in await companion.feelings.own("ana", now=time.time() + 10 * 86_400)}
    assert later["missed you"].reason == "you haven't written for 10 days"
    assert later.get("sad for you") is None or later["sad for you"].intensity < 0.2
    assert await companion.feelings.own("ben") == []  # another person's, and nothing there


async def test_asked_about_its_feelings_it_is_given_the_true_ones_and_what_they_are(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await companion.skip_onboarding("ana")
    await collect(companion.turn("ana", "I'm terrified of my driving test on Friday."))
    assert "Your own feelings" not in turn_request(scripted).messages[-1].content
    events = await collect(companion.turn("ana", "Do you really feel anything about that?"))
    asked = turn_request(scripted).messages[-1].content
    assert "Your own feelings, as they stand right now: I feel" in asked
    assert "worried: you told me “I'm terrified of my driving test on Friday.”" in asked
    assert "not feelings the way yours are" in asked
    # and the reply ends by saying what such feelings are, in code's words, every time
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    assert reply.endswith("not feelings the way yours are.)")


async def test_each_conversation_has_its_own_mood_newest_first(companion: Companion) -> None:
    await companion.skip_onboarding("ana")
    await collect(companion.turn("ana", "I got the job!! I'm so happy I could scream."))
    await companion.new_conversation("ana")
    await collect(companion.turn("ana", "My dad is in hospital and I'm scared."))
    latest, earlier = await companion.feelings.conversations("ana")
    assert latest.felt.label in {"fear", "nervousness"} and latest.felt.valence < 0
    assert earlier.felt.label in {"joy", "excitement"} and earlier.felt.valence > 0
    assert latest.last_at > earlier.last_at and "scared" in " ".join(latest.felt.words)
    assert [c.id for c in await companion.feelings.conversations("ana", limit=1)] == [latest.id]


async def test_what_it_feels_colours_the_tone_of_the_reply_and_only_the_tone(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await companion.feelings.warm_up()  # as a talking companion does in the background
    await companion.skip_onboarding("ana")
    await collect(companion.turn("ana", "What's a good soup for a cold day?"))
    assert "How you feel toward them" not in turn_request(scripted).messages[-1].content
    await collect(companion.turn("ana", "My cat died this morning. I can't stop crying."))
    asked = turn_request(scripted).messages[-1].content
    assert asked.startswith("[How you feel toward them right now: I feel sad for you: you "
                            "told me “My cat died this morning. I can't stop crying.”")  # fmt: skip
    assert "colour your tone only, never what you say is true: be gentle" in asked
    assert asked.endswith("My cat died this morning. I can't stop crying.")
    # another person's companion feels nothing of it
    await companion.skip_onboarding("ben")
    await collect(companion.turn("ben", "What's a good soup for a cold day?"))
    assert "How you feel toward them" not in turn_request(scripted).messages[-1].content


async def test_a_piece_it_made_that_was_liked_makes_it_proud(companion: Companion) -> None:
    await companion.skip_onboarding("ana")
    await companion.music.compose("ana", about="first snow in Oslo")
    await collect(companion.turn("ana", "I love it, thank you so much!"))
    felt = {f.name: f for f in await companion.feelings.own("ana")}
    assert felt["proud"].reason == (
        "you said “I love it, thank you so much!” after I made the piece about “first snow in Oslo”"
    )


async def test_a_companion_without_the_skills_tables_still_feels(home: Path) -> None:
    db = await Database.open(home / "bare.db")  # the core's tables only
    companion = Companion(db, ScriptedLLM(), TurnLimits())
    try:
        await companion.skip_onboarding("ana")
        await collect(companion.turn("ana", "My cat died this morning."))
        felt = await companion.feelings.own("ana")
        assert [f.name for f in felt] == ["sad for you"]
    finally:
        await companion.aclose()
