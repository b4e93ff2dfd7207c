"""A song revised in plain words: "in G", "slower", "make the chorus happier".

The words are read by code, not by the model, so "in G" always means G and a change
that is not understood is said plainly, with what would be, rather than guessed at.
Each change is told back in words ("the chorus moves to C major"), and the lyrics stay
as they are: a revision changes the music.
"""

from __future__ import annotations

import re
from dataclasses import replace

from os1.errors import MusicError
from os1.skills.music.plan import TEMPO_RANGE, TONICS, Mode, Register, SongPlan

MAX_CHANGE = 200  # characters
# a key is a capital letter ("in G", "in Bb", "in F#m"), or a small one when a word
# makes it one ("in g minor"), so "in a higher voice" is not A
_KEY = re.compile(
    r"(?i:\b(?:in|into|to)\s+(?:the\s+key\s+of\s+)?)"
    r"([A-G](?![ac-ln-z])|[a-g](?=\s*(?:#|♯|♭|sharp|flat|major|minor)|\s*$))"
    r"(?i:\s*(#|♯|b(?=m(?![a-z])|(?![a-z]))|♭|sharp|flat)?\s*(major|minor|m(?![a-z]))?)"
)
_BPM = re.compile(r"\b(\d{1,4})\s*(?:bpm|beats)", re.I)
_SLOWER = re.compile(r"\bslow(?:er)?\b|\bcalmer\b|\brelaxed\b", re.I)
_FASTER = re.compile(r"\bfast(?:er)?\b|\bquick(?:er)?\b|\bupbeat\b|\bliveli(?:er)?\b", re.I)
_MUCH = re.compile(r"\b(?:much|a lot|way)\b", re.I)
_HAPPIER = re.compile(r"\bhapp(?:y|ier)\b|\bbright(?:er)?\b|\bjoyful\b|\bmajor\b", re.I)
_SADDER = re.compile(r"\bsad(?:der)?\b|\bdark(?:er)?\b|\bwistful\b|\bmelanchol", re.I)
_HIGHER = re.compile(r"\bhigher\b", re.I)
_LOWER = re.compile(r"\blower\b|\bdeeper\b", re.I)
_RETUNE = re.compile(r"\b(?:another|new|different|other)\s+(?:tune|melody)\b", re.I)
_REGISTERS: tuple[Register, ...] = ("low", "middle", "high")
EXAMPLES = '"in G", "in A minor", "slower", "faster", "at 80 bpm", "make the chorus happier", ' \
    '"sadder", "higher", "lower", "another tune"'  # fmt: skip


def _accidental(mark: str | None) -> str:
    if not mark:
        return ""
    return "#" if mark.lower() in ("#", "♯", "sharp") else "b"


def _key(plan: SongPlan, words: str, told: list[str]) -> SongPlan:
    found = _KEY.search(words)
    if not found:
        return plan
    letter, mark, quality = found.groups()
    tonic = letter.upper() + _accidental(mark)
    if tonic not in TONICS:
        raise MusicError(
            "music_key", f"{tonic} is not a key a song can be in.", "Try one such as G or Bb."
        )
    mode: Mode = plan.mode
    if quality:
        mode = "minor" if quality.lower() in ("minor", "m") else "major"
    told.append(f"now in {tonic.replace('b', '♭').replace('#', '♯')} {mode}")
    return replace(plan, tonic=tonic, mode=mode)


def _tempo(plan: SongPlan, words: str, told: list[str]) -> SongPlan:
    low, high = TEMPO_RANGE
    if found := _BPM.search(words):
        tempo = int(found.group(1))
        if not low <= tempo <= high:
            raise MusicError(
                "music_tempo",
                f"A tempo of {tempo} beats a minute cannot be sung.",
                f"Choose one from {low} to {high}.",
            )
    elif _SLOWER.search(words) or _FASTER.search(words):
        factor = 0.7 if _MUCH.search(words) else 0.85
        if _FASTER.search(words):
            factor = 1 / factor
        tempo = max(low, min(high, round(plan.tempo * factor)))
    else:
        return plan
    told.append(f"{'slower' if tempo < plan.tempo else 'faster'}: {tempo} beats a minute")
    return replace(plan, tempo=tempo)


def _mood(plan: SongPlan, words: str, told: list[str]) -> SongPlan:
    happier, sadder = bool(_HAPPIER.search(words)), bool(_SADDER.search(words))
    if happier == sadder:
        return plan
    wanted: Mode = "major" if happier else "minor"
    if re.search(r"\bchorus\b", words, re.I):
        if plan.chorus == wanted:
            raise MusicError(
                "music_revision_same",
                f"The chorus is already in {wanted}.",
                "Try another change: " + EXAMPLES + ".",
            )
        told.append(f"the chorus moves to the relative {wanted}")
        return replace(plan, chorus_mode=None if wanted == plan.mode else wanted)
    if plan.mode == wanted and plan.chorus == wanted:
        raise MusicError(
            "music_revision_same",
            f"The song is already in {wanted}.",
            "Try another change: " + EXAMPLES + ".",
        )
    told.append(f"the whole song in {wanted}")
    return replace(plan, mode=wanted, chorus_mode=None)


def _register(plan: SongPlan, words: str, told: list[str]) -> SongPlan:
    step = (1 if _HIGHER.search(words) else 0) - (1 if _LOWER.search(words) else 0)
    if not step:
        return plan
    at = _REGISTERS.index(plan.register) + step
    if not 0 <= at < len(_REGISTERS):
        raise MusicError(
            "music_register",
            f"The melody is already as {'high' if step > 0 else 'low'} as a song goes here.",
            'Try a key change instead, such as "in A".',
        )
    told.append(f"the melody sits {'higher' if step > 0 else 'lower'}")
    return replace(plan, register=_REGISTERS[at])


def revised(plan: SongPlan, words: str) -> tuple[SongPlan, list[str]]:
    """``plan`` changed as ``words`` ask, and each change told in words.

    Raises:
        MusicError: nothing in ``words`` is a change understood here, or a change that
            cannot be made (a tempo of 2,000, the chorus already happy).
    """
    words = " ".join(words.split())
    if len(words) > MAX_CHANGE:
        raise MusicError(
            "music_revision_long",
            f"The change is {len(words)} characters; {MAX_CHANGE} at most.",
            "Say it in a few words, such as " + EXAMPLES + ".",
        )
    told: list[str] = []
    changed = _key(plan, words, told)
    rest = _KEY.sub(" ", words)  # "in G major" is a key, not a wish for a happier song
    for step in (_tempo, _mood, _register):
        changed = step(changed, rest, told)
    if _RETUNE.search(rest):
        changed = replace(changed, seed=changed.seed + 1)
        told.append("a new tune for the same words")
    if not told:
        raise MusicError(
            "music_revision_unknown",
            f"I don't know how to change the song by {words[:60]!r}.",
            "Say, for example, " + EXAMPLES + ".",
        )
    return changed, told
