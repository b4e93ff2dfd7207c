"""A letter drafted from what the person's memory holds, for every way of asking for one
(``os1 letters write``, the web page, REST, MCP, and "write a letter to…" in a chat).

Drafting only reads: it recalls the memories about the recipient and what the letter
should carry, learns the sender's style, and has the model write. Keeping the draft is
the caller's step (the core keeps it at once when asked through a letters door; in a
chat it is a proposal, kept only once confirmed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Sequence
from pathlib import Path

from os1.errors import LetterError, Os1Error
from os1.models.base import LLM
from os1.skills.base import MemoryAccess, Recalled
from os1.skills.letters.compose import LetterDraft, Source, check_request, compose
from os1.skills.letters.style import StyleProfile, read_samples, style_from
from os1.skills.mail import query as mail_query
from os1.store import UserStore

log = logging.getLogger(__name__)
RECALLED = 8  # memories the model is shown for a new letter


def as_source(hit: Recalled) -> Source:
    """A recalled memory as the letter shows it: ``e12``/``f3``, its words and day."""
    day = dt.datetime.fromtimestamp(hit.time).strftime("%-d %B %Y")
    return Source(f"{str(hit.kind)[0]}{hit.id}", hit.text, day)


def mentions(name: str, text: str) -> bool:
    """Whether ``text`` names ``name``: each of its words (of two letters or more)."""
    words = [w for w in re.findall(r"\w+", name.lower()) if len(w) > 1]
    said = set(re.findall(r"\w+", text.lower()))
    return bool(words) and all(w in said for w in words)


async def recall(
    memory: MemoryAccess | None, store: UserStore, query: str, k: int
) -> Sequence[Recalled]:
    """What memory finds for ``query`` (nothing when memory is switched off)."""
    return await memory.search(store, query, k=k) if memory else []


async def sender_style(store: UserStore, paths: Sequence[Path] = ()) -> StyleProfile | None:
    """The sender's style: from the files given, else from the mail they sent."""
    if paths:
        return await asyncio.to_thread(lambda: style_from(read_samples(list(paths))))
    try:
        sent = await mail_query.sent(store, 300)
    except Os1Error as exc:  # no mail connected yet: no style to learn from it
        log.debug("letters: no sent mail to learn the style from (%s)", exc)
        return None
    return await asyncio.to_thread(style_from, [m.body for m in sent]) if sent else None


async def draft_letter(
    store: UserStore,
    memory: MemoryAccess | None,
    llm: LLM,
    *,
    sender: str,
    to: str,
    about: str,
    who: str = "",
    style_paths: Sequence[Path] = (),
    k: int = RECALLED,
    seed: int | None = None,
) -> LetterDraft:
    """A letter from ``sender`` to ``to`` carrying ``about``, drafted by ``llm`` from the
    memories recall finds, each one it draws on cited. Nothing is kept.

    Raises:
        LetterError: nothing to write, or nobody by that name in the memories and no
            ``who`` to say who they are (os1 asks rather than guess).
    """
    recipient, wants = check_request(to, about)
    hits = await recall(memory, store, f"{recipient} {wants}", k)
    if not who and not any(mentions(recipient, h.text) for h in hits):
        raise LetterError(
            "letter_recipient_unknown",
            f"I don't know who {recipient} is yet.",
            f'Say who they are to you ("my grandmother"), or tell me about {recipient} in a'
            " chat first.",
        )
    style = await sender_style(store, style_paths)
    return await compose(
        llm, sender=sender, recipient=recipient, who=who, about=wants,
        sources=[as_source(h) for h in hits], style=style, seed=seed,
    )  # fmt: skip
