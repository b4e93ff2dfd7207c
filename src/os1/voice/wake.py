"""The wake phrase: in always-listening mode, only speech addressed to the companion counts.

With the wake phrase on, a turn is answered only when it begins with the companion's name,
alone or after a greeting ("Hey Nova, what's on tomorrow?", "Nova, are you there?"), or
when it follows a reply within a short while, as a conversation's next line does. Speech
that is not addressed to the companion (the radio, a call, people in the room) is
dropped where it was heard: not answered, not kept, not remembered.

The name is found in the transcript, not in the audio: Whisper hears the phrase as
words anyway, so any name the companion chose works with no model trained for it. A
name can come back spelled another way ("Nora" for "Nova" at times), so the match is
close rather than exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

GREETINGS = frozenset(("hey", "hi", "hello", "ok", "okay", "oi", "yo", "hiya", "ahoy"))
FOLLOW_UP_SECONDS = 8.0  # after a reply, the next line needs no wake phrase
_CLOSE_ENOUGH = 0.75  # how alike a heard word must be to the name
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_LEAD = re.compile(r"^[\s,.!?;:—–-]+")


@dataclass(frozen=True)
class Addressed:
    """A turn spoken to the companion; ``rest`` is what follows the wake phrase."""

    rest: str


def _alike(heard: str, name: str) -> bool:
    if len(name) <= 3:  # "Al" must not answer to "all"
        return heard == name
    return SequenceMatcher(None, heard, name).ratio() >= _CLOSE_ENOUGH


class WakePhrase:
    """Args:
    name: the companion's name (its first word is the one listened for).
    follow_up_s: how long after a reply the next line is answered without the name.
    """

    def __init__(self, name: str, follow_up_s: float = FOLLOW_UP_SECONDS) -> None:
        words = _WORD.findall(name.lower())
        if not words:
            raise ValueError("the wake phrase needs a name with letters in it")
        self.name = words[0]
        self.follow_up_s = follow_up_s
        self._awake_until = float("-inf")

    @property
    def phrase(self) -> str:
        return f"Hey {self.name.capitalize()}"

    def stay_awake(self, now: float) -> None:
        """The companion just spoke (or was called): the next line needs no name."""
        self._awake_until = now + self.follow_up_s

    def addressed(self, text: str, now: float) -> Addressed | None:
        """Whether ``text``, heard at ``now``, is for the companion, and what it asks."""
        found = self._after_name(text)
        if found is not None:
            return Addressed(found)
        if now <= self._awake_until:
            return Addressed(text.strip())
        return None

    def _after_name(self, text: str) -> str | None:
        """The words after a wake phrase at the start of ``text``, or None without one."""
        matches = list(_WORD.finditer(text))[:3]
        lowered = [m.group().lower() for m in matches]
        for index, word in enumerate(lowered):
            if _alike(word, self.name) and all(w in GREETINGS for w in lowered[:index]):
                return _LEAD.sub("", text[matches[index].end() :])
            if word not in GREETINGS:
                return None
        return None
