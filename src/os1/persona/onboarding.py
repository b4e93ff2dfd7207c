"""The first conversation: a few questions, as a new operating system would ask.

The questions are the companion's own script (asked verbatim, so every person is asked
the same things and the answers are comparable); the model writes the warm reply to each
answer. Progress is stored, so onboarding survives a restart and resumes at the next
question; each answer is stored with the message it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from os1.config import DEFAULT_USER
from os1.errors import ModelError
from os1.models.base import LLM, ChatMessage, GenerationOptions, complete_json
from os1.persona.identity import Identity
from os1.store import UserStore

PROGRESS_KEY = "onboarding"
PERSON_NAME_KEY = "person.name"

_NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": ["string", "null"], "maxLength": 40}},
    "required": ["name"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Question:
    topic: str
    text: str


QUESTIONS: tuple[Question, ...] = (
    Question("name", "What should I call you?"),
    Question("day", "What does an ordinary day look like for you?"),
    Question("people", "Who are the people who matter most to you right now?"),
    Question("hopes", "And what's on your mind these days: what could I help you with?"),
)


@dataclass(frozen=True)
class Progress:
    """``asked`` is the topic of the question awaiting an answer; ``done`` ends onboarding."""

    asked: str | None
    done: bool


async def load_progress(store: UserStore) -> Progress:
    raw: Any = await store.get_setting(PROGRESS_KEY, {})
    raw = raw if isinstance(raw, dict) else {}
    return Progress(raw.get("asked"), bool(raw.get("done", False)))


async def save_progress(store: UserStore, progress: Progress) -> None:
    await store.set_setting(PROGRESS_KEY, {"asked": progress.asked, "done": progress.done})


def question(topic: str | None) -> Question | None:
    return next((q for q in QUESTIONS if q.topic == topic), None)


def next_question(topic: str | None) -> Question | None:
    """The question after ``topic`` (the first one when ``topic`` is None)."""
    if topic is None:
        return QUESTIONS[0]
    topics = [q.topic for q in QUESTIONS]
    index = topics.index(topic) + 1 if topic in topics else len(QUESTIONS)
    return QUESTIONS[index] if index < len(QUESTIONS) else None


# "I'm Sam", "my name is Sam", "call me Sam": the name as written, capitalized. The
# words that commonly follow "I'm" capitalized at a sentence start are not names.
_SAID_NAME = re.compile(
    r"(?i:\b(?:i'm|i am|im|my name is|my name's|call me))\s+([A-Z][a-z'-]{1,39})\b"
)
_NOT_NAMES = frozenset(
    {
        "So",
        "Just",
        "Not",
        "Here",
        "Back",
        "Fine",
        "Good",
        "Sorry",
        "Tired",
        "Happy",
        "Very",
        "Also",
        "Really",
        "Going",
        "From",
        "In",
        "At",
        "The",
        "A",
        "An",
        "Your",
        "Glad",
        "Excited",
        "New",
        "Busy",
        "Okay",
        "Ok",
        "Well",
        "Sure",
        "Still",
        "Home",
        "Done",
        "Hungry",
    }
)


def said_name(text: str) -> str | None:
    """The name a person gave in passing ("Hi! I'm Sam. I just moved…"), or None."""
    for found in _SAID_NAME.finditer(text[:2000]):
        if found[1] not in _NOT_NAMES:
            return found[1]
    return None


# short answers to "What should I call you?" that are not a name
_NOT_ANSWER_NAMES = frozenset(
    {"anything", "whatever", "nothing", "no", "none", "idk", "dunno", "hi", "hello", "hey",
     "you", "me", "it", "i", "yes", "yeah", "ok", "okay", "sure", "just", "call", "my", "not",
     "dr", "mr", "mrs", "ms", "miss", "prof", "sir"}
)  # fmt: skip


def name_in_answer(answer: str) -> str | None:
    """The name in an answer to the name question, when it can be read without the model:
    "I'm Sam", "call me Theo", or a bare name ("Ana", "maya. or may, whatever"). Else None,
    and the model reads the answer in the background."""
    if said := said_name(answer):
        return said
    words = re.findall(r"[^\W\d_][\w'-]*", answer[:200])
    first = words[0] if words else ""
    if len(words) > 5 or not 2 <= len(first) <= 30 or first.lower() in _NOT_ANSWER_NAMES:
        return None
    if first[:1].upper() + first[1:] in _NOT_NAMES:
        return None
    return first[:1].upper() + first[1:]


def greeting(identity: Identity, first: Question | None = QUESTIONS[0], name: str = "") -> str:
    """The very first words: who the companion is, then its first question (``first``;
    the name question is skipped when the person already said their ``name``)."""
    reason = f" {identity.reason.rstrip('.')}." if identity.reason else ""
    hello = f"Hi {name}!" if name else "Hi!"
    ask = f"I'd love to get to know you a little. {first.text}" if first else ""
    return (
        f"{hello} I'm {identity.name}. I picked that name myself, just now.{reason} "
        "I should be honest from the start: I'm an AI, software running here on your "
        f"computer, and everything we talk about stays here. {ask}"
    ).strip()


def answer_instruction(asked: Question, last: bool) -> str:
    """What the model is told while the person answers an onboarding question."""
    closing = (
        "This was your last getting-to-know-you question: thank them warmly and tell "
        "them you're glad to have met them."
        if last
        else "Do not ask any question: your next question comes right after your reply."
    )
    return (
        f'You are getting to know this person. You asked them: "{asked.text}" and their '
        "next message is their answer. Reply warmly and personally to what they said, in "
        f"one or two short sentences. {closing}"
    )


async def answers_summary(store: UserStore) -> str:
    """The onboarding answers as prompt text: what the companion knows about the person."""
    lines = []
    for answer in await store.onboarding_answers():
        asked = question(answer.topic)
        label = asked.text if asked else answer.question
        lines.append(f'- Asked "{label}", they said: {answer.answer[:400]}')
    return "\n".join(lines)


async def learn_preferred_name(store: UserStore, llm: LLM, answer: str) -> str | None:
    """Pick out the name the person asked to be called ("Call me Theo." -> "Theo").

    Background work; a name that does not appear in their answer is not believed.
    """
    prompt = (
        f'Someone was asked "{QUESTIONS[0].text}" and answered:\n"""{answer[:500]}"""\n'
        "Which name do they want to be called? Answer in JSON; name is null if they gave none."
    )
    options = GenerationOptions(max_tokens=40, temperature=0.0, background=True)
    found = await complete_json(llm, [ChatMessage("user", prompt)], _NAME_SCHEMA, options)
    # "Tom. Thomas Reid if you want the full thing" came back as "Tom. Thomas Reid": the
    # name they go by is the first of several given
    name = re.split(r"[.,;:!?]\s", str(found.get("name") or ""))[0].strip().strip(".!")
    said = {w.lower() for w in re.findall(r"[\w'-]+", answer)}
    if not name or any(w.lower() not in said for w in re.findall(r"[\w'-]+", name)):
        return None  # "Tom Reid" from "Tom. Thomas Reid ..." stands: each word was said
    await store.set_setting(PERSON_NAME_KEY, name)
    return name


async def learn_name_if_needed(store: UserStore, llm: LLM) -> bool:
    """Learn the preferred name from the onboarding answer, unless already known. Called
    from background work after each turn, so a preempted attempt is simply tried again.

    Returns:
        False when the attempt was stopped because the person needed the model: the name
        they gave is not known yet, so learning from their words should wait for it.
    """
    if await store.get_setting(PERSON_NAME_KEY) is not None:
        return True
    answer = next((a for a in await store.onboarding_answers() if a.topic == "name"), None)
    if answer is None:
        return True
    try:
        found = await learn_preferred_name(store, llm, answer.answer)
    except ModelError as exc:
        if exc.code != "generation_stopped":
            raise
        return False
    if found is None:
        await store.set_setting(PERSON_NAME_KEY, "")  # asked and answered: no name given
    return True


async def person_name(store: UserStore) -> str | None:
    """What to call the person: the name they gave, else their account name (unless it
    is the anonymous default)."""
    preferred = await store.get_setting(PERSON_NAME_KEY)
    if isinstance(preferred, str) and preferred:
        return preferred
    return None if store.user.name == DEFAULT_USER else store.user.name
