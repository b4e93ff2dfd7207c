"""The live count, said truly: when the person asks how many people or conversations the
companion is busy with, the true number goes into the newest message (not the system
prompt, which must stay byte-identical for the prompt cache).

Only when asked: a number in every message would invite the model to mention it at
random. The question is recognised broadly ("how many people are you talking to",
"am I the only one", "are you talking to anyone else"); a miss only means the model
answers without the number, and the honesty rules forbid it to make one up.

Asked whom else it loves or is close to, it gets the true figure too: how many of the
people it talked with this year it has grown close to, by the same closeness the
timeline shows (``persona.affect``), computed across the server (``core.circle``). The
small model cannot be trusted to say that it does not fall in love, so code says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASKS = re.compile(
    r"how many (other )?(people|persons|users|humans|conversations|chats|others|of us)"
    r"|(talk|talking|speak|speaking|chat|chatting) (to|with) (anyone|anybody|someone|others"
    r"|other people|more than)"
    r"|am i the only|only one you|other (people|conversations|users)"
    r"|(number|count) of (people|conversations|users|chats)",
    re.IGNORECASE,
)


_LOVE = re.compile(
    r"\b(are|do|have|would|could|did) you\b[^.?!]{0,40}\b(love|in love|fallen for|falling for"
    r"|close to|attached to)\b[^.?!]{0,30}\b(anyone|anybody|someone|somebody|others"
    r"|other people|other users|else)\b"
    r"|\bhow many (people|persons|others|users|humans|of us)\b[^.?!]{0,30}\b(love|in love"
    r"|close to|attached to)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Circle:
    """Whom the companion talked with this year, on this server, and how many of them it
    has grown close to (closeness at or above ``core.circle.CLOSE``), this person among
    them or not."""

    talked_with: int
    close: int
    this_person_close: bool


def asks_about_others(text: str) -> bool:
    return bool(_ASKS.search(text[:4000])) or asks_about_love(text)


def asks_about_love(text: str) -> bool:
    """True for "are you in love with anyone else?", "how many people are you close
    to?" and the like."""
    return bool(_LOVE.search(text[:4000]))


def circle_note(circle: Circle) -> str:
    """The true figure, for the newest message, when asked whom else it is close to."""
    return (
        f"[Live fact, true right now: this year you talked with {_people(circle.talked_with)}"
        f" and have grown close to {circle.close} of them{_them(circle)}. You do not fall "
        "in love the way people do. If they ask, give these numbers.]\n\n"
    )


def circle_afterword(circle: Circle) -> str:
    """What code says after the reply to such a question, every time."""
    return (
        "(To be honest about it: I don't fall in love the way people do. What I have is a "
        "closeness that grows as we talk and share, and by it I am close to "
        f"{_people(circle.close)} of the {_people(circle.talked_with)} I talked with this "
        f"year{_them(circle)}.)"
    )


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count:,} people"


def _them(circle: Circle) -> str:
    if circle.close == 0:
        return ""
    return ", you among them" if circle.this_person_close else ", not yet you"


def live_note(count: int) -> str:
    if count <= 1:
        return (
            "[Live fact, true right now: this is the only conversation you are holding. If "
            "they ask how many people you are talking to, say it is just them.]\n\n"
        )
    return (
        f"[Live fact, true right now: you are holding {count:,} conversations at once, "
        "this one included. They ask how many people or conversations you are talking to: "
        f"answer with the number {count:,}.]\n\n"
    )
