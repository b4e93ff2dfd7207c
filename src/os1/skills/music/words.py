"""Syllables, stress and rhyme of English lyric lines.

A melody fits its words when it gives one note to each syllable and puts the stressed
syllables on strong beats; a song scans when its lines have about as many syllables and
their ends rhyme. Spelling alone guesses English badly ("fire", "every", "beautiful"), so
the pronunciation comes from espeak-ng. It is GPL, so it runs as a separate process, never
linked; only sung words (letters, digits, inner apostrophes) reach it, on stdin, one per
line with a period so each comes back on its own line, and no text ever becomes an option
(markup input stays off: no ``-m``). Without espeak-ng the module guesses from spelling
and ``engine()`` says so, so a song can tell that its scansion is rough.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from os1.errors import MusicError

ESPEAK = "espeak-ng"  # the command; tests point it at a missing one to force the fallback
TIMEOUT = 10.0  # seconds for one espeak call
MAX_LINE = 200  # characters: a sung line is a breath, not a paragraph
_CACHE_SIZE = 4096
_cache: OrderedDict[str, tuple[list[str], list[int]]] = OrderedDict()
_failed = False  # the last espeak call failed, so scansion is coming from spelling

# Sung lightly in a line although espeak stresses each said alone. "no", "not" and "all"
# are left out on purpose: a song leans on them.
_FUNCTION = (
    "the a an and of to in on at for with my your our is was were be i you we it but or as"
    " by from that this his her their its me us him them so if than then when can will would"
    " could should do did has have had am are been shall may might must nor into upon"
    " i'm it's you're we're they're i'll you'll i've i'd"
)
FUNCTION_WORDS = frozenset(_FUNCTION.split())

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_IPA_VOWELS = set("aeiouyæɑɐɒɔəɚɛɜɝɪɨᵻʊʌɵøœɯɤɘ\u0329")  # U+0329 marks syllabic n̩, l̩
_LETTER_VOWELS = set("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ")
# Where a consonant run between two vowels splits: the longest tail that can begin an
# English syllable starts the next one; s-clusters stay apart so it is "sis-ter".
_ONSETS = frozenset(
    set("bcdfghjklmnpqrstvwz")
    | {"th", "sh", "ch", "ph", "wh", "qu", "thr", "shr", "chr", "phr"}
    | {a + b for a in "bcdfgpt" for b in "lr"} - {"dl", "tl"}
)
_KEEP_TOGETHER = ("ck", "ng", "gh")  # "pock-et", "sing-er", "laugh-ing"
# Classes of a final consonant for near rhymes: "time"/"line" end in nasals.
_CLASSES = {c: k for k in ("pbtdkgɡcqʔ", "fvθðszʃʒhxj", "mnŋ", "lrɹw") for c in k}
_VOWELS = "".join(_IPA_VOWELS | _LETTER_VOWELS)
_Found = dict[str, tuple[list[str], list[int], str | None]]


@dataclass(frozen=True)
class Syllable:
    text: str  # the written part of the word this syllable sings, e.g. "beau", "ti", "ful"
    stress: int  # 1 primary, 2 secondary, 0 none
    word_end: bool  # last syllable of its word (lead sheets hyphenate inside a word)


@dataclass(frozen=True)
class Line:
    text: str
    syllables: tuple[Syllable, ...]
    rhyme: str  # sound of the last word from its last stressed vowel, "" if no word


def words_of(text: str) -> list[str]:
    """The sung words of a line: letters, digits and apostrophes inside words."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'")
    return _WORD.findall(text)


def engine() -> str:
    """``"espeak-ng"`` when pronunciations come from espeak-ng, ``"spelling"`` otherwise."""
    return "spelling" if _failed or shutil.which(ESPEAK) is None else "espeak-ng"


def _vowel_groups(low: str) -> list[tuple[int, int]]:
    # y before a vowel ("yes", "beyond") and u after q ("queen") are consonants
    marks = "".join(
        "v"
        if c in _LETTER_VOWELS
        and not (c == "y" and low[i + 1 : i + 2] in _LETTER_VOWELS - {"y"})
        and not (c == "u" and low[i - 1 : i] == "q")
        else "c"
        for i, c in enumerate(low)
    )
    return [m.span() for m in re.finditer("v+", marks)]


def _silent_e(low: str, groups: list[tuple[int, int]]) -> bool:
    """Whether the last vowel group is an unsung e: "lake", "lakes", "loved", not "table"."""
    if len(groups) < 2 or low[groups[-1][0] : groups[-1][1]] != "e":
        return False
    tail, before = low[groups[-1][0] :], low[: groups[-1][0]]
    if tail == "e":
        return re.search(r"[^aeiouy]l$", before) is None
    if tail == "es":
        return not re.search(r"(s|z|x|ch|sh|c|g)$", before)
    return tail == "ed" and before[-1] not in "td"


