"""Letters drawn by hand: the same seed gives the same page, no two neighbouring letters
look alike, and bad input gets a clear error with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from os1.errors import LetterError
from os1.skills.letters import hands
from os1.skills.letters.layout import MARGINS, MAX_PAGES, PAGE_HEIGHT, PAGE_WIDTH, lay_out
from os1.skills.letters.render import draw_page, repeated_share, write_pdf, write_pngs

LETTER = (
    "Dear Grandma,\n\nHappy ninetieth birthday! I keep thinking about the summers at the"
    " lake: the creaky jetty, your blackberry pie cooling on the windowsill, and the"
    " evenings when you taught me to skip stones.\n\nWith all my love,\nSam"
)


def test_the_same_letter_and_seed_render_identically_and_another_seed_differs(
    tmp_path: Path,
) -> None:
    first, again, other = (lay_out(LETTER, "caveat", seed) for seed in (7, 7, 8))
    assert first == again
    assert first != other
    outputs = []
    for name, layout in (("a", first), ("b", again), ("c", other)):
        png = write_pngs(layout, tmp_path / name)[0].read_bytes()
        pdf = write_pdf(layout, tmp_path / name / "letter.pdf").read_bytes()
        outputs.append((png, pdf))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] != outputs[2][0] and outputs[0][1] != outputs[2][1]


@pytest.mark.parametrize("hand", hands.available_hands())
def test_neighbouring_same_letters_are_never_drawn_alike(hand: str) -> None:
    text = "Even the eleven green trees seemed sleepy; we kept the kettle near the embers. " * 4
    layout = lay_out(text, hand, seed=3)
    drawn = draw_page(layout, 1)
    assert sum(1 for char, _ in drawn.prints if char == "e") > 60
    assert repeated_share(drawn.prints) < 0.10


def test_a_long_letter_goes_onto_pages_and_stays_inside_the_margins(tmp_path: Path) -> None:
    layout = lay_out("\n\n".join([LETTER] * 12), "kalam", seed=1)
    assert 2 <= len(layout.pages) < MAX_PAGES
    left, right, top, bottom = MARGINS
    for page in layout.pages:
        for glyph in page.glyphs:
            assert left - 8 <= glyph.x <= PAGE_WIDTH - right + 4
            assert top - 4 <= glyph.y <= PAGE_HEIGHT - bottom + 6
    pdf = PdfReader(write_pdf(layout, tmp_path / "long.pdf"))
    assert len(pdf.pages) == len(layout.pages)
    fonts = [f.get_object() for f in pdf.pages[0]["/Resources"]["/Font"].values()]
    embedded = [f for f in fonts if "/FontFile2" in f.get("/FontDescriptor", {})]
    assert embedded, "the hand's glyphs are embedded as a TrueType font (vector, printable)"
    assert [p.name for p in write_pngs(layout, tmp_path / "pages")][:2] == [
        "page-1.png",
        "page-2.png",
    ]


def test_a_word_longer_than_a_line_is_broken_with_a_hyphen() -> None:
    layout = lay_out("x" * 400, "caveat", seed=2)
    glyphs = layout.pages[0].glyphs
    assert [g.char for g in glyphs].count("-") >= 2
    assert max(g.x for g in glyphs) <= PAGE_WIDTH - MARGINS[1] + 4


@pytest.mark.parametrize("text", ["", "   \n\n\t ", "\x00\u200b\ufeff"])
def test_an_empty_letter_is_refused(text: str) -> None:
    with pytest.raises(LetterError) as caught:
        lay_out(text)
    assert caught.value.code == "letter_empty"


def test_a_fifty_page_letter_is_refused_with_the_limit_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    paragraph = "A line of a very long letter that goes on and on about the weather. " * 10
    with pytest.raises(LetterError) as caught:
        lay_out("\n".join([paragraph] * 200), "caveat")
    assert caught.value.code == "letter_too_long"
    assert str(MAX_PAGES) in str(caught.value)
    assert not list(tmp_path.iterdir())


def test_a_character_the_hand_lacks_is_borrowed_from_another_hand_and_said() -> None:
    layout = lay_out("Namaste \u0928\u092e\u0938\u094d\u0924\u0947 from Sam", "caveat")
    assert layout.borrowed["\u0928"] == "kalam"
    drawn = {g.char: g.hand for g in layout.pages[0].glyphs}
    assert drawn["\u0928"] == "kalam" and drawn["S"] == "caveat"


def test_characters_no_hand_can_write_are_named() -> None:
    with pytest.raises(LetterError) as caught:
        lay_out("Hello \u4e2d\u6587")
    assert caught.value.code == "letter_characters"
    assert "\u4e2d" in str(caught.value)


def test_an_unknown_hand_lists_the_hands_there_are() -> None:
    with pytest.raises(LetterError) as caught:
        lay_out(LETTER, "comic-sans")
    assert caught.value.code == "hand_unknown"
    assert "caveat" in str(caught.value)


def test_a_missing_font_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        hands.KNOWN, "quill", ("fontpkg_not_installed_here", "Quill.ttf", 18.0, 1.5)
    )
    hands.load_hand.cache_clear()
    with pytest.raises(LetterError) as caught:
        lay_out(LETTER, "quill")
    assert caught.value.code == "hand_missing"
    assert "pip install fontpkg-not-installed-here" in str(caught.value)
    assert "quill" not in hands.available_hands()
