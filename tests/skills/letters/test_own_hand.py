"""The person's own handwriting: the sheet prints, a scan or photo of it filled in becomes
a hand with several forms of each letter, and every bad picture gets a clear error with
nothing kept."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
import pytest
from filled_sheet import as_bytes, blank_sheet, filled_sheet, photographed
from PIL import Image
from pypdf import PdfReader

from conftest import run_cli
from os1.companion import Companion
from os1.core.letters import letter_sheets, render_letter
from os1.errors import LetterError
from os1.skills.letters.layout import PAGE_HEIGHT, PAGE_WIDTH, lay_out
from os1.skills.letters.render import draw_page, repeated_share
from os1.skills.letters.template import CHARACTERS, template_pdf

LETTER = (
    "Dear Rose,\n\nHappy ninetieth birthday! I keep thinking about the summers at the lake,"
    " the creaky jetty and your blackberry pie cooling on the windowsill. Every evening"
    " you taught me to skip stones, and I still see the rings on the water.\n\nLove, Sam"
)


@pytest.fixture(scope="module")
def sheet() -> bytes:
    return as_bytes(filled_sheet())


def test_the_sheet_is_one_a4_page_the_same_every_time() -> None:
    data = template_pdf()
    assert data == template_pdf()
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        (PAGE_WIDTH, PAGE_HEIGHT), abs=0.5
    )
    text = page.extract_text()
    assert "hand-learn" in text and "Q" in text and "@" in text


async def test_a_filled_sheet_becomes_a_hand_that_writes_letters_in_varied_forms(
    companion: Companion, sheet: bytes
) -> None:
    learned = await companion.letters.learn_hand("sam", sheet, "mine")
    assert (learned.name, learned.forms, learned.empty, learned.replaced) == (
        "mine", len(CHARACTERS), [], False,
    )  # fmt: skip
    assert learned.characters == len(set(CHARACTERS))
    listed = await companion.letters.hands("sam")
    assert [(h.name, h.own) for h in listed if h.own] == [("mine", True)]

    hand = await companion.letters.hand("sam", "mine")
    layout = lay_out(LETTER, hand, seed=3)
    assert layout.borrowed == {}
    glyphs = [g for page in layout.pages for g in page.glyphs]
    forms = Counter(g.drawn for g in glyphs if g.char == "e")
    assert len(forms) == 3  # every box of "e" is used
    last: dict[str, str] = {}
    for glyph in glyphs:  # the same form of a letter never twice in a row
        if glyph.char in hand.variants:
            assert last.get(glyph.char) != glyph.drawn, glyph.char
            last[glyph.char] = glyph.drawn
    drawn = draw_page(layout, 1)
    assert repeated_share(drawn.prints) < 0.10
    ink = np.asarray(drawn.image.convert("L")) < 120
    assert ink.mean() > 0.004  # the writing is on the page, not blank glyphs

    # written out like any other hand, the same pages for the same seed
    again = await companion.letters.learn_hand("sam", sheet, "mine")
    assert again.replaced and len(await companion.letters.hands("sam")) == len(listed)


async def test_a_photo_tilted_upside_down_or_shadowed_reads_the_same(
    companion: Companion,
) -> None:
    page = filled_sheet(seed=4)
    for turn, said in ((7.0, "tilted by"), (180.0, "upside down"), (90.0, "sideways")):
        photo = as_bytes(photographed(page, turn=turn, shadow=True))
        learned = await companion.letters.learn_hand("sam", photo, "mine")
        assert learned.forms == len(CHARACTERS), turn
        assert any(said in note for note in learned.notes), learned.notes


async def test_boxes_left_blank_are_written_by_another_hand_which_is_named(
    companion: Companion, tmp_path: object
) -> None:
    scan = as_bytes(filled_sheet(skip="0123456789Z"))
    learned = await companion.letters.learn_hand("sam", scan, "mine")
    assert sorted(learned.empty) == sorted("0123456789Z")
    hand = await companion.letters.hand("sam", "mine")
    sheets = await letter_sheets("Zoe turns 90 in 2027, café time!", hand)
    assert set(sheets.borrowed) == {"Z", "9", "0", "2", "7", "é"}
    assert set(sheets.borrowed.values()) == {"caveat"}


@pytest.mark.parametrize(
    ("picture", "code"),
    [
        (lambda: b"", "scan_empty"),
        (lambda: b"%PDF-1.4 not a picture", "scan_unreadable"),
        (lambda: as_bytes(filled_sheet())[:4000], "scan_unreadable"),
        (lambda: as_bytes(Image.new("L", (1240, 1754), 250)), "scan_no_grid"),
        (
            lambda: as_bytes(
                Image.fromarray(
                    (np.asarray(filled_sheet(), dtype=np.float32) * 0.2).astype(np.uint8)
                )
            ),
            "scan_too_dark",
        ),
        (lambda: as_bytes(blank_sheet()), "scan_blank"),
        (lambda: as_bytes(Image.new("L", (9000, 9000), 255), "PNG"), "scan_too_large"),
        (
            lambda: as_bytes(filled_sheet().transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
            "scan_no_grid",
        ),
    ],
    ids=["empty", "not-a-picture", "cut-short", "no-grid", "too-dark", "blank", "huge", "mirror"],
)
async def test_a_bad_picture_is_said_plainly_and_nothing_is_kept(
    companion: Companion, picture: object, code: str
) -> None:
    with pytest.raises(LetterError) as caught:
        await companion.letters.learn_hand("sam", picture(), "mine")  # type: ignore[operator]
    assert caught.value.code == code
    assert caught.value.hint  # what to do next
    assert not [h for h in await companion.letters.hands("sam") if h.own]


async def test_names_and_owners_of_hands(companion: Companion, sheet: bytes) -> None:
    for bad in ("caveat", "my hand!", "", "x" * 40):
        with pytest.raises(LetterError) as caught:
            await companion.letters.learn_hand("sam", sheet, bad)
        assert caught.value.code == "hand_name"
    await companion.letters.learn_hand("sam", sheet, "Mine")
    assert (await companion.letters.hand("sam", "MINE")).name == "mine"
    with pytest.raises(LetterError) as caught:  # another person cannot write in it
        await companion.letters.hand("ada", "mine")
    assert caught.value.code == "hand_unknown"
    assert await companion.letters.forget_hand("sam", "mine")
    assert not await companion.letters.forget_hand("sam", "mine")
    with pytest.raises(LetterError):
        await companion.letters.hand("sam", "mine")


async def test_a_letter_in_ones_own_hand_renders_identically_for_the_same_seed(
    companion: Companion, sheet: bytes, tmp_path: object
) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    await companion.letters.learn_hand("sam", sheet, "mine")
    hand = await companion.letters.hand("sam", "mine")
    first = await render_letter(LETTER, folder / "a", hand, seed=5)
    again = await render_letter(LETTER, folder / "b", hand, seed=5)
    assert first.pdf.read_bytes() == again.pdf.read_bytes()
    assert first.pngs[0].read_bytes() == again.pngs[0].read_bytes()
    fonts = PdfReader(first.pdf).pages[0]["/Resources"]["/Font"]
    assert any("os1-mine" in str(f.get_object()["/BaseFont"]) for f in fonts.values())


def test_the_cli_prints_the_sheet_learns_the_hand_and_writes_in_it(
    home: object, tmp_path: object, sheet: bytes
) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    made = run_cli(home, "letters", "hand-template", str(folder / "sheet.pdf"))  # type: ignore[arg-type]
    assert made.exit_code == 0, made.output
    assert (folder / "sheet.pdf").read_bytes() == template_pdf()
    scan = folder / "scan.jpg"
    scan.write_bytes(as_bytes(photographed(filled_sheet(), turn=180)))
    learned = run_cli(home, "letters", "hand-learn", str(scan), "--name", "mine")  # type: ignore[arg-type]
    assert learned.exit_code == 0, learned.output
    assert "Learned your hand 'mine'" in learned.output and "upside down" in learned.output
    listed = run_cli(home, "letters", "hands")  # type: ignore[arg-type]
    assert "mine (yours)" in listed.output
    text = folder / "note.txt"
    text.write_text(LETTER, "utf-8")
    written = run_cli(home, "letters", "render", str(text), "--hand", "mine", "--json")  # type: ignore[arg-type]
    assert written.exit_code == 0, written.output
    assert '"hand": "mine"' in written.output
    assert (folder / "note-letter" / "page-1.png").is_file()

    (folder / "dark.jpg").write_bytes(
        as_bytes(Image.fromarray((np.asarray(filled_sheet()) * 0.2).astype(np.uint8)))
    )
    dark = run_cli(home, "letters", "hand-learn", str(folder / "dark.jpg"))  # type: ignore[arg-type]
    assert dark.exit_code != 0 and "too dark" in dark.output
    missing = run_cli(home, "letters", "hand-learn", str(folder / "nowhere.jpg"))  # type: ignore[arg-type]
    assert missing.exit_code != 0 and "Cannot read" in missing.output
    gone = run_cli(home, "letters", "hand-forget", "mine")  # type: ignore[arg-type]
    assert gone.exit_code == 0 and "gone" in gone.output
    unknown = run_cli(home, "letters", "render", str(text), "--hand", "mine")  # type: ignore[arg-type]
    assert unknown.exit_code != 0 and "no hand called 'mine'" in unknown.output


async def test_a_letter_in_ones_own_hand_is_attached_to_a_mail_as_shown(
    companion: Companion, sheet: bytes
) -> None:
    from os1.skills.letters import archive
    from os1.skills.letters.attach import as_data, attached_pdf, letter_attachment
    from os1.skills.letters.compose import LetterDraft

    await companion.letters.learn_hand("sam", sheet, "mine")
    store = await companion.db.user("sam")
    kept = await archive.keep(store, LetterDraft("Rose", "her birthday", LETTER, (), (), ()))
    attachment = await letter_attachment(store, kept.letter, "Mine")
    assert attachment.hand == "mine" and "in mine" in attachment.describe()
    name, pdf = await attached_pdf(store, as_data(attachment))
    assert pdf.startswith(b"%PDF") and name == f"letter-{kept.letter}.pdf"
    other = await companion.db.user("ada")
    theirs = await archive.keep(other, LetterDraft("Bo", "hello", "Dear Bo, hello.", (), (), ()))
    with pytest.raises(LetterError) as caught:  # another person's hand is not theirs to use
        await letter_attachment(other, theirs.letter, "mine")
    assert caught.value.code == "hand_unknown"
