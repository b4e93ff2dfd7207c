"""A TrueType font made from the characters a person wrote on the template (fontTools).

Each box's ink becomes a glyph: its outlines and holes are traced (OpenCV contours on
the ink enlarged four times, so the edge is followed to a quarter pixel), simplified, and
drawn as smooth quadratic curves, the polygon's corners serving as control points and
the midpoints of its sides as points on the curve. The person's writing is scaled so
that their small letters are 500 units tall (half an em), and sits on the box's writing
line as on the baseline.

Every box of a character is kept: the first is the character itself, the others are
alternate glyphs ("a.v2", "a.v3") reached through Private Use code points, which the
layout picks among so that two neighbouring "e"s are two different "e"s
(``hands.variants`` reads them back by their glyph names).
"""

from __future__ import annotations

import io
import re
import statistics
from collections import defaultdict

import cv2
import numpy as np
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

from os1.errors import LetterError
from os1.skills.letters.hands import FIRST_ALTERNATE
from os1.skills.letters.scan import Cell

UNITS = 1000
X_HEIGHT = 500  # units the person's small letters are made to stand
SIDE = 32  # units of space either side of a glyph's ink
SPACE = 340  # the width of a space between words
UPSCALE = 4
_SHORT = set("acemnorsuvwxz")  # small letters with neither ascender nor descender

Point = tuple[float, float]


def _outlines(cell: Cell, scale: float) -> list[list[Point]]:
    """The closed outlines of a cell's ink in font units, outer ones clockwise and holes
    counter-clockwise (TrueType's rule), left edge of the ink at ``SIDE``."""
    big = cv2.resize(cell.ink, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_LINEAR)
    _, big = cv2.threshold(big, 127, 255, cv2.THRESH_BINARY)
    contours, hierarchy = cv2.findContours(big, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    columns = np.nonzero(cell.ink.any(axis=0))[0]
    left = float(columns[0])
    shapes = []
    for index, contour in enumerate(contours):
        if len(contour) < 6:
            continue
        simple = cv2.approxPolyDP(contour, 0.6 * UPSCALE, closed=True)[:, 0, :]
        if len(simple) < 3:
            continue
        points = [
            (
                round((x / UPSCALE - left) * scale + SIDE, 1),
                round((cell.baseline - y / UPSCALE) * scale, 1),
            )
            for x, y in simple
        ]
        is_hole = hierarchy[0][index][3] != -1
        clockwise = _signed_area(points) < 0
        if clockwise == is_hole:
            points.reverse()
        shapes.append(points)
    return shapes


def _signed_area(points: list[Point]) -> float:
    return 0.5 * sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
    )


def _draw(shapes: list[list[Point]]) -> object:
    pen = TTGlyphPen(None)
    for points in shapes:
        mids = [
            ((x0 + x1) / 2, (y0 + y1) / 2)
            for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
        ]
        pen.moveTo(mids[-1])
        for corner, mid in zip(points, mids, strict=True):
            pen.qCurveTo(corner, mid)
        pen.closePath()
    return pen.glyph()


def _scale(cells: list[Cell]) -> float:
    """Font units per pixel: the person's short small letters become ``X_HEIGHT`` tall."""
    heights = []
    for cell in cells:
        if cell.char in _SHORT:
            rows = np.nonzero(cell.ink.any(axis=1))[0]
            heights.append(cell.baseline - rows[0])
    if not heights:  # no small letters written: take the capitals as 1.4 times taller
        for cell in cells:
            if cell.char.isupper():
                rows = np.nonzero(cell.ink.any(axis=1))[0]
                heights.append((cell.baseline - rows[0]) / 1.4)
    height = statistics.median(heights) if heights else 0.0
    if height < 4:
        raise LetterError(
            "scan_unreadable_writing",
            "The letters in the boxes are too small or do not rest on the dotted line.",
            "Write each letter large enough to fill most of its box above the dotted line.",
        )
    return X_HEIGHT / height


def build_font(name: str, cells: list[Cell]) -> bytes:
    """The bytes of a TrueType font called "os1 <name>" drawn from ``cells``.

    Raises:
        LetterError: the writing cannot be measured (no letter of a usable size).
    """
    scale = _scale(cells)
    by_char: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_char[cell.char].append(cell)
    order, cmap = [".notdef", "space"], {32: "space"}
    glyphs = {".notdef": TTGlyphPen(None).glyph(), "space": TTGlyphPen(None).glyph()}
    metrics = {".notdef": (SPACE, 0), "space": (SPACE, 0)}
    alternate = FIRST_ALTERNATE
    for char, written in by_char.items():
        for number, cell in enumerate(written, 1):
            glyph_name = f"c{ord(char):04X}" + (f".v{number}" if number > 1 else "")
            shapes = _outlines(cell, scale)
            columns = np.nonzero(cell.ink.any(axis=0))[0]
            advance = round((columns[-1] - columns[0] + 1) * scale + 2 * SIDE)
            lsb = round(min((x for shape in shapes for x, _ in shape), default=SIDE))
            order.append(glyph_name)
            glyphs[glyph_name] = _draw(shapes)
            metrics[glyph_name] = (advance, lsb)
            if number == 1:
                cmap[ord(char)] = glyph_name
            else:
                cmap[alternate] = glyph_name
                alternate += 1
    heights = [y for cell_shapes in glyphs.values() for y in _ys(cell_shapes)]
    ascent = max([X_HEIGHT * 2, *heights])
    descent = min([-X_HEIGHT, *heights])
    builder = FontBuilder(UNITS, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=round(ascent), descent=round(descent))
    family = f"os1 {name}"
    builder.setupNameTable(
        {
            "familyName": family,
            "styleName": "Regular",
            "psName": "os1-" + re.sub(r"[^A-Za-z0-9-]", "", name)[:40],
            "version": "Version 1.0",
        }
    )
    builder.setupOS2(
        sTypoAscender=round(ascent), sTypoDescender=round(descent), sTypoLineGap=0,
        usWinAscent=round(ascent), usWinDescent=round(-descent), sxHeight=X_HEIGHT,
        sCapHeight=round(X_HEIGHT * 1.4), fsType=0,
    )  # fmt: skip
    builder.setupPost()
    buffer = io.BytesIO()
    builder.save(buffer)
    return buffer.getvalue()


def _ys(glyph: object) -> list[float]:
    coordinates = getattr(glyph, "coordinates", None)
    return [y for _, y in coordinates] if coordinates else []
