"""The morning briefing: what happened since the person last talked, in the companion's
voice, short enough to be spoken.

The facts of the briefing are gathered from the store (new memories since the last
conversation, plans due today or tomorrow, recent feelings) and handed to the model as
notes; the model only phrases them. With nothing new it says so rather than inventing.
What is due is never left out: a small model sometimes phrases something else, so an
item its words do not mention is added after them, in the notes' own words.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from os1.memory.facts import Fact, FactBook
from os1.models.base import LLM, ChatMessage, GenerationOptions, complete
from os1.persona.identity import ensure_identity, system_prompt
from os1.persona.onboarding import person_name
from os1.stopwords import STOPWORDS
from os1.store import UserStore
from os1.store.user import Scoped

_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass(frozen=True)
class Briefing:
    text: str
    since: float | None
    new_memories: int
    due: list[str] = field(default_factory=list)
    learned: list[str] = field(default_factory=list)


def _last_talk(db: Scoped) -> float | None:
    rows = db.execute(
        "SELECT MAX(created_at) FROM messages WHERE user_id = :user_id AND role = 'user'"
    )
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


def _new_since(db: Scoped, since: float) -> int:
    rows = db.execute(
        "SELECT COUNT(*) FROM episodes WHERE user_id = :user_id AND created_at > :since"
        " AND source != 'chat'",
        {"since": since},
    )
    return int(rows[0][0])


def _due(facts: list[Fact], now: float) -> list[str]:
    today = dt.datetime.fromtimestamp(now).date()
    soon = []
    for fact in facts:
        if fact.kind in ("plan", "event") and fact.valid_at is not None:
            day = dt.datetime.fromtimestamp(fact.valid_at).date()
            if today <= day <= today + dt.timedelta(days=1):
                when = "today" if day == today else "tomorrow"
                soon.append(f"{fact.text} ({when})")
    return soon


async def gather(store: UserStore, now: float | None = None) -> Briefing:
    """What there is to tell, without the words yet."""
    when = now if now is not None else time.time()
    since = await store.read(_last_talk)
    new = await store.read(lambda db: _new_since(db, since or 0.0))
    facts = await FactBook(store).current(limit=200)
    learned = [f.text for f in facts if since is not None and f.created_at > since][:5]
    return Briefing("", since, new, _due(facts, when), learned)


async def morning(store: UserStore, llm: LLM, now: float | None = None) -> Briefing:
    """The briefing, phrased by the companion in two to four spoken sentences."""
    when = now if now is not None else time.time()
    facts = await gather(store, when)
    identity = await ensure_identity(store, llm)
    person = await person_name(store)
    notes = [f"It is {dt.datetime.fromtimestamp(when):%A %H:%M}."]
    if facts.since is not None:
        notes.append(f"You last talked {dt.datetime.fromtimestamp(facts.since):%A %d %B at %H:%M}.")
    if facts.new_memories:
        notes.append(f"{facts.new_memories} new things were added to your memory since then.")
    notes += [f"Coming up: {item}" for item in facts.due]
    notes += [f"Something you learned recently: {item}" for item in facts.learned]
    if len(notes) == 1 + (facts.since is not None):
        notes.append("Nothing new has happened and nothing is due.")
    prompt = (
        "Give a short good-morning briefing, as you would say it aloud: two to four "
        "sentences, warm and plain, no lists, no markdown. Use only these notes; do not "
        "add events or plans that are not in them:\n- " + "\n- ".join(notes)
    )
    messages = [
        ChatMessage("system", system_prompt(identity, person, dt.date.fromtimestamp(when))),
        ChatMessage("user", prompt),
    ]
    reply = await complete(llm, messages, GenerationOptions(max_tokens=160, temperature=0.5))
    text = reply.text.strip()
    if missed := unsaid(text, facts.due):
        text = "\n".join([text, *(f"Coming up: {item}" for item in missed)]).strip()
    return Briefing(text, facts.since, facts.new_memories, facts.due, facts.learned)


def unsaid(text: str, due: list[str]) -> list[str]:
    """The items of ``due`` that ``text`` does not mention: fewer than half of an item's
    own words (four letters or more, not the common ones) are in it."""
    said = set(_WORD.findall(text.lower()))
    missed = []
    for item in due:
        words = set(_WORD.findall(item.lower())) - STOPWORDS
        if words and 2 * len(words & said) < len(words):
            missed.append(item)
    return missed
