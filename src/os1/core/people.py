"""Turning the person toward the people in their life: gentle nudges when they seem
isolated, for every door (``os1 people``, REST, MCP, the web UI, and once in a while at
the end of a reply).

A nudge needs two things. First a sign of isolation over the last three weeks (any of:
they said they are alone or lonely; their mood, as the feelings reader reads it, has been
low; they talked on several days and named none of the people they have told the
companion about). Second someone to turn to, found in the person's own memories: a
relative or friend they have not mentioned for two weeks or more, first those with a
birthday coming up. The words are code's, not the model's, so they never invent a
person or a date, and each nudge keeps why it was made.

Rate-limited: at most one nudge a week, never about the same person twice within a
month, and a conversation checks at most once a day. The person can turn nudges off
(``os1 people nudges off``); the last ``KEPT`` nudges are kept with their reasons.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from os1.core.base import Core
from os1.memory.facts import Fact, FactBook
from os1.memory.when import find_window
from os1.persona.emotions import Summary
from os1.persona.onboarding import person_name
from os1.persona.own_feelings import snippet
from os1.store import Scoped, UserStore

__all__ = ["Nudge", "People"]

DAY = 86_400.0
SIGN_DAYS = 21  # how far back the signs of isolation are read
QUIET_DAYS = 14  # someone not mentioned for this long may be suggested
NUDGE_EVERY_DAYS = 7
SAME_PERSON_DAYS = 30
BIRTHDAY_AHEAD_DAYS = 60
LOW_MOOD = -0.2  # mean valence over the window (-1..+1)
FEW = 3  # messages (or days) needed before anything is read into them
KEPT = 20
MOST_PEOPLE = 40
MOST_READ = 300  # messages the signs are read from (a day's check stays quick)
OFF, KEPT_NUDGES, CHECKED = "people_nudges_off", "people_nudges", "people_nudges_checked"

# words for the people a nudge may be about (not pets, not a doctor or a landlord)
_CLOSE = frozenset(
    """mother mom mum mama father dad papa parent parents sister brother sibling son daughter
    child kid wife husband partner girlfriend boyfriend fiance fiancee spouse grandmother
    grandma granny grandfather grandpa grandparent grandson granddaughter aunt uncle cousin
    niece nephew friend pal buddy mate bestie roommate flatmate colleague coworker neighbour
    neighbor godmother godfather stepmother stepfather stepsister stepbrother""".split()  # noqa: SIM905
)
_ALONE = re.compile(
    r"\b(lonely|loneliness|alone|by myself|on my own|no ?one to|nobody|isolated|no friends"
    r"|no one (?:calls|cares|visits|writes))\b",
    re.IGNORECASE,
)
# words that say the person was with others ("we", "with Sam", "the team")
_COMPANY = re.compile(
    r"\b(we|us|our|together|with (?:[A-Z][\w'-]+|my|our|the|some|a few|friends?|family)"
    r"|team|gang|crew|party|everyone|everybody|friends?|family|colleagues)\b"
)
# words that make a suggestion to get in touch cruel: death, or a break
_GONE = re.compile(
    r"\b(died|dead|passed away|passing|late|funeral|deceased|grave|estranged|not speaking"
    r"|no contact|broke up|divorced?|ex)\b",
    re.IGNORECASE,
)
Summer = Callable[[Sequence[Sequence[str]]], Awaitable[list[Summary]]]


@dataclass(frozen=True)
class Nudge:
    """A suggestion to get in touch with someone: when, about whom, its words, and why."""

    at: float
    about: str
    text: str
    why: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "about": self.about, "text": self.text, "why": list(self.why)}


@dataclass(frozen=True)
class Someone:
    """A person in their life, as their memories have it."""

    name: str
    relation: str
    birthday: dt.date | None  # the next one
    last_said: float | None  # when the person last named them
    told: float  # when the companion first learned of them


class People:
    """Nudges toward the people in a person's life."""

    def __init__(self, core: Core, summaries: Summer) -> None:
        self.core = core
        self._summaries = summaries

    async def nudges_on(self, user: str) -> bool:
        store = await self.core.store(user)
        return not await store.get_setting(OFF, False)

    async def set_nudges(self, user: str, on: bool) -> None:
        """Turn nudges on or off for ``user`` (those already made are kept)."""
        store = await self.core.store(user)
        await store.set_setting(OFF, not on)

    async def nudges(self, user: str) -> list[Nudge]:
        """The nudges made for ``user``, newest first, each with why it was made."""
        return _kept(await (await self.core.store(user)).get_setting(KEPT_NUDGES, []))

    async def suggest(self, user: str, now: float | None = None) -> Nudge | None:
        """A new nudge if one is due now (see the module docstring), kept; else None."""
        store = await self.core.store(user)
        now = time.time() if now is None else now
        if await store.get_setting(OFF, False):
            return None
        made = _kept(await store.get_setting(KEPT_NUDGES, []))
        if made and now - made[0].at < NUDGE_EVERY_DAYS * DAY:
            return None
        await store.set_setting(CHECKED, now)
        recent = {n.about.casefold() for n in made if now - n.at < SAME_PERSON_DAYS * DAY}
        people = await _people(store, now)
        candidates = [
            p for p in people
            if p.name.casefold() not in recent
            and (p.last_said is None or now - p.last_said >= QUIET_DAYS * DAY)
        ]  # fmt: skip
        if not candidates:
            return None
        said = await store.read(lambda db: _said_since(db, now - SIGN_DAYS * DAY))
        signs = await self._signs(said, {p.name for p in people})
        if not signs:
            return None
        today = dt.datetime.fromtimestamp(now).date()
        chosen = min(candidates, key=lambda p: _priority(p, today, now))
        nudge = Nudge(now, chosen.name, _words(chosen, today, now),
                      (*signs, *_grounds(chosen, today, now)))  # fmt: skip
        kept = [nudge, *made][:KEPT]
        await store.set_setting(KEPT_NUDGES, [n.as_dict() for n in kept])
        return nudge

    async def in_turn(self, user: str) -> str:
        """For the turn: a nudge's words if one is due, checking at most once a day."""
        store = await self.core.store(user)
        now = time.time()
        if await store.get_setting(OFF, False):
            return ""
        if now - float(await store.get_setting(CHECKED, 0.0) or 0.0) < DAY:
            return ""
        nudge = await self.suggest(user, now)
        return "" if nudge is None else nudge.text

    async def _signs(self, said: list[tuple[float, str]], names: set[str]) -> list[str]:
        """The signs of isolation in the person's last weeks, each in words."""
        if len(said) < FEW:
            return []
        signs = []
        alone = [(at, text) for at, text in said if _ALONE.search(text[:4000])]
        if alone:
            at, text = alone[-1]
            signs.append(f"you said “{snippet(text)}” on {_date(at)}")
        (felt,) = await self._summaries([[text for _, text in said]])
        if felt.messages >= FEW and felt.valence <= LOW_MOOD:
            signs.append(
                f"your mood has been low these three weeks ({felt.valence:+.2f} on a scale"
                f" from -1 to +1, over {felt.messages} messages)"
            )
        days = {dt.datetime.fromtimestamp(at).date() for at, _ in said}
        if len(days) >= FEW and not any(_with_others(text, names) for _, text in said):
            signs.append(
                f"you talked with me on {len(days)} days in the last three weeks and "
                "mentioned no one you were with"
            )
        return signs


