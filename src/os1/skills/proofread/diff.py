"""Showing suggestions as a diff, and applying the ones the person chose.

Two views: inline markup (``[-old-]{+new+}``, the notation of ``git diff --word-diff``)
on the line a suggestion sits in, from a ``Change`` that a door may also colour itself
(the terminal does); and a unified diff of the whole file's changed lines for a plan's
preview.

Applying works from the end of the text backwards, so each replacement leaves the
offsets of the ones before it valid; every suggestion is checked against the text first,
so a stale or overlapping one is refused instead of garbling the person's words.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from os1.skills.proofread.suggestion import Suggestion

CONTEXT = 40  # characters shown either side of a change on a long line


def apply(text: str, suggestions: Iterable[Suggestion]) -> str:
    """``text`` with ``suggestions`` applied.

    Raises:
        ValueError: a suggestion does not fit the text (stale) or two overlap.
    """
    chosen = sorted(suggestions, key=lambda s: s.start)
    for earlier, later in itertools.pairwise(chosen):
        if earlier.overlaps(later):
            raise ValueError(f'two suggestions change "{later.original}" at once')
    out = text
    for s in reversed(chosen):
        if not s.fits(out):
            raise ValueError(f'"{s.original}" is no longer where it was; check the text again')
        out = out[: s.start] + s.replacement + out[s.end :]
    return out


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    right = len(text) if right < 0 else right
    if right > left and text[right - 1] == "\r":
        right -= 1
    return left, right


def line_number(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _visible(snippet: str) -> str:
    """White space a reader could not see otherwise: a change of spacing shows as "␣"."""
    return snippet.replace(" ", "␣") if not snippet.strip() else snippet


def context(text: str, s: Suggestion) -> tuple[str, str]:
    """The text just before and after ``s`` on its line, shortened on long lines."""
    left, right = _line_bounds(text, s.start, s.end)
    before, after = text[left : s.start], text[s.end : right]
    if len(before) > CONTEXT:
        before = "…" + before[-CONTEXT:].lstrip()
    if len(after) > CONTEXT:
        after = after[:CONTEXT].rstrip() + "…"
    return before, after


@dataclass(frozen=True)
class Change:
    """One suggestion in its line as a reader sees it: the words around it, and the old
    and new words with any white space they change made visible."""

    before: str
    old: str
    new: str
    after: str

    def inline(self) -> str:
        """As plain markup: ``I [-recieve-]{+receive+} it``."""
        old = f"[-{self.old}-]" if self.old else ""
        new = f"{{+{self.new}+}}" if self.new else ""
        return f"{self.before}{old}{new}{self.after}"


def change(text: str, s: Suggestion) -> Change:
    """``s`` in its line of ``text``, shortened on long lines."""
    before, after = context(text, s)
    return Change(before, _visible(s.original), _visible(s.replacement), after)


def inline(text: str, s: Suggestion) -> str:
    """``s`` in its line as plain markup: ``I [-recieve-]{+receive+} it``."""
    return change(text, s).inline()


def listing(text: str, suggestions: Sequence[Suggestion]) -> str:
    """Numbered suggestions, one per line with where and why (for chat and previews)."""
    return "\n".join(
        f"{n}. line {line_number(text, s.start)}: {inline(text, s)} ({s.kind}: {s.reason})"
        for n, s in enumerate(suggestions, 1)
    )


def unified(text: str, corrected: str, name: str = "text") -> str:
    """The changed lines as a unified diff (``--- name`` / ``+++ name (proofread)``)."""
    lines = difflib.unified_diff(
        text.splitlines(),
        corrected.splitlines(),
        fromfile=name,
        tofile=f"{name} (proofread)",
        lineterm="",
        n=1,
    )
    return "\n".join(lines)
