"""Quotations in a text, found as a reader finds them: each mark pairs with the next one,
in order. A pattern that looks for 'a mark, some words, a mark' can pair the closing mark
of one short quotation with the opening mark of the next, and take the words between two
quotations for a quotation (``the "sea" and the "town"``)."""

from __future__ import annotations

import re
from collections.abc import Callable

MARKS = '"“”'  # a small model opens with one and may close with the other
SHORTEST = 12  # characters: a shorter quotation is a word or a name in marks, not a claim
_MARK = re.compile(f"[{MARKS}]")


def spaced(text: str) -> str:
    """``text`` with its runs of space made one, for comparing words, not layout."""
    return " ".join(text.split())


def quotations(text: str) -> list[str]:
    """The words inside each closed quotation of ``text``, short ones too; a last mark
    with no partner opens nothing."""
    parts = _MARK.split(text)
    return parts[1 : len(parts) - 1 : 2]


def unquote_unverified(text: str, verified: Callable[[str], bool]) -> tuple[str, int]:
    """``text`` with the marks taken off every quotation of ``SHORTEST`` characters or
    more that ``verified`` does not find word for word, and how many lost them."""
    out: list[str] = []
    unverified = 0
    at = 0
    marks = [m.start() for m in _MARK.finditer(text)]
    for opening, closing in zip(marks[::2], marks[1::2], strict=False):
        said = text[opening + 1 : closing]
        out.append(text[at:opening])
        if len(spaced(said)) < SHORTEST or verified(said):
            out.append(text[opening : closing + 1])
        else:
            unverified += 1
            out.append(said)
        at = closing + 1
    out.append(text[at:])
    return "".join(out), unverified