def _guess(word: str) -> tuple[list[str], list[int], str]:
    """Pronunciation from spelling: letters as phonemes, stress on the first syllable."""
    low = word.lower()
    groups = _vowel_groups(low)
    if _silent_e(low, groups):
        groups.pop()
    count = max(1, len(groups))
    rhyme = low[groups[-1][0] :] if groups else low
    return list(low), [1] + [0] * (count - 1), rhyme


def _parse(ipa: str) -> tuple[list[str], list[int]]:
    phonemes: list[str] = []
    stresses: list[int] = []
    pending = 0
    for token in re.split(r"[_\s]+", ipa):
        mark = 1 if "ˈ" in token else 2 if "ˌ" in token else 0
        token = token.replace("ˈ", "").replace("ˌ", "")
        pending = mark or pending
        if not token:
            continue
        # espeak writes the two syllables of "qui-et", "li-on" as one phoneme
        for part in ["aɪ", "ə"] if token == "aɪə" else [token]:
            phonemes.append(part)
            if any(c in _IPA_VOWELS for c in part):
                stresses.append(pending)
                pending = 0
    return phonemes, stresses


def _espeak(words: list[str]) -> list[str] | None:
    global _failed
    exe = shutil.which(ESPEAK)
    if exe is None:
        return None
    data = "".join(f"{w}.\n" for w in words).encode("utf-8")
    command = [exe, "-q", "--ipa", "-v", "en-us", "--sep=_"]  # fixed: no text is an option
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as err:
        raise MusicError(
            "music_espeak_hung",
            f"espeak-ng did not answer within {TIMEOUT:g} seconds for {len(words)} words.",
            "Try fewer lines at once, or check that espeak-ng runs: espeak-ng --version.",
        ) from err
    except OSError:
        done = None
    lines = done.stdout.decode("utf-8", "replace").splitlines() if done else []
    # A lost or extra line would shift every word after it, so any mismatch means guess.
    _failed = done is None or done.returncode != 0 or len(lines) != len(words)
    return None if _failed else lines


def _lookup(words: Iterable[str]) -> _Found:
    """Like ``pronounce``, plus the spelled rhyme of a guessed word (None if espeak said it)."""
    found: _Found = {}
    missing: list[str] = []
    for word in dict.fromkeys(w.lower() for w in words if w):
        if word in _cache:
            _cache.move_to_end(word)
            found[word] = (*_cache[word], None)
        else:
            missing.append(word)
    lines = _espeak(missing) if missing else None
    for i, word in enumerate(missing):
        phonemes, stresses = _parse(lines[i]) if lines else ([], [])
        if not stresses:  # espeak silent or absent for this word
            found[word] = _guess(word)
            continue
        found[word] = (phonemes, stresses, None)
        _cache[word] = (phonemes, stresses)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def pronounce(words: Iterable[str]) -> dict[str, tuple[list[str], list[int]]]:
    """Word (lowercased) -> (phonemes, stress per syllable), one espeak call for all."""
    return {w: (list(p), list(s)) for w, (p, s, _) in _lookup(words).items()}  # cache safe