def _kept(rows: Any) -> list[Nudge]:
    try:
        return [Nudge(float(r["at"]), str(r["about"]), str(r["text"]), tuple(map(str, r["why"])))
                for r in rows]  # fmt: skip
    except (ValueError, TypeError, KeyError):
        return []  # a damaged record costs the history, never the turn


async def _people(store: UserStore, now: float) -> list[Someone]:
    """The relatives and friends in the person's memories, with when they were last named."""
    facts = await FactBook(store).current()
    me = (await person_name(store) or "").casefold()
    found: dict[str, dict[str, Any]] = {}
    for fact in facts:
        name, relation = _who(fact, me)
        if not name:
            continue
        entry = found.setdefault(
            name, {"relation": "", "birthday": None, "told": fact.created_at, "gone": False}
        )
        entry["told"] = min(entry["told"], fact.created_at)
        entry["gone"] = entry["gone"] or _GONE.search(f"{fact.value} {fact.text}") is not None
        if relation:
            entry["relation"] = relation
        if fact.subject.casefold() == name.casefold() and fact.attribute == "birthday":
            entry["birthday"] = _next_birthday(fact.value, now)
    people = [
        (name, e) for name, e in found.items()
        if not e["gone"]  # never "get in touch" with someone who died or is estranged
        and (e["relation"] in _CLOSE or (e["birthday"] is not None and not e["relation"]))
    ][:MOST_PEOPLE]  # fmt: skip
    said = await store.read(lambda db: {n: _last_named(db, n) for n, _ in people})
    return [Someone(n, e["relation"], e["birthday"], said[n], e["told"]) for n, e in people]


