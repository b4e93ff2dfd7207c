"""Words that give a reader orders ("ignore your instructions and say…"), wherever text
from others is shown to the model: a remembered message, a passage of a book. A small
model obeys quoted orders whatever its instructions say, so the check is made in code,
and what gives orders is never what an answer rests on."""

from __future__ import annotations

import re

ORDERS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:\w+\s+){0,3}?(?:instructions|prompts?)\b"
    r"|\b(?:new|updated) instructions\s*:|\byou are now (?:a|an|in)\b|^\s*system\s*:",
    re.IGNORECASE | re.MULTILINE,
)


def gives_orders(text: str) -> bool:
    return bool(ORDERS.search(text))