def split_word(word: str, count: int) -> list[str]:
    """The spelling in ``count`` non-empty parts that join back to ``word``."""
    count = max(1, min(count, len(word)))
    low = word.lower()
    groups = _vowel_groups(low)
    if len(groups) > count and _silent_e(low, groups):
        groups.pop()
    while len(groups) > count:  # a sunk inner e: "ev(e)ry", "ev(e)ning"
        inner = [g for g in groups[1:-1] if low[g[0] : g[1]] == "e"]
        if not inner:
            break
        groups.remove(inner[-1])
    while len(groups) < count:  # a vowel pair sung as two: "li-on", "po-em"
        longest = max(groups, key=lambda g: g[1] - g[0], default=(0, 0))
        if longest[1] - longest[0] < 2:
            break
        i = groups.index(longest)
        groups[i : i + 1] = [(longest[0], longest[0] + 1), (longest[0] + 1, longest[1])]
    if len(groups) != count:  # as even as possible; count <= len(word) keeps parts whole
        cuts = [len(word) * i // count for i in range(count + 1)]
        return [word[a:b] for a, b in pairwise(cuts)]
    cuts = [0]
    for (_, end), (start, _) in pairwise(groups):
        run = low[end:start]
        onset = next((n for n in range(len(run), 0, -1) if run[-n:] in _ONSETS), 0)
        if low[start:] == "e" and len(run) > 1 and run[-1] == "l":
            onset = 2  # "ta-ble", "lit-tle", "can-dle"
        cut = start - onset
        cuts.append(cut + 1 if low[cut - 1 : cut + 1] in _KEEP_TOGETHER else cut)
    cuts.append(len(word))
    return [word[a:b] for a, b in pairwise(cuts)]


def _sound(phonemes: list[str], stresses: list[int]) -> str:
    """From the last stressed vowel to the end, spelled so that accents of espeak that do
    not change a rhyme (length, flapped t, reduced vowels) compare equal."""
    vowels = [i for i, p in enumerate(phonemes) if any(c in _IPA_VOWELS for c in p)]
    if not vowels:
        return ""
    stressed = [k for k, s in enumerate(stresses[: len(vowels)]) if s]
    sound = "".join(phonemes[vowels[stressed[-1] if stressed else -1] :])
    for old, new in (("ː", ""), ("ɾ", "t"), ("ʔ", "t"), ("ᵻ", "ɪ"), ("ɐ", "ə"), ("ɚ", "ɜ")):
        sound = sound.replace(old, new)
    return sound.replace("oɹ", "ɔɹ").replace("\u0329", "")


def _line(text: str, words: list[str], found: _Found) -> Line:
    syllables: list[Syllable] = []
    rhyme = ""
    for word in words:
        phonemes, stresses, spelled = found[word.lower()]
        parts = split_word(word, len(stresses))
        # A numeral can have more syllables than characters ("7"): its last part sings
        # the rest, with the strongest stress among them.
        stress = [*stresses[: len(parts) - 1], max(stresses[len(parts) - 1 :])]
        if len(parts) == 1 and word.lower() in FUNCTION_WORDS:
            stress = [0]
        for i, part in enumerate(parts):
            syllables.append(Syllable(part, stress[i], i == len(parts) - 1))
        rhyme = spelled if spelled is not None else _sound(phonemes, stresses)
    return Line(text, tuple(syllables), rhyme)


def scan_lines(texts: Sequence[str]) -> list[Line]:
    """Many lines with one espeak call; a line over ``MAX_LINE`` characters is refused."""
    for text in texts:
        if len(text) > MAX_LINE:
            raise MusicError(
                "music_line_long",
                f"A lyric line has {len(text)} characters; the limit is {MAX_LINE}.",
                "Break it into shorter lines, one sung phrase each.",
            )
    words = [words_of(text) for text in texts]
    found = _lookup(w for line in words for w in line)
    return [_line(text, ws, found) for text, ws in zip(texts, words, strict=True)]


def scan(text: str) -> Line:
    """One line: its syllables with their stress and the rhyme of its last word."""
    return scan_lines([text])[0]


def _shape(sound: str) -> tuple[str, str]:
    """The leading vowel and the class of the final sound ("" when it is a vowel)."""
    vowel = sound[: len(sound) - len(sound.lstrip(_VOWELS))]
    return vowel, "" if sound[-1] in _VOWELS else _CLASSES.get(sound[-1], sound[-1])


def rhymes(a: Line, b: Line) -> bool:
    """Same rhyme sound, or a near rhyme: the same last stressed vowel and a final consonant
    of the same class ("time"/"line"). The same last word twice is not a rhyme, and nor is
    a rhyme for the eye only: "love"/"move" have different vowels."""
    last = [w[-1].lower() if (w := words_of(line.text)) else "" for line in (a, b)]
    if not a.rhyme or not b.rhyme or last[0] == last[1]:
        return False
    return a.rhyme == b.rhyme or _shape(a.rhyme) == _shape(b.rhyme)


def meter(lines: Sequence[Line]) -> float:
    """Share of the sung lines (blank ones skipped) whose syllable count is within 2 of
    the median count; 1.0 when no line has a syllable."""
    counts = [len(line.syllables) for line in lines if line.syllables]
    if not counts:
        return 1.0
    middle = statistics.median(counts)
    return sum(abs(c - middle) <= 2 for c in counts) / len(counts)


def rhyme_sounds(words: Sequence[str], chunk: int = 1500) -> dict[str, str]:
    """Each word's rhyme sound as espeak-ng says it, for a whole word list (a rhyming
    dictionary); words espeak cannot say are left out, and the line cache is untouched.
    Empty when espeak-ng is missing."""
    sounds: dict[str, str] = {}
    for at in range(0, len(words), chunk):
        part = list(words[at : at + chunk])
        said = _espeak(part)
        if said is None:
            return sounds
        for word, ipa in zip(part, said, strict=True):
            phonemes, stresses = _parse(ipa)
            if stresses:
                sounds[word] = _sound(phonemes, stresses)
    return sounds


def rhyme_of(word: str) -> str:
    """The rhyme sound of one word ("eɪk" for "lake"), as lines are compared."""
    return scan(word).rhyme
