"""The passage index: the words that tell a query apart are the ones searched, a book
taken out is gone from every search, and the writer's lock is named, not crashed on."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.errors import LibraryError
from os1.skills.library.index import PassageIndex, telling
from os1.skills.library.passages import Passage


def _passage(text: str) -> Passage:
    return Passage(text, 0, len(text), "", 0, len(text.encode()))


def test_a_question_is_searched_by_the_words_that_tell() -> None:
    assert telling("What does the book say about the sea?") == "book sea?"
    assert telling('the "old man" and the sea') == '"old man" sea'
    assert telling('"to be or not to be"') == '"to be or not to be"'  # a phrase stays whole
    assert telling("the") == "the"  # nothing else to go on


def test_a_book_taken_out_is_gone_and_others_stay(tmp_path: Path) -> None:
    index = PassageIndex(tmp_path / "index")
    index.add(1, [_passage("The keeper lit the lamp at the lighthouse.")])
    index.add(2, [_passage("The keeper of the bees walked to the lighthouse.")])
    index.add(3, [_passage("A lighthouse keeper in a book read twice.")])
    index.remove([3])  # before the commit, as a refused book is
    index.close()
    assert sorted(f.book for f in index.search("lighthouse keeper")) == [1, 2]
    index.remove([1])
    index.close()
    assert [f.book for f in index.search("lighthouse")] == [2]
    assert index.passages() == 1
    assert [f.book for f in index.search("What does the book say about bees?")] == [2]


def test_a_second_writer_is_told_the_library_is_busy(tmp_path: Path) -> None:
    first, second = PassageIndex(tmp_path / "index"), PassageIndex(tmp_path / "index")
    first.hold()
    with pytest.raises(LibraryError) as caught:
        second.hold()
    assert caught.value.code == "library_busy" and caught.value.hint
    first.abandon()
    second.hold()  # free again once the first let go
    second.abandon()
