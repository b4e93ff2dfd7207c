"""Ukulele fingerings a player would trust, and chord diagrams that are valid SVG."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from os1.errors import MusicError
from os1.skills.music.ukulele import (
    QUALITIES,
    Fingering,
    diagram_svg,
    fingering,
    parse_symbol,
    sheet_svg,
)

OPEN = (7, 0, 4, 9)  # G C E A
ROOTS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
ALL_SYMBOLS = [root + quality for root in ROOTS for quality in QUALITIES]
SVG = "{http://www.w3.org/2000/svg}"


def frets(symbol: str) -> str:
    return "".join(str(f) for f in fingering(symbol).frets)


def sounded(f: Fingering) -> set[int]:
    return {(o + fret) % 12 for o, fret in zip(OPEN, f.frets, strict=True)}


def texts(svg: ET.Element) -> list[str | None]:
    return [t.text for t in svg.iter(f"{SVG}text")]


def chord_tones(symbol: str) -> set[int]:
    root, intervals = parse_symbol(symbol)
    return {(root + i) % 12 for i in intervals}


@pytest.mark.parametrize(
    ("symbol", "shape"),
    [
        ("C", "0003"),
        ("Am", "2000"),
        ("F", "2010"),
        ("G", "0232"),
        ("Em", "0432"),
        ("Dm", "2210"),
        ("D", "2220"),
        ("A", "2100"),
        ("E7", "1202"),
        ("G7", "0212"),
        ("C7", "0001"),
        ("A7", "0100"),
        ("Bb", "3211"),
        ("Fm", "1013"),
        ("Cm", "0333"),
    ],
)
def test_the_shapes_a_player_knows(symbol: str, shape: str) -> None:
    assert frets(symbol) == shape
    assert fingering(symbol).base == 1


def test_e_major_is_one_of_its_two_book_shapes() -> None:
    assert frets("E") in {"4442", "1402"}
    assert sounded(fingering("E")) == {4, 8, 11}


def test_symbols_parse_to_root_and_intervals() -> None:
    assert parse_symbol("C") == (0, (0, 4, 7))
    assert parse_symbol("F#m") == (6, (0, 3, 7))
    assert parse_symbol("Bbm7b5") == (10, (0, 3, 6, 10))
    assert parse_symbol("Cb") == (11, (0, 4, 7))
    assert parse_symbol("Dmaj7") == (2, (0, 4, 7, 11))


def test_unicode_accidentals_mean_the_same_as_ascii_ones() -> None:
    assert parse_symbol("F♯m") == parse_symbol("F#m")
    assert parse_symbol("B♭7") == parse_symbol("Bb7")
    assert fingering("E♭").frets == fingering("Eb").frets


def test_enharmonic_spellings_get_the_same_shape() -> None:
    assert fingering("C#7").frets == fingering("Db7").frets
    assert fingering("G#m").frets == fingering("Abm").frets


def test_the_fingering_keeps_the_symbol_as_given() -> None:
    assert fingering("F#m").symbol == "F#m"


@pytest.mark.parametrize("symbol", ALL_SYMBOLS)
def test_every_fingering_sounds_exactly_the_chord_within_four_frets(symbol: str) -> None:
    f = fingering(symbol)
    assert sounded(f) == chord_tones(symbol)
    assert all(0 <= fret <= 7 for fret in f.frets)
    fretted = [fret for fret in f.frets if fret]
    if fretted:
        assert max(fretted) - min(fretted) <= 3
    # Every fretted note must land on the diagram's four fret spaces.
    assert all(f.base <= fret < f.base + 4 for fret in fretted)


def test_a_shape_high_on_the_neck_shows_its_first_fret() -> None:
    high = [fingering(s) for s in ALL_SYMBOLS if max(fingering(s).frets) > 4]
    assert high, "some chord sits above the fourth fret"
    for f in high:
        assert f.base == min(fret for fret in f.frets if fret)
        assert f"{f.base}fr" in texts(ET.fromstring(diagram_svg(f)))


def test_fingering_is_deterministic_and_fast() -> None:
    fingering.cache_clear()
    start = time.perf_counter()
    first = [fingering(s) for s in ALL_SYMBOLS]
    assert time.perf_counter() - start < 1.0
    fingering.cache_clear()
    assert [fingering(s) for s in ALL_SYMBOLS] == first


@pytest.mark.parametrize("symbol", ["H", "", "Cxyz", "x" * 500, "<script>", "c", "C##", "Cm7b9"])
def test_unknown_symbols_are_refused_with_the_code(symbol: str) -> None:
    with pytest.raises(MusicError) as caught:
        fingering(symbol)
    assert caught.value.code == "music_chord_unknown"
    assert "maj7" in caught.value.hint
    assert len(caught.value.message) < 120  # a junk symbol is not echoed whole


def test_the_message_names_the_symbol() -> None:
    with pytest.raises(MusicError, match="Cxyz"):
        parse_symbol("Cxyz")


def test_a_diagram_is_a_valid_svg_document() -> None:
    root = ET.fromstring(diagram_svg(fingering("G")))
    assert root.tag == f"{SVG}svg"
    assert root.get("width") and root.get("height") and root.get("viewBox")
    assert texts(root) == ["G"]
    assert len([line for line in root.iter(f"{SVG}line")]) == 5 + 4  # frets and strings
    assert len(root.findall(f".//{SVG}circle[@class='fretted']")) == 3  # 0232
    assert len(root.findall(f".//{SVG}circle[@class='open']")) == 1


def test_the_nut_is_drawn_thick_only_at_the_first_fret() -> None:
    low = ET.fromstring(diagram_svg(Fingering("C", (0, 0, 0, 3), 1)))
    high = ET.fromstring(diagram_svg(Fingering("Ddim", (7, 5, 4, 5), 4)))
    assert next(low.iter(f"{SVG}line")).get("stroke-width") == "4"
    assert "4" not in [line.get("stroke-width") for line in high.iter(f"{SVG}line")]
    assert texts(low) == ["C"]
    assert texts(high) == ["Ddim", "4fr"]


def test_a_hostile_symbol_is_escaped_in_the_diagram() -> None:
    svg = diagram_svg(Fingering("<b>&\x00", (0, 0, 0, 3), 1))
    root = ET.fromstring(svg)
    assert "<b>" not in svg
    assert texts(root) == ["<b>&"]


def test_a_sheet_has_each_chord_once_in_first_use_order() -> None:
    song = ["C", "G", "Am", "F", "C", "G", "F", "C", "Em", "Dm", "G7", "C"]
    root = ET.fromstring(sheet_svg(song, per_row=3))
    chords = root.findall(f"{SVG}g[@class='chord']")
    names = [g.find(f"{SVG}text").text for g in chords]  # type: ignore[union-attr]
    assert names == ["C", "G", "Am", "F", "Em", "Dm", "G7"]
    assert root.get("width") == str(3 * 84)
    assert root.get("height") == str(3 * 112)  # 7 chords, 3 a row
    assert root.get("viewBox") == f"0 0 {3 * 84} {3 * 112}"


def test_a_sheet_refuses_an_unknown_chord_before_drawing() -> None:
    with pytest.raises(MusicError) as caught:
        sheet_svg(["C", "<script>"])
    assert caught.value.code == "music_chord_unknown"


def test_a_sheet_without_chords_is_still_valid_svg() -> None:
    assert ET.fromstring(sheet_svg([])).get("width") == "0"


def test_a_sheet_needs_at_least_one_chord_a_row() -> None:
    with pytest.raises(ValueError, match="per_row"):
        sheet_svg(["C"], per_row=0)
