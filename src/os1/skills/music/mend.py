"""Lines of a song mended where they do not scan: a second line and fourth that do not
rhyme, a line far longer or shorter than its neighbours.

The small local model seldom rhymes by itself, so code does the part it cannot: the
rhyming dictionary (``rhymebook``) names the words that rhyme with line 2's last word,
and the model rewrites line 4 under a grammar that lets it end only on one of them (or
rewrites line 2 to rhyme with line 4, when line 2's word has no rhymes). A line that
breaks the meter is written again within the length its neighbours have. Each line is
asked for once; a mend is kept only when the section scans better for it.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

from os1.models.base import LLM, ChatMessage, GenerationOptions, complete_json
from os1.skills.music.moment import clean
from os1.skills.music.plan import Lyrics
from os1.skills.music.words import FUNCTION_WORDS, Line, rhymes, scan_lines, words_of

STANZAS = ("verse 1", "chorus", "verse 2")
LONGEST = 12  # syllables a line may have and still be sung in eighths
_SYSTEM = (
    "You help a person finish a song by rewriting one line of it. The new line carries "
    "the verse's story a little further in plain spoken words, and ends on the word it "
    "is asked to end on. For example, for the verse 'the sun was low / we walked along "
    "the shore / the wind was soft / and I forgot the time' asked to end line 4 on one "
    'of before, more, door, the answer is {"line": "and held your hand forever more"}; '
    "for 'you called me late / the rain was on the glass / we talked for hours / and "
    "never said goodbye' asked to end line 4 on one of fast, last, past, the answer is "
    '{"line": "and hoped that night would last"}. Answer with compact JSON.'
)


def _ask(pattern: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"line": {"type": "string", "pattern": pattern}},
        "required": ["line"],
        "additionalProperties": False,
    }


SHORT, LONG = 20, 44  # characters a rewritten line takes: about six to eleven syllables


def _body(lines: list[Line], change: int, ending: int) -> tuple[int, int]:
    """How many characters may come before a rhyme word ``ending`` long, for the new
    line to be about as long as the others (so the rhyme keeps the meter)."""
    others = sorted(len(line.text) for i, line in enumerate(lines) if i != change)
    middle = min(max(others[len(others) // 2], SHORT), LONG)
    return max(6, int(middle * 0.8) - ending - 1), max(10, int(middle * 1.1) - ending - 1)


async def _rewrite(
    llm: LLM, lines: list[Line], index: int, ask: str, pattern: str, seed: int
) -> str:
    shown = " / ".join(line.text for line in lines)
    messages = [
        ChatMessage("system", _SYSTEM),
        ChatMessage("user", f"The verse: '{shown}'. {ask} Answer with JSON."),
    ]
    options = GenerationOptions(max_tokens=60, temperature=0.7, seed=seed + index)
    answer = await complete_json(llm, messages, _ask(pattern), options)
    said = " ".join(str(answer.get("line", "")).split())  # a backend may not keep the schema
    return clean(said, LONG + 16) or lines[index].text


async def _rhymed(
    llm: LLM, lines: list[Line], book: dict[str, list[str]], seed: int
) -> list[str] | None:
    """The stanza with line 4 (or line 2) rewritten to rhyme, or None if no rhyme for
    either line's last word is known."""
    from os1.skills.music.rhymebook import rhymes_for

    for keep, change in ((1, 3), (3, 1)):
        last = words_of(lines[keep].text)[-1:] or [""]
        if last[0].lower() in FUNCTION_WORDS:  # "we" / "free" is no rhyme to build on
            continue
        found = rhymes_for(book, last[0], limit=6)
        if not found:
            continue
        words = "|".join(re.escape(w) for w in found)
        low, high = _body(lines, change, max(len(w) for w in found) + 1)
        pattern = f"^[A-Za-z][a-z ']{{{low},{high}}} ({words})$"
        ask = (
            f"Write line {change + 1} again so that it ends on one of {', '.join(found)} "
            f'(they rhyme with "{last[0]}").'
        )
        texts = [line.text for line in lines]
        texts[change] = await _rewrite(llm, lines, change, ask, pattern, seed)
        return texts
    return None


async def _metered(llm: LLM, lines: list[Line], seed: int) -> list[str]:
    """The stanza with its line furthest from the meter (too long to sing, or more than
    two syllables off the others) written again, about as long as a line should be."""
    counts = [len(line.syllables) for line in lines]
    middle = min(statistics.median(counts), 9)
    worst = max(range(len(lines)), key=lambda i: abs(counts[i] - middle))
    texts = [line.text for line in lines]
    if abs(counts[worst] - middle) <= 2 and counts[worst] <= LONGEST:
        return texts
    size = "long" if counts[worst] > middle else "short"
    ask = (
        f"Line {worst + 1} is too {size} for the tune: write it again, about the same "
        f"thing, in about {round(middle)} syllables, ending on the same word."
    )
    pattern = f"^[A-Za-z][A-Za-z ,']{{{SHORT - 1},{LONG - 1}}}$"
    texts[worst] = await _rewrite(llm, lines, worst, ask, pattern, seed)
    return texts


def _score(lines: list[Line]) -> tuple[int, int]:
    """(rhymes, lines within the meter): higher is better."""
    counts = [len(line.syllables) for line in lines]
    middle = statistics.median(counts) if counts else 0
    fine = sum(abs(c - middle) <= 2 and c <= LONGEST for c in counts)
    return (int(len(lines) >= 4 and rhymes(lines[1], lines[3])), fine)


async def mended(
    llm: LLM, lyrics: Lyrics, book: dict[str, list[str]], seed: int = 0
) -> tuple[Lyrics, int]:
    """The lyrics with each stanza's meter and rhyme mended where they fail, and how
    many lines the model was asked for."""
    asked = 0
    for name in STANZAS:
        lines = scan_lines(list(lyrics.stanza(name)))
        for step in ("meter", "rhyme", "meter"):  # a rhyme written in may need its length
            before = _score(lines)
            if step == "rhyme":
                if before[0] or not book:
                    continue
                texts = await _rhymed(llm, lines, book, seed)
                if texts is None:
                    continue
            else:
                texts = await _metered(llm, lines, seed)
                if texts == [line.text for line in lines]:
                    continue
            asked += 1
            again = scan_lines(texts)
            if _score(again) > before:
                lines = again
        lyrics = lyrics.with_stanza(name, tuple(line.text for line in lines))
    return lyrics, asked
