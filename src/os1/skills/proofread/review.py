"""The review of a text: every checker's suggestions, merged into one ``Review``
(``suggestion`` holds what one suggestion is and how overlapping ones are merged).

Three sources, cheapest first: rule checks (doubled words, a/an, spacing, common
confusions, sentence case), the dictionary, and optionally the language model for
grammar and style. Nothing here changes the text; applying is ``diff.apply``, and only
the suggestions the person accepted. The rule checks and the dictionary run in the
parsing pool, a separate process: over a file of up to 1 MB they are seconds of CPU,
which in a thread would hold the GIL that the server answering everyone needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from os1.models.base import LLM
from os1.parsing_pool import parse_bulk
from os1.skills.proofread.model import ProgressFn, model_suggestions
from os1.skills.proofread.rules import CAPITAL_REASON, rule_suggestions
from os1.skills.proofread.spelling import spelling_suggestions
from os1.skills.proofread.suggestion import (
    Kind,
    Source,
    Suggestion,
    merge,
    outside,
    protected_spans,
)

__all__ = ["Kind", "Review", "Source", "Suggestion", "review"]


@dataclass(frozen=True)
class Review:
    """The suggestions for one text, in order and not overlapping, and what went wrong
    along the way (a model that could not be reached, a chunk it failed on)."""

    suggestions: list[Suggestion]
    problems: list[str] = field(default_factory=list)


def _fold_capitals(found: list[Suggestion]) -> list[Suggestion]:
    """A fix to the first word of a sentence that also lacks its capital becomes one
    suggestion doing both ("teh" -> "The", "its a" -> "It's a"), instead of two
    overlapping ones of which only one could be taken."""
    capitals = {s.start: s for s in found if s.reason == CAPITAL_REASON}
    out: list[Suggestion] = []
    for s in found:
        if s.reason == CAPITAL_REASON:
            continue
        if capitals.pop(s.start, None) is not None:
            fixed = s.replacement[:1].upper() + s.replacement[1:]
            s = replace(s, replacement=fixed, reason=f"{s.reason}; a capital to start")
        out.append(s)
    return out + list(capitals.values())


def cheap_suggestions(text: str) -> list[Suggestion]:
    """The rule checks' and the dictionary's suggestions for ``text``, merged."""
    protected = protected_spans(text)
    rules = outside(protected, rule_suggestions(text))
    return merge(_fold_capitals(rules + spelling_suggestions(text, protected)))


def _budget(text: str) -> float:
    """Seconds the cheap checks may take: many times the 2 s per MB they take here."""
    return 30.0 + 20.0 * len(text) / 1_000_000


async def review(text: str, llm: LLM | None = None, progress: ProgressFn | None = None) -> Review:
    """Every suggestion for ``text``; with ``llm``, the model's verified ones too.

    Args:
        text: what to proofread (never changed here).
        llm: the language model for grammar and style, or None for the cheap checks only.
        progress: called with (chunks done, chunks) while the model reads.
    """
    # in the pool: the first call there loads the word list, long texts take a while
    cheap = await parse_bulk(_budget(text), cheap_suggestions, text)
    if llm is None:
        return Review(cheap)
    found, problems = await model_suggestions(llm, text, progress)
    return Review(merge(_in_context(cheap, found), outside(protected_spans(text), found)), problems)


def _in_context(cheap: list[Suggestion], model: list[Suggestion]) -> list[Suggestion]:
    """Where the model fixes exactly a word the dictionary does not know, the model's fix
    is taken: it read the sentence ("buyed" -> "bought", not the nearest word "buyer")."""
    by_span = {(s.start, s.end): s for s in model}
    out: list[Suggestion] = []
    for s in cheap:
        better = by_span.get((s.start, s.end))
        if s.source == "dictionary" and better is not None:
            s = replace(better, reason=f"{s.reason.split(' (or:')[0]}; {better.reason}")
        out.append(s)
    return out
