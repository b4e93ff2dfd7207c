"""A rhyming dictionary: the common English words of the system's word list (Debian's
``wamerican-small``), grouped by the sound they rhyme on as espeak-ng says them.

The small local model rarely rhymes on its own, so code finds the rhymes and the model
only writes a line that ends on one of them. Building the book takes a few seconds (about
9,000 base words: plurals, past tenses and other inflections are left out when their
stem is there), so it is kept as a JSON file next to the person's data and built again
only when the word list changes.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import cache
from pathlib import Path

from os1.skills.music.words import FUNCTION_WORDS, rhyme_of, rhyme_sounds

WORD_LISTS = (Path("/usr/share/dict/american-english-small"), Path("/usr/share/dict/words"))
_PLAIN = re.compile(r"^[a-z]{2,10}$")
_ROMAN = re.compile(r"^[ivxlcdm]{1,4}$")  # "iii", "cc": letters espeak spells out
_ENDINGS = (
    ("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"),
    ("er", ""), ("est", ""), ("ly", ""), ("ies", "y"), ("ied", "y"), ("ier", "y"),
)  # fmt: skip
VERSION = 2


def cache_file(home: Path | None) -> Path:
    """Where the book is kept: in os1's data folder (a temporary one without)."""
    base = home if home is not None else Path(tempfile.gettempdir()) / "os1"
    return base / "cache" / "rhymes.json"


def word_list() -> Path | None:
    return next((p for p in WORD_LISTS if p.is_file()), None)


def _stem(word: str, words: set[str]) -> str | None:
    """The word ``word`` is an inflection of ("swim" for "swimming"), if it is one."""
    for ending, added in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            stem = word[: -len(ending)] + added
            if stem in words:
                return stem
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in words:
                return stem[:-1]
    return None


def base_words(path: Path) -> dict[str, int]:
    """The list's plain lowercase words of 3–7 letters that are not an inflection of
    another word there, each with how many inflections of it the list holds: a list
    that keeps "nights", "brighter" and "brightest" keeps words people use, so the count
    ranks rhymes by how common they are."""
    text = path.read_text(encoding="utf-8", errors="replace")
    listed = {w for w in text.split() if _PLAIN.match(w)}
    forms: dict[str, int] = {}
    for word in listed:
        stem = _stem(word, listed)
        if stem is None:
            forms.setdefault(word, 0)
        else:
            forms[stem] = forms.get(stem, 0) + 1
    return {w: n for w, n in forms.items() if 3 <= len(w) <= 7 and not _ROMAN.match(w)}


def _stamp(path: Path) -> str:
    info = path.stat()
    return f"{VERSION}:{path}:{info.st_size}:{int(info.st_mtime)}"


def load(cache_file: Path) -> dict[str, list[str]]:
    """The book (rhyme sound -> words), read from ``cache_file``, or built (once a
    process) and saved there; empty when there is no word list or no espeak-ng."""
    source = word_list()
    if source is None:
        return {}
    stamp = _stamp(source)
    try:
        kept = json.loads(cache_file.read_text(encoding="utf-8"))
        if kept.get("stamp") == stamp:
            return {k: list(v) for k, v in kept["book"].items()}
    except (OSError, ValueError, KeyError, AttributeError):
        pass  # absent or damaged: built again below
    book = build(source, stamp)
    if book:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=cache_file.parent, prefix=".rhymes-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"stamp": stamp, "book": book}, out)
        os.replace(temporary, cache_file)
    return {k: list(v) for k, v in book.items()}


@cache
def build(source: Path, stamp: str = "") -> dict[str, list[str]]:
    """The book made from the word list ``source`` (``stamp`` names its version)."""
    common = base_words(source)
    book: dict[str, list[str]] = {}
    for word, sound in rhyme_sounds(sorted(common)).items():
        book.setdefault(sound, []).append(word)
    for words in book.values():  # the most common first
        words.sort(key=lambda w: (-common[w], len(w), w))
    return book


def rhymes_for(book: dict[str, list[str]], word: str, limit: int = 8) -> list[str]:
    """Up to ``limit`` words that rhyme with ``word`` (never the word itself, nor a
    function word), the most common first."""
    low = word.lower()
    sound = rhyme_of(low)
    found = [
        w for w in book.get(sound, ())
        if w != low and w not in FUNCTION_WORDS and not low.endswith(w) and not w.endswith(low)
    ]  # fmt: skip
    return found[:limit]
