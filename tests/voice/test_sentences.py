"""A streamed reply is cut into speakable pieces: early, whole, and without markup."""

from __future__ import annotations

import pytest

from os1.voice.endpoint import sounds_finished
from os1.voice.sentences import SpeechChunker, speakable


def _stream(text: str, step: int = 3) -> list[str]:
    chunker = SpeechChunker()
    pieces: list[str] = []
    for start in range(0, len(text), step):
        pieces += chunker.feed(text[start : start + step])
    return pieces + chunker.flush()


def test_sentences_come_out_whole_and_in_order() -> None:
    reply = "That sounds lovely! Did Dr. Smith say 3.5 mg? I think so. It was 1990. Then..."
    assert _stream(reply) == [
        "That sounds lovely!",
        "Did Dr. Smith say 3.5 mg?",
        "I think so.",
        "It was 1990.",
        "Then...",
    ]


def test_the_first_piece_may_end_at_a_comma_so_the_voice_starts_sooner() -> None:
    pieces = _stream("Well, I would say that, on the whole, it went well. Yes, it did, truly.")
    assert pieces[0] == "Well, I would say that,"  # "Well," alone is too short a piece
    assert pieces[1] == "on the whole, it went well."  # later pieces wait for the full stop
    assert pieces[2] == "Yes, it did, truly."


def test_a_piece_is_ready_before_the_reply_ends() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("Sure thing. And th") == ["Sure thing."]
    assert chunker.feed("en") == []
    assert chunker.flush() == ["And then"]


def test_a_very_long_sentence_is_cut_at_a_comma() -> None:
    long = " ".join(["word"] * 30) + ", and then " + " ".join(["more"] * 5) + "."
    pieces = _stream("Hi there. " + long)
    assert len(pieces) == 3 and pieces[1].endswith(",")


def test_markup_addresses_code_and_emoji_are_not_read_out() -> None:
    reply = (
        "**Great** idea 😀! See [the guide](https://x.example/a) or https://y.example.\n"
        "- first step\n- second step\n```python\nprint('hi')\n```\nDone."
    )
    pieces = _stream(reply, step=5)
    assert pieces == [
        "Great idea!",
        "See the guide or a link.",
        "first step",
        "second step",
        "Done.",
    ]
    assert speakable("# Title\n> quoted `code` ~~x~~") == "Title\nquoted code x"
    assert _stream("") == [] and _stream("*** 🙂 ***") == []


@pytest.mark.parametrize(
    ("text", "finished"),
    [
        ("What's the weather like tomorrow?", True),
        ("Remind me to call Mum.", True),
        ("I was thinking that we could", False),
        ("I bought apples and", False),
        ("So, um,", False),
        ("Let me think...", False),
        ("", True),
        ("Thanks", True),
        ("Good morning to you.", True),
        ("Who are you talking to?", True),
        ("I bought apples and.", False),
        ("I think we should", False),
        ("I think we should.", True),
    ],
)
def test_a_turn_that_trails_off_does_not_sound_finished(text: str, finished: bool) -> None:
    assert sounds_finished(text) is finished
