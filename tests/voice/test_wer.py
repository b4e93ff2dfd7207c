"""Word error rate, the figure the voice benchmark reports."""

from __future__ import annotations

from os1.voice.wer import word_error_rate, word_errors, words


def test_counts_substitutions_deletions_and_insertions() -> None:
    assert word_errors("the cat sat", "the cat sat") == (0, 3)
    assert word_errors("the cat sat", "the bat sat") == (1, 3)
    assert word_errors("the cat sat", "the sat") == (1, 3)
    assert word_errors("the cat sat", "oh the cat sat down") == (2, 3)
    assert word_errors("Nine, please!", "nine please") == (0, 2)


def test_rate_over_many_sentences_and_nothing_said() -> None:
    assert word_error_rate([("a b c d", "a b c d"), ("e f", "e x")]) == 1 / 6
    assert word_error_rate([]) == 0.0
    assert word_errors("", "noise") == (1, 0)


def test_numbers_said_in_words_match_digits() -> None:
    assert words("It costs twenty one pounds") == ["it", "costs", "21", "pounds"]
    assert word_errors("Meet me at nine.", "Meet me at 9.") == (0, 4)
    assert word_errors("one hundred and five guests", "105 guests") == (0, 2)
    assert word_errors("two thousand twenty six", "2026") == (0, 1)
    assert word_errors("nine", "five") == (1, 1)  # a wrong number is still wrong
    assert words("bread and butter") == ["bread", "and", "butter"]
