"""Fact extraction on the real embedded model: a realistic chat in, durable facts out,
each tied to the message it came from, with "next Monday" dated from that message."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from os1.memory.crosscheck import whose
from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.memory.extract import build_messages, extract_facts
from os1.memory.facts import FactBook, NewFact
from os1.models.local_gguf import LocalGGUF
from os1.store import Database

pytestmark = pytest.mark.real_model

EVENING = dt.datetime(2026, 3, 3, 18, 0).timestamp()  # Tuesday 3 March 2026
CHAT = [
    ("user", "Hi! Long day today."),
    ("assistant", "Hello Maya! What made it long?"),
    ("user", "I was on the phone with my sister Ottoline for an hour. She lives in Lisbon now."),
    ("assistant", "That sounds lovely. How is she finding Lisbon?"),
    ("user", "She loves it. Big news from me though: I start a new job at a bakery next Monday!"),
    ("assistant", "Congratulations! How do you feel about it?"),
    ("user", "Honestly I'm nervous about the new job. Also the owner has two cats and I'm"
             " allergic to cats."),
]  # fmt: skip


def about(fact: NewFact) -> str:
    return f"{fact.subject} {fact.attribute} {fact.value} {fact.text}".lower()


async def test_a_chat_yields_facts_with_their_sources(tmp_path: Path, real_llm: LocalGGUF) -> None:
    db = await Database.open(tmp_path / "os1.db")
    store = await db.user("maya")
    log = EpisodeLog(store)
    ids = [
        await log.add(NewEpisode(who, text, time=EVENING + 60 * n))
        for n, (who, text) in enumerate(CHAT)
    ]
    episodes = await log.get(ids)

    started = time.perf_counter()
    facts = await extract_facts(real_llm, episodes, "Maya")
    took = time.perf_counter() - started
    print(f"\nextracted in {took:.1f} s:")
    for f in facts:
        print(f"  {f.episode_ids} {f.kind} {f.subject}.{f.attribute} = {f.value!r} | {f.text}")

    def found(line: int, *words: str) -> list[NewFact]:
        """Facts citing CHAT line ``line`` (from 1) that mention any of ``words``."""
        return [
            f for f in facts if ids[line - 1] in f.episode_ids and any(w in about(f) for w in words)
        ]

    wanted = {
        "Ottoline lives in Lisbon": found(3, "lisbon"),
        "a new job at a bakery": found(5, "bakery", "job"),
        "allergic to cats": found(7, "allerg"),
        "nervous about the job": found(7, "nervous", "anxious", "worried"),
    }
    hits = [name for name, matches in wanted.items() if matches]
    assert len(hits) >= 3, f"only {hits} in {facts}"

    plans = wanted["a new job at a bakery"]
    assert plans, "the new job was not found"
    monday = dt.datetime(2026, 3, 9).timestamp()
    assert any(p.valid_at is not None and monday <= p.valid_at < monday + 7 * 86400 for p in plans)

    stored = await FactBook(store).add(facts)
    assert len(stored) == len(facts)
    await db.aclose()


@pytest.mark.parametrize(
    ("line", "subject", "slot", "value", "owner"),
    [
        ("Long shift last night, three admissions in a row.", "user", "job", "long shift", None),
        ("I'm a nurse on the night shift, so I sleep in the mornings.", "user", "job", "nurse",
         "user"),
        ("Right, school run, bye!", "user", "works_at", "school", None),
        ("I used to be an accountant but now I'm a full-time carer for my dad.", "user", "job",
         "accountant", None),
        ("I used to be an accountant but now I'm a full-time carer for my dad.", "user", "job",
         "carer", "user"),
        ("Rohan broke his wrist at football, poor kid", "Rohan", "works_at", "football", None),
        ("We finally moved to Edinburgh last weekend, boxes everywhere", "user", "lives_in",
         "Edinburgh", "user"),
        ("There's my son Callum up in Aberdeen and my pal Jimmy.", "user", "lives_in",
         "Aberdeen", "Callum"),
        ("There's my son Callum up in Aberdeen and my pal Jimmy.", "Callum", "lives_in",
         "Aberdeen", "Callum"),
    ],
)  # fmt: skip
async def test_a_slot_that_would_replace_a_known_value_is_asked_of_its_line(
    real_llm: LocalGGUF, line: str, subject: str, slot: str, value: str, owner: str | None
) -> None:
    """A night's shift must not replace the person's job: the line is asked the slot's
    question ("What work does Theo do for a living now?") and the value must be its answer,
    so the job a line says was given up does not come back. Nor is his son's town his
    home: asked who lives there, the line names Callum."""
    filed = NewFact("person", subject, slot, value, f"{subject} {slot} {value}")
    system = build_messages([], "Theo")[0]
    assert await whose(real_llm, system, filed, line, "Theo") == owner
