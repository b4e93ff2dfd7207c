"""What a door needs to start and stop a turn besides ``Companion.turn`` itself: the
token that stops one mid-reply, the decision on a turn begun tentatively, and the one
rule for a message with nothing in it.

The rule is the pipeline's own (``turn.perceive``), so a door that answers an empty
message up front (the OpenAI API's 400) refuses exactly what the turn would."""

from __future__ import annotations

from os1.models.base import CancelToken
from os1.tentative import Tentative
from os1.turn.perceive import clean_input

__all__ = ["CancelToken", "Tentative", "says_nothing"]


def says_nothing(text: str) -> bool:
    """Whether ``text`` is empty once the turn has cleaned it (whitespace, control
    characters)."""
    return not clean_input(text)
