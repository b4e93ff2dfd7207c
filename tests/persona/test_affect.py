"""Affect: the mood of a message from words alone, and closeness and trust over days."""

from __future__ import annotations

import datetime as dt

import pytest

from os1.persona.affect import closeness_after, is_disclosure, mood_of, timeline, trust_after


@pytest.mark.parametrize(
    ("text", "label", "sign"),
    [
        ("I'm so happy today, everything is wonderful!", "joyful", 1),
        ("We had a lovely, relaxed evening and I feel calm and content.", "calm", 1),
        ("I feel sad and lonely since she left.", "sad", -1),
        ("I'm furious, my landlord lied to me again.", "angry", -1),
        ("I'm really worried and nervous about the exam tomorrow.", "anxious", -1),
        ("The train leaves at nine from platform four.", "neutral", 0),
    ],
)
def test_each_feeling_is_recognised(text: str, label: str, sign: int) -> None:
    mood = mood_of(text)
    assert mood.label == label
    if sign:
        assert mood.valence * sign > 0.3
    else:
        assert mood.valence == 0.0 and mood.cues == 0


def test_negation_flips_the_feeling() -> None:
    assert mood_of("I am happy").valence > 0 > mood_of("I am not happy").valence
    assert mood_of("I'm not happy").label == "sad"
    assert mood_of("I am sad").valence < 0 < mood_of("I don't feel sad at all").valence
    assert mood_of("No worries, all good").valence > 0
    # a negation does not reach across a clause
    assert mood_of("No. I am happy").valence > 0


def test_intensifiers_strengthen_and_dampeners_soften() -> None:
    plain = mood_of("I am sad").valence
    assert mood_of("I am very sad").valence < plain < mood_of("I am a bit sad").valence < 0
    assert mood_of("I am sooo happy").valence > mood_of("I am happy").valence
    assert mood_of("I am HAPPY").valence > mood_of("I am happy").valence
    assert mood_of("I am happy!!!").valence > mood_of("I am happy").valence


def test_what_follows_but_counts_more() -> None:
    assert mood_of("I was tired but now I feel great").valence > 0
    assert mood_of("The trip was great but I feel awful now").valence < 0


def test_emoji_and_emoticons_carry_feeling() -> None:
    assert mood_of("😭😭").label == "sad" and mood_of("😭").valence < 0
    assert mood_of("see you soon :)").valence > 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\x00\x01\x02",
        "\ud800 lone surrogate",
        "e\u0301\u0301\u0301 zalgo\u0336\u0336 \u200b\u200d\u202e",
        "😀" * 50_000,
        "happy sad " * 500_000,
        "!!!!!!!!!!",
        "ünïcödé ǅ ﬁ Ⅻ ١٢٣ 日本語で嬉しい",
    ],
)
def test_odd_input_never_crashes(text: str) -> None:
    mood = mood_of(text)
    assert -1.0 <= mood.valence <= 1.0
    assert mood.label in {"joyful", "calm", "sad", "anxious", "angry", "neutral"}
    assert isinstance(is_disclosure(text), bool)


def test_personal_disclosures() -> None:
    assert is_disclosure("My mom is coming to visit next week")
    assert is_disclosure("I feel scared about my new job")
    assert is_disclosure("I'm planning to learn the cello")
    assert not is_disclosure("The weather is cloudy today")
    assert not is_disclosure("What time is it?")


def test_closeness_grows_with_talk_and_fades_with_silence() -> None:
    talked = closeness_after(0.0, 3, 0)
    shared = closeness_after(0.0, 3, 2)
    assert 0 < talked < shared < 1
    after_month = 0.0
    for _ in range(30):
        after_month = closeness_after(after_month, 4, 1)
    assert after_month > 0.5
    silent = after_month
    for _ in range(30):
        silent = closeness_after(silent, 0, 0)
    assert after_month * 0.6 < silent < after_month  # fades slowly, not erased
    assert closeness_after(0.0, 0, 0) == 0.0


