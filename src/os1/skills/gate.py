"""Which messages are worth asking the model about tools at all.

Choosing a tool is a model call before the reply can start: on a laptop CPU half a
second to a second, which a spoken reply cannot afford on every turn. Most of what a
person says to a companion is conversation ("I slept badly", "how are you?"), and a
request for a task almost always says what it is about or is phrased as a request. So a
message goes to the tool choice only if it holds one of those words: a request form
("can you", "please"), or a word a tool names as a hint of a request for it (its
``hints`` and ``cues``; for a plugin that names no hints, the words of its name and
summary). Everything else is answered at once.

The gate only ever lets more through than the model would choose: a message it passes
still goes to the model, which may say "chat". Its cost is a regex search. (The idea of
a cheap keyword stage in front of the model is Home Assistant's: sentence triggers are
matched before any LLM is asked.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from os1.skills.base import Tool

# Ways of asking for something, whatever the task.
REQUEST_FORMS = (
    *("please", "can you", "could you", "would you", "will you", "can u", "pls"),
    *("help me", "i need you", "i want you", "i'd like you", "for me", "let's", "lets"),
    *("go ahead", "make sure", "don't let me", "do it", "do that", "yes do", "i'd like to"),
)
# Words too common to hint at any one task, when a summary stands in for hints.
# fmt: off
_COMMON = frozenset((
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for",
    "from", "with", "into", "about", "as", "is", "are", "be", "it", "its", "this", "that",
    "these", "those", "what", "which", "who", "how", "when", "where", "why", "not", "no",
    "any", "all", "some", "more", "most", "other", "such", "only", "own", "same", "so",
    "than", "too", "very", "can", "will", "just", "one", "two", "person's", "them",
    "they", "their", "there", "you", "your", "yours", "me", "my", "mine", "we", "our",
    "us", "he", "she", "his", "her",
))
# fmt: on
_WORD = re.compile(r"[a-z][a-z'’]{2,}")


def tool_hints(tool: Tool) -> list[str]:
    """The words and phrases that suggest a request for ``tool``."""
    named = [*getattr(tool, "hints", ()), *getattr(tool, "cues", ())]
    if not getattr(tool, "hints", ()):
        named += [part for part in tool.name.lower().split("_") if len(part) > 2]
        named += [w for w in _WORD.findall(tool.summary.lower()) if w not in _COMMON]
    # kept as written: a trailing space ("add ") asks for the whole word
    return [hint.lower() for hint in named if hint.strip()]


def _matcher(phrases: Iterable[str]) -> re.Pattern[str]:
    # A word matches where a word begins ("remind" in "reminder", "file" in "files"),
    # never inside one ("ask" in "task"); a mark ("@", ".ics") matches anywhere.
    alternatives = "|".join(
        rf"(?<!\w){re.escape(p)}" if p[0].isalnum() else re.escape(p)
        for p in sorted(set(phrases), key=len, reverse=True)
    )
    return re.compile(alternatives or r"(?!)", re.IGNORECASE)


class RequestGate:
    """Says whether a message could ask for one of ``tools``, and for which."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        listed = list(tools)
        self._forms = _matcher(REQUEST_FORMS)
        self._by_tool = {tool.name: _matcher(tool_hints(tool)) for tool in listed}
        self._pattern = _matcher([*REQUEST_FORMS, *(h for t in listed for h in tool_hints(t))])

    def might_ask(self, message: str) -> bool:
        return bool(self._pattern.search(message.replace("’", "'")))

    def hinted(self, message: str) -> set[str] | None:
        """The tools whose words ``message`` holds; None when it is phrased as a request
        ("can you…"), which may ask for any of them. The model's choice stands only
        within these: "Answer in one short sentence" passes the gate on the mail tools'
        "answer" and must not come back as a calendar entry."""
        text = message.replace("’", "'")
        if self._forms.search(text):
            return None
        return {name for name, pattern in self._by_tool.items() if pattern.search(text)}
