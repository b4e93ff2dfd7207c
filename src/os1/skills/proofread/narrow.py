"""Narrowing a model's sentence-sized fix to the words it actually changes.

The small model likes to answer with a whole sentence as ``original`` and the corrected
sentence as ``replacement``. Shown as is, the person would have to spot the difference
themselves, and one accepted sentence would take every change in it at once. So the two
are compared word by word (difflib's matcher over words, spaces and punctuation) and each
changed run becomes its own suggestion: "[-your-]{+you are+}", "[-buyed-]{+bought+}".
A change in spacing alone is not kept: it comes from the model copying loosely. Words
that swap places nearby ("Me and Tom" -> "Tom and I") make two runs depend on each
other, so those stay one suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

MOVE_GAP = 4  # tokens between two runs that may be one reordering ("Me and Tom")
_TOKEN = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _key(token: str) -> str:
    return " " if token.isspace() else token


def narrow(original: str, replacement: str) -> Iterator[tuple[int, int, str]]:
    """Each changed run as (start, end) in ``original`` and its new text."""
    old, new = _tokens(original), _tokens(replacement)
    if "".join(old) != original or "".join(new) != replacement:
        yield 0, len(original), replacement  # odd characters: keep it whole
        return
    starts = [0]
    for token in old:
        starts.append(starts[-1] + len(token))
    matcher = difflib.SequenceMatcher(None, [_key(t) for t in old], [_key(t) for t in new])
    runs: list[tuple[int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # an insertion: take the next word along (the one before at the end)
            if i2 < len(old):
                i2, j2 = i2 + 1, j2 + 1
            elif i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            else:
                continue
        if not all(t.isspace() for t in old[i1:i2] + new[j1:j2]):
            runs.append((i1, i2, j1, j2))
    for i1, i2, j1, j2 in _join_moves(old, new, runs):
        yield starts[i1], starts[i2], "".join(new[j1:j2])


def _words(tokens: list[str]) -> set[str]:
    return {t.lower() for t in tokens if t.strip()}


def _join_moves(
    old: list[str], new: list[str], runs: list[tuple[int, int, int, int]]
) -> list[tuple[int, int, int, int]]:
    """Neighbouring runs (a word or so apart) joined into one where a word taken out by
    one is put in by the other: a reordering, which makes sense only taken whole."""
    joined: list[tuple[int, int, int, int]] = []
    for run in runs:
        if joined:
            a1, a2, b1, b2 = joined[-1]
            i1, i2, j1, j2 = run
            near = i1 - a2 <= MOVE_GAP
            moved = _words(old[a1:a2]) & _words(new[j1:j2]) or (
                _words(old[i1:i2]) & _words(new[b1:b2])
            )
            if near and moved:
                joined[-1] = (a1, i2, b1, j2)
                continue
        joined.append(run)
    return joined