def test_closeness_stays_within_bounds() -> None:
    value = 0.0
    for _ in range(20_000):
        value = closeness_after(value, 1_000, 1_000)
        assert 0.0 <= value <= 1.0
    assert value > 0.99
    assert closeness_after(5.0, 1, 1) <= 1.0
    assert closeness_after(-3.0, 0, 0) == 0.0
    assert 0.0 <= closeness_after(0.5, -4, -9) <= 1.0


def _at(day: dt.date, hour: int) -> float:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC).timestamp()


def test_timeline_has_every_day_with_mood_and_closeness() -> None:
    first = dt.date(2025, 3, 1)
    said = [
        (_at(first - dt.timedelta(days=10), 9), "I told you about my sister, I miss her"),
        (_at(first, 9), "I'm so happy, we won the match!"),
        (_at(first, 18), "What a wonderful day"),
        (_at(first, 20), "Where are my keys"),
        (_at(first + dt.timedelta(days=3), 8), "I feel sad and alone"),
    ]
    days = timeline(reversed(said), first, first + dt.timedelta(days=4), dt.UTC)
    assert [d.date for d in days] == [first + dt.timedelta(days=n) for n in range(5)]
    assert [d.messages for d in days] == [3, 0, 0, 1, 0]
    happy, silent, _, sad, after = days
    assert happy.mood is not None and happy.mood > 0.4 and happy.mood_label == "joyful"
    assert silent.mood is None and silent.mood_label is None
    assert sad.mood is not None and sad.mood < -0.4 and sad.mood_label == "sad"
    # earlier talk counts: closeness starts above what a first day alone would give
    assert happy.closeness > closeness_after(0.0, 3, 1)
    assert silent.closeness < happy.closeness and sad.closeness > silent.closeness
    assert after.closeness < sad.closeness
    assert all(0.0 <= d.closeness <= 1.0 for d in days)


def test_a_day_of_plain_talk_is_neutral_not_missing() -> None:
    day = dt.date(2025, 5, 5)
    (entry,) = timeline([(_at(day, 12), "Booked the train for ten")], day, day, dt.UTC)
    assert entry.messages == 1 and entry.mood == 0.0 and entry.mood_label == "neutral"


def test_trust_grows_by_confiding_and_breaks_at_anger_aimed_at_it() -> None:
    assert trust_after(0.0, 0, 0) == 0.0  # talk about the weather shows no trust
    confided = trust_after(0.0, 2, 0)
    assert 0 < confided < trust_after(0.0, 3, 0) == trust_after(0.0, 9, 0)  # capped at 3
    assert trust_after(0.5, 0, 1) < 0.5 and trust_after(0.5, 0, 2) < trust_after(0.5, 0, 1)
    value = 0.0
    for _ in range(2_000):
        value = trust_after(value, 1_000, 0)
    assert value <= 1.0 and trust_after(7.0, 0, 0) == 1.0 and trust_after(-2, -1, -1) == 0.0


def test_timeline_trust_and_what_it_knows() -> None:
    first = dt.date(2025, 6, 1)
    said = [
        (_at(first, 9), "I'm scared about my mom's surgery tomorrow"),  # confides
        (_at(first + dt.timedelta(days=2), 9), "You are useless and stupid, I hate you"),
        (_at(first + dt.timedelta(days=3), 9), "My landlord is a stupid idiot, I hate him"),
    ]
    learned = [_at(first - dt.timedelta(days=5), 9), _at(first, 10), _at(first, 11)]
    days = timeline(said, first, first + dt.timedelta(days=3), dt.UTC, learned)
    confided, silent, slighted, angry_elsewhere = days
    assert confided.trust > 0 and silent.trust == confided.trust  # silence keeps it
    assert slighted.trust < silent.trust  # anger at the companion breaks some
    assert angry_elsewhere.trust >= slighted.trust  # anger at a landlord does not
    assert [d.known for d in days] == [3, 3, 3, 3]  # the fact before the window counts
    assert confided.as_dict()["trust"] == confided.trust and confided.as_dict()["known"] == 3
