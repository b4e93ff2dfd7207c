"""A second look at a fact that would replace what was known: the line is asked.

Single-valued slots (job, home, workplace) supersede, so one misfiled value wipes out a
right one: "Long shift last night" filed as ``job = long shift`` replaced "nurse". The
small model that filed the fact agrees with nearly any check put to it as yes or no
(measured on the portrait bench's notes: right on 16 of 28, always "yes"), but it
answers an open question from the line alone well (23 of 28): "What work does Theo do
for a living?" gets "not said". So a fact in such a slot is kept only when the line's
own answer shares a word with the value (an idea like the verification questions of
chain-of-verification, Dhuliawala et al. 2023).

The question goes after the extraction's own system message, so the model's prompt
cache keeps that prefix and only the question is read: about half a second each.
"""

from __future__ import annotations

import re
from typing import Any

from os1.memory.facts import NewFact
from os1.memory.retrieval import STOPWORDS
from os1.models.base import LLM, ChatMessage, GenerationOptions, complete_json

QUESTIONS = {
    "job": "What work does {who} do for a living?",
    "works_at": "Where does {who} work?",
    "lives_in": "Where does {who} live?",
    "studies_at": "Where does {who} study?",
}
NOT_SAID = "not said"
ASK = (
    "Now a different task. Answer one question from this one chat line alone, in a few"
    ' words taken from the line. If the line does not say, answer "{none}".\n\n'
    'Chat line, written by {person}: "{line}"\nQuestion: {question}'
)
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 60}},
    "required": ["answer"],
    "additionalProperties": False,
}


def needs_check(fact: NewFact) -> bool:
    return fact.attribute in QUESTIONS


def words(text: str) -> set[str]:
    """The first four letters of each word that says something, and every number."""
    found = re.findall(r"\d+|[^\W\d_]{3,}", text.lower())
    return {w[:4] for w in found if w not in STOPWORDS}


async def line_says(llm: LLM, system: ChatMessage, fact: NewFact, line: str, person: str) -> bool:
    """True when the line, asked about the fact's slot, answers with a word of its value.

    Raises:
        ModelError: ``generation_stopped`` when the person needed the model, as for the
            extraction itself; a cut-off or unusable answer also raises (the caller's batch
            is then asked again in halves).
    """
    who = person if fact.subject == "user" else fact.subject
    question = QUESTIONS[fact.attribute].format(who=who)
    ask = ASK.format(none=NOT_SAID, person=person, line=line, question=question)
    options = GenerationOptions(max_tokens=40, temperature=0.0, background=True)
    answer = await complete_json(llm, [system, ChatMessage("user", ask)], ANSWER_SCHEMA, options)
    said = " ".join(str(answer.get("answer", "")).split()).lower()
    return NOT_SAID not in said and not words(said).isdisjoint(words(fact.value))
