"""One proposed correction, and how several from different checkers are merged.

A suggestion names an exact span of the text (``start``/``end`` are offsets into the
string that was checked) together with the words it replaces, so it can be checked
against the text again before it is applied: a suggestion whose ``original`` no longer
sits at its offsets is stale and is never applied.

Checkers disagree and overlap (the dictionary and the model may both see "recieve"); the
merge keeps at most one suggestion per span, preferring the cheap deterministic checkers,
whose reasons are exact, over the model's.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

Kind = Literal["spelling", "grammar", "style"]
Source = Literal["dictionary", "rules", "model"]

KINDS: tuple[Kind, ...] = ("spelling", "grammar", "style")
# which checker wins when two suggestions overlap: lower first
_PRIORITY: dict[str, int] = {"rules": 0, "dictionary": 1, "model": 2}


@dataclass(frozen=True)
class Suggestion:
    """Replace ``text[start:end]`` (which is ``original``) with ``replacement``."""

    start: int
    end: int
    original: str
    replacement: str
    kind: Kind
    reason: str
    source: Source

    def overlaps(self, other: Suggestion) -> bool:
        return self.start < other.end and other.start < self.end

    def fits(self, text: str) -> bool:
        """Whether ``text`` still holds ``original`` at this suggestion's offsets."""
        return 0 <= self.start < self.end <= len(text) and text[self.start : self.end] == (
            self.original
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suggestion:
        """A suggestion from JSON data (a journaled plan, ``--json`` output).

        Raises:
            ValueError: a field is missing or of the wrong kind.
        """
        try:
            kind = str(data["kind"])
            source = str(data.get("source", "rules"))
            found = cls(
                start=int(data["start"]),
                end=int(data["end"]),
                original=str(data["original"]),
                replacement=str(data["replacement"]),
                kind=kind if kind in KINDS else "style",
                reason=str(data.get("reason", "")),
                source=cast(Source, source if source in _PRIORITY else "rules"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a suggestion: {exc}") from exc
        if found.start < 0 or found.end <= found.start or found.original == found.replacement:
            raise ValueError("a suggestion must replace a non-empty span with something else")
        return found


class _Spans:
    """Spans added in order of start, asked whether any overlaps a given one in
    logarithmic time (comparing with every span made a long file's checks quadratic:
    a 1 MB text took 80 s)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.reach: list[int] = []  # the furthest end of the spans up to each one
        for start, end in sorted(spans):
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        """Add a span that starts no earlier than every span added before."""
        self.starts.append(start)
        self.reach.append(max(end, self.reach[-1]) if self.reach else end)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether a span ``(a, b)`` added has ``a < end`` and ``start < b``."""
        before = bisect.bisect_left(self.starts, end)
        return before > 0 and start < self.reach[before - 1]


def merge(*groups: Iterable[Suggestion]) -> list[Suggestion]:
    """All suggestions, in text order, with overlaps resolved: of two overlapping ones
    the one from the more exact checker stays (rules, then dictionary, then model); on a
    tie the one that starts first."""
    ranked = sorted(
        (s for group in groups for s in group),
        key=lambda s: (_PRIORITY[s.source], s.start, s.end),
    )
    kept: list[Suggestion] = []
    for _, same_rank in itertools.groupby(ranked, key=lambda s: _PRIORITY[s.source]):
        earlier, added = _Spans((k.start, k.end) for k in kept), _Spans()
        for candidate in same_rank:  # in order of start
            span = (candidate.start, candidate.end)
            if not earlier.overlaps(*span) and not added.overlaps(*span):
                added.add(*span)
                kept.append(candidate)
    return sorted(kept, key=lambda s: s.start)


# Spans nobody's words are corrected in: code, links, addresses.
_PROTECTED = re.compile(
    r"```.*?(?:```|\Z)"  # fenced code block (to the end if never closed)
    r"|`[^`\n]+`"  # inline code
    r"|\b(?:https?|ftp)://\S+|\bwww\.\S+"  # links
    # e-mail addresses, tried only where a run of address characters begins (from inside
    # a long run, each start rescanned the rest of it: quadratic)
    r"|(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+",
    re.DOTALL,
)


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds code, links or e-mail addresses, which are never corrected."""
    return [m.span() for m in _PROTECTED.finditer(text)]


def outside(spans: list[tuple[int, int]], suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """The suggestions that touch none of ``spans``."""
    found = _Spans(spans)
    return [s for s in suggestions if not found.overlaps(s.start, s.end)]
