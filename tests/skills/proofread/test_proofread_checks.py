"""The dictionary and rule checks on letters with known mistakes: every mistake found at
the right place, applying them gives the corrected letter, and correct writing (names,
British spelling, links, code, units) is left alone."""

from __future__ import annotations

import pytest

from os1.skills.proofread.diff import apply, inline, unified
from os1.skills.proofread.review import Suggestion, review

LETTER = (
    "dear Mrs Hallworth,\n\n"
    "Thank you for your letter of 3 May. I recieve it on Tuesday and i was glad to to hear"
    " from you.\n"
    "Its been a busy spring: we visited a old mill and spent a hour there , which was"
    " definately worth it.\n"
    "I could of written sooner, but I had alot to do.  The report is at"
    " https://example.com/teh-report and my address is jon@exmaple.com; the script is"
    " `recieve_mail()`.\n\n"
    "Yours sincerely,\nJon Hallworth\n"
)

CORRECTED = (
    "Dear Mrs Hallworth,\n\n"
    "Thank you for your letter of 3 May. I receive it on Tuesday and I was glad to hear"
    " from you.\n"
    "It's been a busy spring: we visited an old mill and spent an hour there, which was"
    " definitely worth it.\n"
    "I could have written sooner, but I had a lot to do. The report is at"
    " https://example.com/teh-report and my address is jon@exmaple.com; the script is"
    " `recieve_mail()`.\n\n"
    "Yours sincerely,\nJon Hallworth\n"
)

CLEAN = """Dear Amy,

Thank you for the lovely colour photographs of the centre of town. I have organised the
travel, and we will meet at an hour that suits you: a unique chance, and an honest one.
NASA's report (see https://nasa.gov/x) is a useful read, e.g. for the section on Europe.
The café was nice. It's 3.5 km away; that's fine. Plan A or B? We'll see.
Ask Zebulon, or Zebulon's sister, about the `teh` command.

Love,
Tom
"""


async def test_each_known_mistake_is_found_where_it_is() -> None:
    found = (await review(LETTER)).suggestions
    pairs = [(s.original, s.replacement) for s in found]
    assert pairs == [
        ("dear", "Dear"),
        ("recieve", "receive"),
        ("i", "I"),
        ("to to", "to"),
        ("Its", "It's"),
        ("a", "an"),
        ("a", "an"),
        (" ,", ","),
        ("definately", "definitely"),
        ("of", "have"),
        ("alot", "a lot"),
        ("  ", " "),
    ]
    for s in found:
        assert LETTER[s.start : s.end] == s.original  # offsets point at the words
        assert s.reason and s.kind in ("spelling", "grammar", "style")
    assert {s.source for s in found} == {"rules", "dictionary"}
    assert apply(LETTER, found) == CORRECTED


async def test_correct_writing_gets_no_suggestions() -> None:
    assert (await review(CLEAN)).suggestions == []


async def test_links_addresses_and_code_are_never_corrected() -> None:
    text = "See www.exmaple.com/recieve or `teh` and mail recieve@exmaple.com today."
    assert (await review(text)).suggestions == []


async def test_a_name_used_once_is_questioned_with_a_way_out() -> None:
    found = (await review("We met Smyth at the station.")).suggestions
    assert len(found) == 1 and found[0].original == "Smyth"
    assert "if it is a name, reject this" in found[0].reason


async def test_a_misspelt_word_starting_a_sentence_gets_one_fix() -> None:
    text = "It rained. teh garden is wet."
    found = (await review(text)).suggestions
    assert [(s.original, s.replacement) for s in found] == [("teh", "The")]


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("I could of known.", "I could have known."),
        ("I could of course go.", "I could of course go."),
        ("It is bigger then the last one.", "It is bigger than the last one."),
        ("Their is a problem.", "There is a problem."),
        ("The dog wagged it's own tail.", "The dog wagged its own tail."),
        ("A unicorn, an umbrella, a hour.", "A unicorn, an umbrella, an hour."),
        ("She had had enough.", "She had had enough."),
        ("Thanks. see you soon, i.e. on Monday.", "Thanks. See you soon, i.e. on Monday."),
        ("im sure thats right.", "I'm sure that's right."),
    ],
)  # fmt: skip
async def test_rules_fix_clear_cases_and_leave_the_rest(text: str, fixed: str) -> None:
    assert apply(text, (await review(text)).suggestions) == fixed


def test_diffs_show_old_and_new_words() -> None:
    s = Suggestion(2, 9, "recieve", "receive", "spelling", "typo", "dictionary")
    text = "I recieve it\nnext line"
    assert inline(text, s) == "I [-recieve-]{+receive+} it"
    assert unified(text, apply(text, [s]), "a.txt").splitlines()[2:] == [
        "@@ -1,2 +1,2 @@",
        "-I recieve it",
        "+I receive it",
        " next line",
    ]


def test_stale_or_overlapping_suggestions_are_refused() -> None:
    first = Suggestion(2, 9, "recieve", "receive", "spelling", "typo", "dictionary")
    inside = Suggestion(4, 9, "cieve", "ceive", "spelling", "typo", "model")
    with pytest.raises(ValueError, match="at once"):
        apply("I recieve it", [first, inside])
    with pytest.raises(ValueError, match="no longer where it was"):
        apply("I received it", [first])
