"""The dictionary check: words not in an English word list, with the likeliest fix.

Built on pyspellchecker (Peter Norvig's edit-distance idea over a word-frequency list).
Most misspellings are one edit away ("recieve", "definately", "accomodation"); searching
two edits away costs about a quarter of a second per word in pure Python, so that deeper
search has a budget per text and is skipped for long words (likely jargon anyway).

What a proofreader should leave alone is skipped: code, links and addresses (the caller's
protected spans), ALL-CAPS, words with digits or inner capitals ("iPhone"), words joined
to non-English letters, British spellings whose American form is known ("colour"), and
names: a capitalized word the text uses mid-sentence more than once is taken as a name.
A capitalized word seen only once is still questioned, with a reason saying it may be one.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from typing import Any

from os1.skills.proofread.suggestion import Suggestion

MAX_WORD = 24
DEEP_SEARCH_BUDGET = 25  # words per text searched two edits away
DEEP_SEARCH_MAX_LEN = 12

# a word with its inner apostrophes ("don't"), less a possessive "'s" ("Amy's" -> "Amy")
_WORD = re.compile(r"(?<![\w'’])[A-Za-z]+(?:['’](?!s\b)[A-Za-z]+)*(?![\w])")
_AFTER_NUMBER = re.compile(r"\d[ \t]?$")
_BRITISH = (
    ("our", "or"),  # colour
    ("ise", "ize"),  # organise
    ("ised", "ized"),
    ("ising", "izing"),
    ("isation", "ization"),
    ("yse", "yze"),  # analyse
    ("tre", "ter"),  # centre
    ("ence", "ense"),  # defence
    ("ogue", "og"),  # catalogue
    ("lled", "led"),  # travelled
    ("lling", "ling"),
)
# dropped apostrophes the word list has no entry for
_CONTRACTIONS = {
    "im": "I'm",
    "ive": "I've",
    "thats": "that's",
    "whats": "what's",
    "theyre": "they're",
    "youre": "you're",
    "youve": "you've",
    "theres": "there's",
    "shes": "she's",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "couldnt": "couldn't",
    "shouldnt": "shouldn't",
    "wouldnt": "wouldn't",
}
_lock = threading.Lock()


@functools.cache
def _checker() -> Any:
    """The word list, loaded once per process (about a tenth of a second)."""
    from spellchecker import SpellChecker

    return SpellChecker(distance=1)


class _Speller:
    """Corrections for one text, cached per word, with the two-edit search budget."""

    def __init__(self) -> None:
        self.checker = _checker()
        self.deep_left = DEEP_SEARCH_BUDGET
        self.cache: dict[str, tuple[str, ...] | None] = {}

    def known(self, word: str) -> bool:
        return bool(self.checker.known([word]))

    def british(self, lower: str) -> bool:
        return any(lower.endswith(gb) and self.known(lower[: -len(gb)] + us) for gb, us in _BRITISH)

    def candidates(self, lower: str) -> tuple[str, ...] | None:
        """The likeliest fixes, best first; None when the word is fine or nothing fits."""
        if lower not in self.cache:
            self.cache[lower] = self._search(lower)
        return self.cache[lower]

    def _search(self, lower: str) -> tuple[str, ...] | None:
        if lower in _CONTRACTIONS:
            return (_CONTRACTIONS[lower],)
        if self.known(lower) or self.british(lower.replace("’", "'")):
            return None
        found = self.checker.known(self.checker.edit_distance_1(lower))
        if not found and self.deep_left > 0 and len(lower) <= DEEP_SEARCH_MAX_LEN:
            self.deep_left -= 1
            found = self.checker.known(self.checker.edit_distance_2(lower))
        if not found:
            return None

        # typos seldom touch the first letter or the length by much: "acount" means
        # "account", not the more frequent "count"; then the commoner word wins
        def rank(word: str) -> tuple[bool, int, str]:
            return (word[:1] != lower[:1], -self.checker[word], word)

        return tuple(sorted(found, key=rank)[:3])


def _mid_sentence_names(text: str) -> Counter[str]:
    """How often each capitalized word appears mid-sentence (not after . ! ? or a line
    start): a word capitalized there is most likely a name."""
    names: Counter[str] = Counter()
    for m in _WORD.finditer(text):
        word = m.group(0)
        if not word[0].isupper() or word.isupper():
            continue
        before = text[: m.start()].rstrip(" \t\"'(“‘")
        if before and before[-1] not in ".!?:\n":
            names[word] += 1
    return names


def _skip(word: str) -> bool:
    return (
        (len(word) <= 2 and word.lower() not in _CONTRACTIONS)  # "km", "ok", "pm"
        or len(word) > MAX_WORD
        or word.isupper()  # acronyms, shouting
        or any(c.isupper() for c in word[1:])  # iPhone, McAdam
    )


def _cased(template: str, word: str) -> str:
    if template[0].isupper() and word[0].islower():
        return word[0].upper() + word[1:]
    return word


def spelling_suggestions(text: str, protected: list[tuple[int, int]]) -> list[Suggestion]:
    """A suggestion for each word the dictionary does not know and can fix.

    Runs in a worker thread for long texts (it is plain CPU work); a lock keeps the
    shared word list's lookups from interleaving.
    """
    names = _mid_sentence_names(text)
    found: list[Suggestion] = []
    with _lock:
        speller = _Speller()
        for m in _WORD.finditer(text):
            word = m.group(0)
            start, end = m.span()
            if _skip(word) or any(start < b and a < end for a, b in protected):
                continue
            if _AFTER_NUMBER.search(text, max(0, start - 3), start):
                continue  # a unit: "3.5 kms", "10 mins"
            if word[0].isupper() and names[word] >= 2:
                continue
            fixes = speller.candidates(word.lower().replace("’", "'"))
            if not fixes:
                continue
            best = _cased(word, fixes[0])
            reason = f'"{word}" is not in the dictionary'
            if len(fixes) > 1:
                reason += f" (or: {', '.join(fixes[1:])})"
            if word[0].isupper() and names[word]:
                reason += "; if it is a name, reject this"
            found.append(Suggestion(start, end, word, best, "spelling", reason, "dictionary"))
    return found
