"""The sheet a person fills in by hand so os1 can learn their handwriting.

One A4 page: a grid of boxes, each labelled (small and grey, above the box) with the
character to write in it, and a faint dotted line near the bottom of each box to write
on. Common small letters get three boxes and every other letter two, so the learned hand
has several forms of each and neighbouring letters are not stamped copies.

Four black squares in the corners let a scan or a photo be found, straightened and
turned the right way up: three are solid and the bottom-right one has a white hole, the
way a QR code marks its corners (an idea borrowed from QR codes' finder patterns).

Everything is in PDF points from the top-left corner of the page, shared with the scan
reader (``scan.py``), which maps a photo back onto these coordinates.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.pdfgen import canvas

from os1.skills.letters.layout import PAGE_HEIGHT, PAGE_WIDTH

VERSION = 1
MARKER = 24.0  # side of a corner square
MARKER_HOLE = 10.0  # side of the hole in the bottom-right square
MARKER_INSET = 28.0  # page edge to a square's outer edge
COLUMNS, ROWS = 10, 12
GRID_LEFT, GRID_TOP = 50.0, 84.0
GRID_WIDTH = PAGE_WIDTH - 2 * GRID_LEFT
ROW_HEIGHT = (PAGE_HEIGHT - 64.0 - GRID_TOP) / ROWS
LABEL_BAND = 10.0  # above each box, where its character is printed
BOX_HEIGHT = ROW_HEIGHT - LABEL_BAND - 3.0
BASELINE = 0.72  # where the writing line sits, as a share of the box height from its top

_FREQUENT = "etaoinsrhldcu"  # the small letters English uses most: a third box each
CHARACTERS = (
    "abcdefghijklmnopqrstuvwxyz" * 2 + _FREQUENT + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789"
    ".,;:!?'\"-()&/@"
)


@dataclass(frozen=True)
class Box:
    """One box of the grid: the character written in it and its corners in points."""

    char: str
    left: float
    top: float
    width: float
    height: float

    @property
    def baseline(self) -> float:
        return self.top + self.height * BASELINE


def boxes() -> list[Box]:
    """Every box of the template, row by row, in the order the characters are printed.

    Characters are sorted so that a letter's boxes sit together ("a a a b b c ...").
    """
    ordered = sorted(CHARACTERS, key=_order)
    width = GRID_WIDTH / COLUMNS
    found = []
    for index, char in enumerate(ordered):
        row, column = divmod(index, COLUMNS)
        left = GRID_LEFT + column * width + 2.0
        top = GRID_TOP + row * ROW_HEIGHT + LABEL_BAND
        found.append(Box(char, left, top, width - 4.0, BOX_HEIGHT))
    return found


def _order(char: str) -> tuple[int, str]:
    group = 0 if char.islower() else 1 if char.isupper() else 2 if char.isdigit() else 3
    return group, char if group < 3 else f"{CHARACTERS.index(char):03d}"


def marker_centres() -> dict[str, tuple[float, float]]:
    """The centre of each corner square: top-left, top-right, bottom-left, bottom-right."""
    near = MARKER_INSET + MARKER / 2
    return {
        "tl": (near, near),
        "tr": (PAGE_WIDTH - near, near),
        "bl": (near, PAGE_HEIGHT - near),
        "br": (PAGE_WIDTH - near, PAGE_HEIGHT - near),
    }


def template_pdf() -> bytes:
    """The template as a one-page PDF, the same bytes every time."""
    assert len(CHARACTERS) <= COLUMNS * ROWS
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1)
    pdf.setTitle("os1 handwriting template")

    def rect(left: float, top: float, width: float, height: float, **how: int) -> None:
        pdf.rect(left, PAGE_HEIGHT - top - height, width, height, **how)

    pdf.setFillColorRGB(0, 0, 0)
    for name, (x, y) in marker_centres().items():
        rect(x - MARKER / 2, y - MARKER / 2, MARKER, MARKER, stroke=0, fill=1)
        if name == "br":
            pdf.setFillColorRGB(1, 1, 1)
            rect(x - MARKER_HOLE / 2, y - MARKER_HOLE / 2, MARKER_HOLE, MARKER_HOLE,
                 stroke=0, fill=1)  # fmt: skip
            pdf.setFillColorRGB(0, 0, 0)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(GRID_LEFT + 20, PAGE_HEIGHT - 44, "Your handwriting for os1")
    pdf.setFont("Helvetica", 7.5)
    for number, line in enumerate(
        [
            "Write each character once in the box under it, in dark ink, resting on the"
            " dotted line and",
            "staying inside the box. Then scan or photograph the whole page, corners"
            " included, and run: os1 letters hand-learn SCAN.jpg",
        ]
    ):
        pdf.drawString(GRID_LEFT + 20, PAGE_HEIGHT - 56 - 9 * number, line)
    pdf.drawRightString(PAGE_WIDTH - GRID_LEFT - 20, PAGE_HEIGHT - 44, f"template {VERSION}")
    for box in boxes():
        pdf.setFillColorRGB(0.55, 0.55, 0.55)
        pdf.setFont("Helvetica", 7)
        pdf.drawString(box.left + 1.5, PAGE_HEIGHT - box.top + 2.5, box.char)
        pdf.setStrokeColorRGB(0.72, 0.72, 0.72)
        pdf.setLineWidth(0.5)
        pdf.setDash()
        rect(box.left, box.top, box.width, box.height, stroke=1, fill=0)
        pdf.setStrokeColorRGB(0.82, 0.82, 0.82)
        pdf.setDash(1, 2)
        y = PAGE_HEIGHT - box.baseline
        pdf.line(box.left + 4, y, box.left + box.width - 4, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
