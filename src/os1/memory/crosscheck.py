"""A second look at a fact that would replace what was known: the line is asked.

Single-valued slots (job, home, workplace) supersede, so one misfiled value wipes out a
right one: "Long shift last night" filed as ``job = long shift`` replaced "nurse". The
small model that filed the fact agrees with nearly any check put to it as yes or no
(measured on the portrait bench's notes: right on 16 of 28, always "yes"), but it
answers an open question from the line alone well (23 of 28): "What work does Theo do
for a living now?" gets "not said". The "now" keeps a job the line says was given up
("I used to be an accountant, now I'm a carer") from standing: on seven such lines it
took the right answers from 4 to 6, and changed nothing on the 24 notes the reverse
question below was measured on. So a fact in such a slot is kept only when the line's
own answer shares a word with the value (an idea like the verification questions of
chain-of-verification, Dhuliawala et al. 2023).

The open question cannot see a value filed under the wrong person: "There's my son Callum
up in Aberdeen" answers "Where does Tom live?" with "Aberdeen". So the line is then asked
the reverse, "Who lives in Aberdeen?", and the fact stands only if that answer names its
subject ("Callum lives in Aberdeen" does not name Tom), or names no one the line names;
when it names one other, the fact is theirs (Callum's home, not Tom's).

The questions go after the extraction's own system message, so the model's prompt
cache keeps that prefix and only the question is read: about two seconds for the pair
on two cores (measured on 24 notes).
"""

from __future__ import annotations

import re
from typing import Any

from os1.memory.facts import NewFact
from os1.models.base import LLM, ChatMessage, GenerationOptions, complete_json
from os1.stopwords import STOPWORDS

# "now": a line that corrects ("not a nurse any more, I teach now") answers with the new
# value, not the old one it also names
QUESTIONS = {
    "job": "What work does {who} do for a living now?",
    "works_at": "Where does {who} work now?",
    "lives_in": "Where does {who} live now?",
    "studies_at": "Where does {who} study now?",
}
WHO = {
    "job": "Who works as {value}?",
    "works_at": "Who works at {value}?",
    "lives_in": "Who lives in {value}?",
    "studies_at": "Who studies at {value}?",
}
NOT_SAID = "not said"
ASK = (
    "Now a different task. Answer one question from this one chat line alone, in a few"
    ' words taken from the line. If the line does not say, answer "{none}".{writer}\n\n'
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


async def whose(llm: LLM, system: ChatMessage, fact: NewFact, line: str, person: str) -> str | None:
    """Whom the line gives the fact's value: the fact's subject, someone else it names
    (``"user"`` for the writer), or None when the line, asked about the slot, does not
    answer with a word of the value, or names several others.

    Raises:
        ModelError: ``generation_stopped`` when the person needed the model, as for the
            extraction itself; a cut-off or unusable answer also raises (the caller's batch
            is then asked again in halves).
    """
    who = person if fact.subject == "user" else fact.subject
    said = await _ask(llm, system, line, person, QUESTIONS[fact.attribute].format(who=who), "")
    if NOT_SAID in said.lower() or words(said).isdisjoint(words(fact.value)):
        return None
    # the writer named, not "answer {person} for them": that made "Tom" work at Callum's garage
    writer = f' The line is written by {person}, who says "I" and "my".'
    owner = await _ask(
        llm, system, line, person, WHO[fact.attribute].format(value=fact.value), writer
    )
    return _owner(owner, fact, line, person)


async def _ask(
    llm: LLM, system: ChatMessage, line: str, person: str, question: str, writer: str
) -> str:
    ask = ASK.format(none=NOT_SAID, writer=writer, person=person, line=line, question=question)
    options = GenerationOptions(max_tokens=40, temperature=0.0, background=True)
    answer = await complete_json(llm, [system, ChatMessage("user", ask)], ANSWER_SCHEMA, options)
    return " ".join(str(answer.get("answer", "")).split())


def _owner(answer: str, fact: NewFact, line: str, person: str) -> str | None:
    """Whom the answer to "who lives in Aberdeen?" names: the fact's subject if among them
    (or if it names no one), else the one other it names. The writer is "I", "me" or their
    name ("Tom's son" is someone else); anyone else is a capitalised word of the line, or a
    word of the subject ("mum")."""
    own = lower_words(person) - STOPWORDS
    subject = {"user"} if fact.subject == "user" else lower_words(fact.subject) - STOPWORDS
    capitals = {w.lower(): w for w in re.findall(r"\b[^\W\d_]*[A-Z][^\W\d_]*", line)}
    others = (set(capitals) | subject) - STOPWORDS - lower_words(fact.value)  # not "Aberdeen"
    named: dict[str, str] = {}
    for word, possessive in re.findall(r"([^\W\d_]+)(['’]s\b)?", answer):
        low = word.lower()
        if low in own or word == "I" or low in ("me", "writer"):
            named["someone of theirs" if possessive else "user"] = ""
        elif low in others:
            named[low] = capitals.get(low, word)
    if not named or not subject.isdisjoint(named):
        return fact.subject
    if len(named) != 1:
        return None
    [(key, name)] = named.items()  # "Callum lives in Aberdeen": his home, not Tom's
    return "user" if key == "user" else name or None


def lower_words(text: str) -> set[str]:
    """Every word of ``text``, lower-cased (names: "Tom Reid" -> {"tom", "reid"})."""
    return {w.lower() for w in re.findall(r"[^\W\d_]+", text)}