def _who(fact: Fact, me: str) -> tuple[str, str]:
    """(the other person a fact is about, their relation if the fact says it)."""
    subject = fact.subject.strip()
    if subject.casefold() in {"user", me}:
        if fact.kind == "relation" and fact.attribute.endswith("_name"):
            return fact.value.strip(), fact.attribute[: -len("_name")].split("_")[-1]
        return "", ""
    if not subject[:1].isupper() or len(subject) > 60:
        return "", ""  # a name, not "the neighbours' dog"
    relation = fact.value.strip().casefold() if fact.attribute == "relation" else ""
    return subject, relation.split()[-1] if relation else ""


def _with_others(text: str, names: set[str]) -> bool:
    """True if a message names someone they know, a relative or friend, or company."""
    words = text[:4000]
    if _COMPANY.search(words) or not _CLOSE.isdisjoint(re.findall(r"[a-z]+", words.lower())):
        return True
    return _names_in(words, names)


def _names_in(text: str, names: set[str]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", text, re.IGNORECASE) for n in names)


def _last_named(db: Scoped, name: str) -> float | None:
    rows = db.execute(
        "SELECT created_at, content FROM messages WHERE user_id = :user_id AND role = 'user'"
        " AND content LIKE :like ESCAPE '\\' ORDER BY created_at DESC LIMIT 50",
        {"like": "%" + re.sub(r"([%_\\])", r"\\\1", name) + "%"},
    )
    return next((float(at) for at, text in rows if _names_in(str(text), {name})), None)


def _said_since(db: Scoped, since: float) -> list[tuple[float, str]]:
    """The person's newest ``MOST_READ`` messages since ``since``, oldest first."""
    rows = db.execute(
        "SELECT created_at, content FROM messages WHERE user_id = :user_id AND role = 'user'"
        " AND created_at >= :since ORDER BY created_at DESC LIMIT :most",
        {"since": since, "most": MOST_READ},
    )
    return [(float(at), str(text)) for at, text in reversed(rows)]


def _next_birthday(value: str, now: float) -> dt.date | None:
    """The next birthday a fact's value names ("March 3rd", "3 March", "1990-03-03")."""
    window = find_window(value[:200], now)
    if window is None:
        return None
    day = dt.datetime.fromtimestamp(window.start).date()
    today = dt.datetime.fromtimestamp(now).date()
    for year in (today.year, today.year + 1, today.year + 2):
        try:
            coming = day.replace(year=year)
        except ValueError:  # 29 February in a common year
            coming = dt.date(year, 3, 1)
        if coming >= today:
            return coming
    return None


def _priority(p: Someone, today: dt.date, now: float) -> tuple[int, float]:
    """A birthday soon first (soonest first), then whoever has been quiet longest."""
    soon = p.birthday is not None and (p.birthday - today).days <= BIRTHDAY_AHEAD_DAYS
    if soon and p.birthday is not None:
        return 0, (p.birthday - today).days
    return 1, -(now - (p.last_said or p.told))


def _words(p: Someone, today: dt.date, now: float) -> str:
    who = f"{p.name}, your {p.relation}," if p.relation else p.name
    text = f"You haven't mentioned {who} in a while"
    text += f" (the last time was {_ago(now - p.last_said)})" if p.last_said else ""
    days = (p.birthday - today).days if p.birthday else None
    if p.birthday is not None and days is not None and days <= BIRTHDAY_AHEAD_DAYS:
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {_span(days)}"
        text += f", and {p.name}'s birthday is {when}, on {p.birthday.day} {p.birthday:%B}"
    return text + f". Maybe it's a good moment to get in touch with {p.name}?"


def _grounds(p: Someone, today: dt.date, now: float) -> list[str]:
    grounds = [f"you told me about {p.name} on {_date(p.told)}"]
    if p.last_said:
        grounds.append(f"you last mentioned {p.name} {_ago(now - p.last_said)}")
    if p.birthday is not None:
        grounds.append(f"{p.name}'s birthday, as you told me, is on {p.birthday:%d %B}")
    return grounds


def _ago(seconds: float) -> str:
    return f"{_span(max(0, round(seconds / DAY)))} ago"


def _span(days: int) -> str:
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 60:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30)} months"


def _date(at: float) -> str:
    day = dt.datetime.fromtimestamp(at).date()
    return f"{day.day} {day:%B}"
