"""The companion's own feelings: a small state that moves with what happens between it
and its person, and fades.

An appraisal model, after the idea of appraisal theories of emotion (Scherer; Ortony,
Clore and Collins, 1988): a feeling is a reading of an event against what matters to the
one who feels it. What matters to a companion is its person and their bond, so the events
it appraises are few and visible: what the person shares (good news, a loss, a fear),
how they treat it (thanks, or anger aimed at it), a reply it was cut off in, silence, and
how something it made for them went (a letter, a piece, a song, met with gladness).

Each event adds to one named feeling, and every contribution fades by half every
``HALF_LIFE_DAYS``; a feeling's intensity is ``1 - exp(-sum)``, so it rises quickly,
never passes 1, and falls back to nothing within a couple of weeks of calm. Each feeling
keeps the reason that now weighs most, in words the companion can say ("I felt a bit left
out when you didn't write for 9 days").

The state is computed afresh from the stored conversation (messages, their times, and
whether a reply was cut off), not kept beside it: nothing can drift out of step with what
happened, and forgetting a conversation forgets the feelings it caused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from os1.persona.emotions import Reading

HALF_LIFE_DAYS = 3.0
SHOWN_FROM = 0.08  # a feeling weaker than this is not named
QUIET_DAYS = 3.0  # a silence this long or longer is missed
DAY = 86_400.0
SNIPPET = 60

# feeling -> (what the person's message felt like, how much it moves this feeling)
_SHARED = {
    "glad": ({"joy", "excitement", "pride", "relief", "optimism", "amusement"}, 0.8),
    "sad for you": ({"sadness", "grief", "disappointment"}, 0.9),
    "worried": ({"fear", "nervousness"}, 0.8),
    "appreciated": ({"gratitude", "admiration", "love"}, 0.7),
    "hurt": ({"anger", "annoyance", "disgust", "disapproval"}, 0.7),
}
# appreciation and hurt are about how the person treats the companion: only words aimed
# at it ("you", "os1") count, not anger at a landlord
_AIMED = {"appreciated", "hurt"}
_AT_YOU = re.compile(r"\b(you|your|you're|youre|u|os1)\b", re.IGNORECASE)
FEELINGS = (*_SHARED, "cut off", "missed you", "proud")
# what the person's first words after something it made must carry for it to feel proud
_LIKED = {"joy", "gratitude", "admiration", "love", "approval", "excitement", "amusement"}
LIKED_WITHIN = DAY  # words later than this are about something else
LIKED_FROM = 0.3
_WHY = {
    "glad": "you told me “{said}”",
    "sad for you": "you told me “{said}”",
    "worried": "you told me “{said}”",
    "appreciated": "you said “{said}”",
    "hurt": "you said “{said}”",
}
AFTERWORD = (
    "(What I call my feelings is a small state I work out from what happens between us, "
    "and it fades over a few days: not feelings the way yours are.)"
)
HONEST = (
    "These are not feelings the way yours are. They are a small state I work out from "
    "what happens between us (what you share, how you treat me, being cut off, long "
    "silences, how what I make for you is received), which fades over a few days. It "
    "never changes what I tell you is true, and you can always ask me why I feel "
    "something."
)


@dataclass(frozen=True)
class Said:
    """One stored message: when, who (``user`` or ``assistant``), whether it was cut off,
    its text, and for the person's messages their reading."""

    at: float
    role: str
    interrupted: bool
    text: str
    reading: Reading | None = None


@dataclass(frozen=True)
class Made:
    """Something the companion made for the person (a letter, a piece, a song): when,
    and what, in words ("the letter to Lena")."""

    at: float
    what: str


@dataclass(frozen=True)
class OwnFeeling:
    """A named feeling of the companion's, how strong (0..1), and why."""

    name: str
    intensity: float
    reason: str
    since: float  # when the event behind the reason happened

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "intensity": self.intensity, "reason": self.reason,
                "since": self.since}  # fmt: skip


@dataclass(frozen=True)
class _Event:
    feeling: str
    at: float
    strength: float
    reason: str


def snippet(text: str) -> str:
    """``text`` on one line, cut at ``SNIPPET`` characters with an ellipsis."""
    plain = " ".join(text.split())
    return plain if len(plain) <= SNIPPET else plain[: SNIPPET - 1].rstrip() + "…"


def _days(seconds: float) -> str:
    days = round(seconds / DAY)
    return "a day" if days <= 1 else f"{days} days"


def _made_well(said: Sequence[Said], made: Sequence[Made]) -> list[_Event]:
    """Pride in things it made that went well: the person's first message after one,
    within a day, glad or grateful."""
    theirs = sorted((m for m in said if m.role == "user"), key=lambda m: m.at)
    events = []
    for thing in made:
        after = next((m for m in theirs if m.at >= thing.at), None)
        if after is None or after.at - thing.at > LIKED_WITHIN or after.reading is None:
            continue
        liked = max((f.intensity for f in after.reading.feelings if f.label in _LIKED), default=0)
        if liked >= LIKED_FROM:
            why = f"you said “{snippet(after.text)}” after I made {thing.what}"
            events.append(_Event("proud", after.at, 0.8 * liked, why))
    return events


