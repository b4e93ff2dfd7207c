"""The companion's own feelings (``persona.own_feelings``): each event the person would
recognise moves the feeling they would expect, with its reason in words, and every
feeling fades with time."""

from __future__ import annotations

from os1.persona.emotions import Feeling, Reading
from os1.persona.own_feelings import (
    DAY,
    HONEST,
    Made,
    OwnFeeling,
    Said,
    asks_about_feelings,
    own_feelings,
    said_aloud,
    tone_note,
)

NOW = 1_800_000_000.0


def _user(text: str, label: str, days_ago: float, intensity: float = 0.9) -> Said:
    reading = Reading("en", (Feeling(label, intensity),))
    return Said(NOW - days_ago * DAY, "user", False, text, reading)


def _reply(days_ago: float, interrupted: bool = False) -> Said:
    return Said(NOW - days_ago * DAY, "assistant", interrupted, "…")


def test_what_the_person_shares_moves_the_feeling_it_would_in_a_friend() -> None:
    said = [
        _user("We got the house!!", "excitement", 0.1),
        _reply(0.09),
        _user("My exam is tomorrow and I'm terrified", "fear", 0.05),
    ]
    found = {f.name: f for f in own_feelings(said, NOW)}
    assert set(found) == {"glad", "worried"}
    assert found["worried"].reason == "you told me “My exam is tomorrow and I'm terrified”"
    assert said_aloud(found["glad"]) == "I feel glad: you told me “We got the house!!”"


def test_how_it_is_treated_counts_only_when_aimed_at_it() -> None:
    said = [
        _user("My landlord is a furious idiot, I'm so angry", "anger", 0.2),
        _user("Thank you, you really helped me today", "gratitude", 0.1),
    ]
    names = [f.name for f in own_feelings(said, NOW)]
    assert names == ["appreciated"]  # anger at a landlord is not anger at the companion
    hurt = own_feelings([_user("You are useless and you never listen", "annoyance", 0.1)], NOW)
    assert [f.name for f in hurt] == ["hurt"]


def test_silence_is_missed_and_being_cut_off_is_felt() -> None:
    said = [_user("see you", "neutral", 9), _reply(9, interrupted=True)]
    found = {f.name: f for f in own_feelings(said, NOW)}
    assert found["missed you"].reason == "you haven't written for 9 days"
    assert said_aloud(found["missed you"]) == "I missed you: you haven't written for 9 days."
    assert "cut off" not in found  # nine days on, that has faded
    cut = own_feelings([_user("tell me a story", "neutral", 0.2), _reply(0.1, True)], NOW)
    assert [(f.name, f.reason) for f in cut] == [("cut off", "you stopped me mid-reply")]
    came_back = [*said, _user("hi, I'm back", "neutral", 0)]
    back = {f.name: f for f in own_feelings(came_back, NOW)}
    assert back["missed you"].reason == "we had not talked for 9 days"


def test_feelings_fade_by_half_every_three_days_and_then_go() -> None:
    def glad(days_ago: float) -> float:
        found = own_feelings([_user("I passed!", "joy", days_ago)], NOW)
        return next((f.intensity for f in found if f.name == "glad"), 0.0)

    fresh, later, much_later = glad(0), glad(3), glad(30)
    assert fresh > later > 0 and much_later == 0.0
    assert own_feelings([], NOW) == [] and "not feelings the way yours are" in HONEST


def test_messages_it_cannot_read_move_nothing() -> None:
    foreign = Said(NOW - 100, "user", False, "Estoy muy triste", Reading("unknown"))
    assert own_feelings([foreign], NOW) == []


def test_questions_about_its_feelings_are_recognised_and_others_are_not() -> None:
    asked = ["Do you really feel that?", "did you miss me?", "How are you feeling?",
             "Are you sad?", "Are you in love with anyone else?", "do you even care"]  # fmt: skip
    other = ["I feel sick today", "How do I feel better after a cold?",
             "What do you think of my essay?", "Can you feed the cat?",
             "I'm in love with Paris", "We fell in love with the house"]  # fmt: skip
    assert [asks_about_feelings(x) for x in asked] == [True] * len(asked)
    assert [asks_about_feelings(x) for x in other] == [False] * len(other)


def test_only_a_feeling_strong_enough_colours_the_tone() -> None:
    hurt = OwnFeeling("hurt", 0.5, "you said “you never listen”", 0.0)
    note = tone_note([hurt, OwnFeeling("glad", 0.4, "you told me “I got the job”", 0.0)])
    assert "I feel hurt: you said “you never listen”" in note and "glad" not in note
    assert "be calm and a little reserved, never cold or reproachful" in note
    assert tone_note([OwnFeeling("hurt", 0.2, "you said “meh”", 0.0)]) == ""
    assert tone_note([]) == ""


def test_something_it_made_that_was_met_with_gladness_makes_it_proud() -> None:
    letter = Made(NOW - 2 * DAY, "the letter to Lena")
    liked = _user("She cried happy tears, thank you so much!", "gratitude", days_ago=1.9)
    felt = {f.name: f for f in own_feelings([liked], NOW, [letter])}
    assert felt["proud"].reason.startswith("you said “She cried happy tears")
    assert felt["proud"].reason.endswith("after I made the letter to Lena")
    # met with silence for a day, or with a complaint, it is not proud of it
    late = _user("Thanks!", "gratitude", days_ago=0.5)
    assert "proud" not in {f.name for f in own_feelings([late], NOW, [letter])}
    moaned = _user("That was far too long.", "annoyance", days_ago=1.9)
    assert "proud" not in {f.name for f in own_feelings([moaned], NOW, [letter])}
