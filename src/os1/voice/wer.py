"""Word error rate: how far what was heard is from what was said (substitutions,
deletions and insertions over the words said).

Both sides are normalized first, as speech benchmarks do (the idea follows Whisper's
English text normalizer): lower case, no punctuation, and numbers written in words
become digits ("twenty one" and "21" are the same words heard), so a transcriber is not
charged for writing "9" where the script said "nine".
"""

from __future__ import annotations

# fmt: off
_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)
# fmt: on
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_VALUES = {word: n for n, word in enumerate(_UNITS)} | {
    word: 10 * n for n, word in enumerate(_TENS, start=2)
}
_SCALES = {"hundred": 100, "thousand": 1000}


def _numbers_as_digits(tokens: list[str]) -> list[str]:
    out: list[str] = []
    total = current = 0
    in_number = False
    for token in [*tokens, ""]:
        if token in _VALUES:
            current, in_number = current + _VALUES[token], True
        elif token in _SCALES and in_number:
            if _SCALES[token] == 100:
                current *= 100
            else:
                total, current = total + current * _SCALES[token], 0
        elif token == "and" and in_number:
            continue  # "one hundred and five"
        else:
            if in_number:
                out.append(str(total + current))
                total = current = 0
                in_number = False
            if token:
                out.append(token)
    return out


def words(text: str) -> list[str]:
    plain = "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower())
    return _numbers_as_digits(plain.split())


def word_errors(said: str, heard: str) -> tuple[int, int]:
    """(edits, words said): the Levenshtein distance between the two word lists."""
    ref, hyp = words(said), words(heard)
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, start=1):
        diagonal, row[0] = row[0], i
        for j, other in enumerate(hyp, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (word != other))
    return row[len(hyp)], len(ref)


def word_error_rate(pairs: list[tuple[str, str]]) -> float:
    """WER over many (said, heard) pairs: all edits over all words said."""
    edits = total = 0
    for said, heard in pairs:
        e, n = word_errors(said, heard)
        edits, total = edits + e, total + n
    return edits / total if total else 0.0