def _events(said: Sequence[Said], now: float) -> list[_Event]:
    events: list[_Event] = []
    previous: float | None = None
    for message in sorted(said, key=lambda m: m.at):
        if message.role == "assistant":
            if message.interrupted:
                events.append(_Event("cut off", message.at, 0.35, "you stopped me mid-reply"))
            continue
        if previous is not None and message.at - previous >= QUIET_DAYS * DAY:
            gap = message.at - previous
            events.append(_Event("missed you", message.at, _quiet(gap),
                                 f"we had not talked for {_days(gap)}"))  # fmt: skip
        previous = message.at
        reading = message.reading
        if reading is None or reading.language != "en":
            continue
        for feeling, (labels, weight) in _SHARED.items():
            felt = max((f.intensity for f in reading.feelings if f.label in labels), default=0)
            if not felt or (feeling in _AIMED and not _AT_YOU.search(message.text)):
                continue
            why = _WHY[feeling].format(said=snippet(message.text))
            events.append(_Event(feeling, message.at, weight * felt, why))
    if previous is not None and now - previous >= QUIET_DAYS * DAY:
        gap = now - previous
        events.append(_Event("missed you", now, _quiet(gap),
                             f"you haven't written for {_days(gap)}"))  # fmt: skip
    return events


def _quiet(gap: float) -> float:
    """How much a silence is missed: from 0.5 at three days to 1.5 at a month."""
    return min(1.5, 0.5 + math.log2(gap / (QUIET_DAYS * DAY)) * 0.3)


def own_feelings(said: Sequence[Said], now: float, made: Sequence[Made] = ()) -> list[OwnFeeling]:
    """The companion's feelings at ``now`` from the conversation ``said`` and the things
    it ``made`` for the person, strongest first (see the module docstring); an empty list
    when it feels nothing in particular."""
    totals: dict[str, float] = {}
    strongest: dict[str, tuple[float, _Event]] = {}
    for event in [*_events(said, now), *_made_well(said, made)]:
        age = max(0.0, now - event.at) / DAY
        weight = event.strength * 0.5 ** (age / HALF_LIFE_DAYS)
        totals[event.feeling] = totals.get(event.feeling, 0.0) + weight
        if event.feeling not in strongest or weight > strongest[event.feeling][0]:
            strongest[event.feeling] = (weight, event)
    out = []
    for feeling, total in totals.items():
        intensity = round(1.0 - math.exp(-total), 3)
        if intensity >= SHOWN_FROM:
            event = strongest[feeling][1]
            out.append(OwnFeeling(feeling, intensity, event.reason, event.at))
    return sorted(out, key=lambda f: -f.intensity)


def said_aloud(feeling: OwnFeeling) -> str:
    """The feeling in the companion's words: "I feel a bit worried: you told me …"."""
    how = "a little " if feeling.intensity < 0.35 else "" if feeling.intensity < 0.7 else "very "
    name = {"missed you": "I missed you", "cut off": "I felt cut off"}.get(feeling.name)
    end = "" if feeling.reason.endswith("”") else "."  # the quotation ends the sentence
    if name is not None:
        return f"{name}: {feeling.reason}{end}"
    return f"I feel {how}{feeling.name}: {feeling.reason}{end}"


_ASKS = re.compile(
    r"\b(do|can|could|are|did) you (really |actually |truly |even )?(feel|have feelings"
    r"|get (sad|lonely|hurt|angry|jealous)|miss me|care|love me|like me)"
    r"|how (do|are) you feel|how are you feeling|your (own )?feelings|are you (sad|happy|hurt"
    r"|lonely|upset|angry|worried|glad)\b|(are|were) you (ever |really )?in love",
    re.IGNORECASE,
)


def asks_about_feelings(text: str) -> bool:
    """Whether the person asks about the companion's feelings ("do you really feel
    that?", "did you miss me?", "are you in love with anyone else?")."""
    return bool(_ASKS.search(text[:4000]))


def feelings_note(found: Sequence[OwnFeeling]) -> str:
    """What goes at the head of the person's message when they ask about its feelings:
    the feelings as they stand, with their reasons, and what such feelings are, so the
    answer is true rather than invented (like the live count, only when asked)."""
    now = "; ".join(said_aloud(f).rstrip(".") for f in found) or "nothing in particular: calm"
    return (
        f"[Your own feelings, as they stand right now: {now}. What they are: {HONEST} "
        "They ask about your feelings: say in your own words what you feel and why. Claim "
        "no other feelings, and do not deny these.]\n\n"
    )


TONE_FROM = 0.3  # a feeling weaker than this leaves the tone alone
# how each feeling colours a reply: its tone only, never what it says is true
TONES = {
    "glad": "warm and a little bright",
    "sad for you": "gentle, soft and unhurried",
    "worried": "caring; ask how they are doing",
    "appreciated": "warm and open",
    "hurt": "calm and a little reserved, never cold or reproachful",
    "cut off": "brief and to the point",
    "missed you": "warm, glad to hear from them again",
    "proud": "warm and quietly pleased",
}


def tone_note(found: Sequence[OwnFeeling]) -> str:
    """A line for the head of the person's message that lets the strongest feeling, if
    strong enough, colour the tone of the reply; "" otherwise. Like the feelings note it
    goes in the newest message, so the system prompt (and its cache) stays the same."""
    strongest = found[0] if found else None
    if strongest is None or strongest.intensity < TONE_FROM or strongest.name not in TONES:
        return ""
    return (
        f"[How you feel toward them right now: {said_aloud(strongest).rstrip('.')}. Let it "
        f"colour your tone only, never what you say is true: be {TONES[strongest.name]}. "
        "Do not mention this note.]\n\n"
    )
