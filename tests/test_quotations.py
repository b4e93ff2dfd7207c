"""Quotations found as a reader finds them: each mark pairs with the next. The words
between two short quotations are never taken for a quotation, so a made-up one cannot
hide behind them and the marks of true ones are never taken apart."""

from __future__ import annotations

from os1.quotations import quotations, unquote_unverified
from os1.skills.library.asking import Quote, checked_quotations
from os1.skills.personas.talking import QuoteGate

BETWEEN = 'The "sea" relationship with the "town" is "older than any harbour wall".'


def test_marks_pair_in_order_so_the_words_between_two_quotations_are_not_one() -> None:
    assert quotations(BETWEEN) == ["sea", "town", "older than any harbour wall"]
    assert quotations('He said “the tide” and then "waited.') == ["the tide"]
    assert quotations("") == [] and quotations('"') == [] and quotations("no marks") == []


def test_an_unverified_quotation_loses_its_marks_and_short_ones_keep_theirs() -> None:
    text, unverified = unquote_unverified(BETWEEN, lambda said: False)
    assert text == 'The "sea" relationship with the "town" is older than any harbour wall.'
    assert unverified == 1
    kept, none = unquote_unverified(BETWEEN, lambda said: said.startswith("older"))
    assert kept == BETWEEN and none == 0
    # an unclosed mark stays as written: it opens nothing to check
    assert unquote_unverified('He "never closed this one', lambda s: False) == (
        'He "never closed this one',
        0,
    )


def test_an_answer_from_the_books_keeps_true_quotations_whole() -> None:
    book = Quote(1, "Walls", "", "", 0, 40, "It is  older than any\nharbour wall, I think.")
    assert checked_quotations(BETWEEN, [book]) == (BETWEEN, 0)
    made_up = BETWEEN.replace("older", "younger")
    assert checked_quotations(made_up, [book]) == (made_up.replace('"younger', "younger")
                                                   .replace('wall"', "wall"), 1)  # fmt: skip


def test_the_streaming_gate_and_a_reader_agree_on_what_is_quoted() -> None:
    gate = QuoteGate([])
    streamed = "".join(gate.feed(char) for char in BETWEEN) + gate.flush()
    assert streamed == unquote_unverified(BETWEEN, lambda said: False)[0]
    assert gate.unverified == 1


def test_huge_and_hostile_text_is_handled_in_one_pass() -> None:
    hostile = '"' * 200_001 + "x" * 10 + "“”" * 50_000
    text, unverified = unquote_unverified(hostile, lambda said: False)
    assert unverified == 0 and len(text) == len(hostile)
    assert len(quotations(hostile)) == (200_001 + 100_000) // 2
