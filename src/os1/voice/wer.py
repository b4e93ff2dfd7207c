"""Word error rate: how far what was heard is from what was said (substitutions,
deletions and insertions over the words said), on lower-cased words without
punctuation, so "9" and "nine" differ but "Nine." and "nine" do not."""

from __future__ import annotations


def words(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split()


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
