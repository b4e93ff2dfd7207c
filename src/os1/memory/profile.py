"""The person's living profile: current facts sorted into a few short sections.

Rebuilt from the fact book whenever it is needed; no model call, so it is cheap, exact
and always agrees with what ``os1 memory`` lists. Every line keeps its fact id and the
episodes behind it, so the companion can show why it believes something.

Sorting rules, first match wins: facts about someone else go under ``people`` (as do the
person's own relation facts such as ``sister_name = Ottoline``, under that name); then the
attribute's words decide likes and dislikes (``likes``, ``hates``, ``allergic_to``), then
the kind (plan, routine, feeling, event); whatever is left says who the person is.
Feelings (theirs and others') count only while recent (``RECENT_DAYS``), events are the
latest few.

``to_prompt`` is deterministic (fixed section order, facts in id order) so the system
prompt only changes when the facts do, which keeps the model's prompt cache warm. Dates
are printed resolved ("starts_job ... (2026-03-09)"): a fact's words may say "next
Monday", which is only true in the message it came from.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from os1.memory.facts import Fact, FactBook, slot_name
from os1.store import UserStore

RECENT_DAYS = 30
MAX_FACTS = 500
LIKE_WORDS = frozenset(
    {"like", "likes", "love", "loves", "enjoy", "enjoys", "favorite", "favourite", "hobby",
     "hobbies", "interest", "interests", "fan"}
)  # fmt: skip
DISLIKE_WORDS = frozenset(
    {"dislike", "dislikes", "hate", "hates", "allergic", "allergy", "allergies", "avoids",
     "fear", "fears", "afraid", "intolerant"}
)  # fmt: skip
GOAL_WORDS = frozenset({"goal", "goals", "plan", "plans", "wants", "dream", "hopes", "wish"})
SECTIONS = (  # (field, heading, most lines shown in the prompt)
    ("who", "Who they are", 8),
    ("people", "People in their life", 10),
    ("likes", "Likes", 6),
    ("dislikes", "Dislikes and allergies", 6),
    ("plans", "Goals and plans", 5),
    ("routines", "Routines", 4),
    ("feelings", "Lately they feel", 4),
    ("events", "Recent events", 4),
)


@dataclass(frozen=True)
class ProfileLine:
    fact_id: int
    text: str
    source_episode_ids: tuple[int, ...]
    valid_at: float | None = None

    def render(self) -> str:
        if self.valid_at is None:
            return self.text
        return f"{self.text} ({dt.datetime.fromtimestamp(self.valid_at):%Y-%m-%d})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact_id": self.fact_id,
            "text": self.text,
            "source_episode_ids": list(self.source_episode_ids),
            "valid_at": self.valid_at,
        }


@dataclass
class Profile:
    """What the companion knows of the person now, by section; ``people`` by name."""

    who: list[ProfileLine] = field(default_factory=list)
    people: dict[str, list[ProfileLine]] = field(default_factory=dict)
    likes: list[ProfileLine] = field(default_factory=list)
    dislikes: list[ProfileLine] = field(default_factory=list)
    plans: list[ProfileLine] = field(default_factory=list)
    routines: list[ProfileLine] = field(default_factory=list)
    feelings: list[ProfileLine] = field(default_factory=list)
    events: list[ProfileLine] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name, _, _ in SECTIONS)

    def to_prompt(self, max_chars: int = 1200) -> str:
        """Compact, stable text for the system prompt; ``""`` when nothing is known.

        Each section shows its newest few facts (in id order); if the whole still exceeds
        ``max_chars``, whole lines are dropped from the end, never cut mid-sentence.
        """
        out: list[str] = []
        for name, heading, most in SECTIONS:
            if name == "people":
                lines = [
                    f"- {who}: " + " ".join(line.render() for line in _newest(facts, 4))
                    for who, facts in sorted(self.people.items(), key=_first_id)[-most:]
                ]
            else:
                lines = [f"- {line.render()}" for line in _newest(getattr(self, name), most)]
            if lines:
                out += [f"{heading}:", *lines]
        while out and len("\n".join(out)) > max_chars:
            out.pop()
            if out and not out[-1].startswith("- "):
                out.pop()  # a heading left without lines
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """Every section with every line, fact ids and sources included (for ``--json``)."""
        data: dict[str, Any] = {}
        for name, _, _ in SECTIONS:
            if name == "people":
                data[name] = {
                    who: [line.to_dict() for line in lines] for who, lines in self.people.items()
                }
            else:
                data[name] = [line.to_dict() for line in getattr(self, name)]
        return data


def _newest(lines: list[ProfileLine], most: int) -> list[ProfileLine]:
    """The ``most`` newest lines, oldest first."""
    return sorted(lines, key=lambda line: line.fact_id)[-most:]


def _first_id(item: tuple[str, list[ProfileLine]]) -> int:
    return min(line.fact_id for line in item[1])


def _words(*texts: str) -> set[str]:
    return {word for text in texts for word in slot_name(text).split("_")}


def _section(fact: Fact) -> str:
    """Where a fact about the person belongs (see the module docstring)."""
    words = _words(fact.attribute)
    if words & DISLIKE_WORDS:
        return "dislikes"
    if words & LIKE_WORDS:
        return "likes"
    if fact.kind == "preference":
        return "dislikes" if _words(fact.value, fact.text) & DISLIKE_WORDS else "likes"
    if fact.kind == "plan" or words & GOAL_WORDS:
        return "plans"
    if fact.kind in ("routine", "feeling"):
        return fact.kind + "s"
    if fact.kind == "event":
        return "events"
    return "who"


def _line(fact: Fact) -> ProfileLine:
    dated = fact.valid_at if fact.kind in ("plan", "event", "feeling") else None
    return ProfileLine(fact.id, fact.text, fact.source_episode_ids, dated)


def _when(fact: Fact) -> float:
    return fact.valid_at if fact.valid_at is not None else fact.created_at


def sort_facts(
    facts: Iterable[Fact], now: float | None = None, person: str | None = None
) -> Profile:
    """Sort current facts into a profile; feelings older than ``RECENT_DAYS`` are left out.

    Facts whose subject is the person's own name (written before the name was known)
    count as facts about the person.
    """
    since = (time.time() if now is None else now) - RECENT_DAYS * 86400
    selves = {"user", *([person.lower()] if person else [])}
    profile = Profile()
    for fact in sorted(facts, key=lambda f: f.id):
        if fact.superseded_by is not None or (fact.kind == "feeling" and _when(fact) < since):
            continue
        if fact.subject.lower() not in selves:
            profile.people.setdefault(fact.subject, []).append(_line(fact))
        elif fact.kind == "relation" and fact.attribute.endswith("_name"):
            profile.people.setdefault(fact.value, []).append(_line(fact))
        else:
            getattr(profile, _section(fact)).append(_line(fact))
    return profile


async def build_profile(
    store: UserStore, now: float | None = None, person: str | None = None
) -> Profile:
    """The person's profile from their current facts.

    Args:
        store: the person's store.
        now: the time "recent" is measured from (defaults to the clock; tests pin it).
        person: the name the person goes by, if known.
    """
    return sort_facts(await FactBook(store).current(MAX_FACTS), now, person)
