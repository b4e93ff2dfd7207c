"""Reading a filled-in handwriting template from a scan or a photo (OpenCV).

1. The picture is decoded, checked for light (a page in the dark is said, not guessed at)
   and turned to ink and paper with Otsu's threshold.
2. The four corner squares are found among the blobs of ink: square, solid, of one size,
   and exactly one of them with a hole, which marks the bottom-right corner. That one
   mark tells which way up the page is, so a scan upside down or sideways is read as
   well as an upright one (and the reader says it turned it).
3. The page is mapped back onto the template's own coordinates through the four centres
   (a perspective transform: a photo taken at an angle is straightened too).
4. Each box is cut out a little inside its printed border, and its ink kept when there is
   enough of it to be a character; specks are dropped.

What comes out is a mask of ink per box, at ``PIXELS_PER_POINT`` pixels a point, with
where the box's writing line and left edge fall in it, for the font builder.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from os1.errors import LetterError
from os1.skills.letters.layout import PAGE_HEIGHT, PAGE_WIDTH
from os1.skills.letters.own_hands import check_scan_size
from os1.skills.letters.template import MARKER, MARKER_HOLE, Box, boxes, marker_centres

PIXELS_PER_POINT = 200 / 72  # the straightened page is read at 200 dpi
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; beyond that, a picture is not a scan
WORK_SIDE = 2400  # long side the picture is brought to before it is read
INSET = 3.5  # points cut off inside each box's printed border
MIN_INK = 0.004  # share of a box that must be ink for it to hold a character
TOO_DARK = 70  # the paper's brightness (0-255) below which a picture cannot be read


@dataclass(frozen=True)
class Cell:
    """The ink written in one box: a mask (255 ink, 0 paper) cut from the straightened
    page, and where the box's writing line and left edge fall in that mask (pixels)."""

    char: str
    ink: np.ndarray
    baseline: float
    left: float


@dataclass
class Scanned:
    """What was read off a template: the boxes with ink, and what was done on the way."""

    cells: list[Cell]
    empty: list[str]  # characters whose boxes were left blank
    notes: list[str] = field(default_factory=list)  # "turned it upside down", ...


def _decode(data: bytes) -> np.ndarray:
    if not data:
        raise LetterError(
            "scan_empty", "The scan is empty.", "Send the picture file of the template."
        )
    check_scan_size(len(data))
    try:  # the size from the header alone, before anything is decoded
        with Image.open(io.BytesIO(data)) as head:
            width, height = head.size
    except (OSError, ValueError, Image.DecompressionBombError):
        width = height = 0
    if width * height > MAX_PIXELS:
        raise LetterError(
            "scan_too_large",
            f"The picture is {width}x{height} pixels, more than os1 reads.",
            "Save it at a lower resolution (300 dpi is plenty) and try again.",
        )
    buffer = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)
    if image is None or image.size == 0:
        raise LetterError(
            "scan_unreadable",
            "The file is not a picture os1 can read.",
            "Use a PNG or JPEG scan or photo of the filled-in template.",
        )
    scale = WORK_SIDE / max(image.shape)
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image


def _binary(gray: np.ndarray) -> np.ndarray:
    """Ink as 255, paper as 0; a clear error for a picture too dark or too blank."""
    paper = float(np.percentile(gray, 90))
    if paper < TOO_DARK:
        raise LetterError(
            "scan_too_dark",
            f"The scan is too dark to read (its paper is {paper / 2.55:.0f}% bright).",
            "Scan it again, or photograph it in daylight without a shadow on the page.",
        )
    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    _, ink = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


@dataclass(frozen=True)
class _Blob:
    centre: tuple[float, float]
    area: float  # with any hole filled in
    holed: bool


def _square_blobs(ink: np.ndarray) -> list[_Blob]:
    """Solid, square-ish blobs of ink, each marked as having a hole or not."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    smallest = (min(ink.shape) * 0.012) ** 2
    found = []
    for index, contour in enumerate(contours):
        if hierarchy[0][index][3] != -1:
            continue  # a hole, not an outline
        area = cv2.contourArea(contour)
        if area < smallest:
            continue
        (cx, cy), (w, h), _ = cv2.minAreaRect(contour)
        if not w or not h or max(w, h) / min(w, h) > 1.35 or area / (w * h) < 0.82:
            continue
        holes = []
        child = hierarchy[0][index][2]
        while child != -1:
            holes.append(cv2.contourArea(contours[child]))
            child = hierarchy[0][child][0]
        biggest = max(holes, default=0.0)
        share = (MARKER_HOLE / MARKER) ** 2
        holed = share * 0.4 < biggest / area < share * 2.2
        if biggest / area >= share * 2.2:
            continue  # an empty frame, such as a box of the grid
        found.append(_Blob((cx, cy), area, holed))
    return found


def _corners(ink: np.ndarray) -> dict[str, tuple[float, float]]:
    """Where the four corner squares are in the picture, by name ("tl", "br", ...)."""
    blobs = sorted(_square_blobs(ink), key=lambda b: -b.area)
    for start in range(len(blobs)):
        group = [b for b in blobs[start:] if b.area >= blobs[start].area * 0.45][:4]
        if len(group) == 4 and sum(b.holed for b in group) == 1:
            break
    else:
        if float(np.mean(ink)) / 255 > 0.55:
            raise LetterError(
                "scan_too_dark",
                "Most of the picture reads as ink, so no page can be told from its writing.",
                "Scan it again with more light, or photograph the page on a lighter table.",
            )
        raise LetterError(
            "scan_no_grid",
            "The four corner squares of the template were not found in the picture.",
            "Make sure the whole page is in the picture, corners included; print the"
            " template with `os1 letters hand-template`.",
        )
    holed = next(b for b in group if b.holed)
    solid = [b for b in group if not b.holed]
    far = max(solid, key=lambda b: math.dist(b.centre, holed.centre))
    (x0, y0), (x1, y1) = far.centre, holed.centre
    named = {"tl": far.centre, "br": holed.centre}
    for blob in solid:
        if blob is far:
            continue
        x, y = blob.centre  # which side of the diagonal tl-br it lies on
        across = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)
        named["tr" if across < 0 else "bl"] = blob.centre
    # the page is taller than wide; a mirror image swaps its sides, and the tallness with it
    if len(named) == 4:
        wide = math.dist(named["tl"], named["tr"])
        tall = math.dist(named["tl"], named["bl"])
        if not 0.45 < wide / tall < 0.95:
            named.clear()
    if len(named) != 4:
        raise LetterError(
            "scan_no_grid",
            "The corner squares do not make a page (is it a mirror image?).",
            "Scan the printed template itself, the right way round.",
        )
    return named


def _turn(corners: dict[str, tuple[float, float]]) -> float:
    """How far the page is turned in the picture, in degrees (0 upright, 180 upside down)."""
    (x0, y0), (x1, y1) = corners["tl"], corners["tr"]
    return math.degrees(math.atan2(y1 - y0, x1 - x0)) % 360


def _straighten(gray: np.ndarray, corners: dict[str, tuple[float, float]]) -> np.ndarray:
    wanted = marker_centres()
    names = ["tl", "tr", "bl", "br"]
    source = np.array([corners[n] for n in names], dtype=np.float32)
    target = np.array([wanted[n] for n in names], dtype=np.float32) * PIXELS_PER_POINT
    matrix = cv2.getPerspectiveTransform(source, target)
    size = (round(PAGE_WIDTH * PIXELS_PER_POINT), round(PAGE_HEIGHT * PIXELS_PER_POINT))
    return cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_LINEAR, borderValue=255)


def _cell(page: np.ndarray, threshold: float, box: Box) -> Cell | None:
    s = PIXELS_PER_POINT
    left, top = round((box.left + INSET) * s), round((box.top + INSET) * s)
    right = round((box.left + box.width - INSET) * s)
    bottom = round((box.top + box.height - INSET) * s)
    crop = page[top:bottom, left:right]
    # ink is darker than the page's threshold and than the paper around it: a shadow
    # across a photo darkens both, the faint printed writing line neither
    local = cv2.GaussianBlur(crop, (0, 0), 9)
    dark = (crop < threshold) & (crop.astype(np.int16) < local.astype(np.int16) - 18)
    ink: np.ndarray = dark.astype(np.uint8) * 255
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    specks = max(6, round(0.0006 * ink.size))
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] < specks:
            ink[labels == label] = 0
    if np.count_nonzero(ink) < MIN_INK * ink.size:
        return None
    return Cell(box.char, ink, box.baseline * s - top, box.left * s - left)


def read_scan(data: bytes) -> Scanned:
    """The characters written on a filled-in template, from the bytes of its picture.

    Raises:
        LetterError: not a picture, too large, too dark, no template found in it, or
            no box filled in.
    """
    gray = _decode(data)
    corners = _corners(_binary(gray))
    notes = []
    turn = _turn(corners)
    if 135 <= turn < 225:
        notes.append("The page was upside down in the picture; it was read turned round.")
    elif 45 <= turn < 135 or 225 <= turn < 315:
        notes.append("The page was sideways in the picture; it was read turned upright.")
    elif 1.5 <= turn < 45 or 315 <= turn <= 358.5:
        skew = turn if turn < 45 else turn - 360
        notes.append(f"The page was tilted by {abs(skew):.0f}°; it was straightened.")
    page = _straighten(gray, corners)
    grid = page[round(70 * PIXELS_PER_POINT) : round((PAGE_HEIGHT - 60) * PIXELS_PER_POINT)]
    threshold, _ = cv2.threshold(grid, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    cells, empty = [], []
    for box in boxes():
        cell = _cell(page, threshold, box)
        if cell is None:
            empty.append(box.char)
        else:
            cells.append(cell)
    if not cells:
        raise LetterError(
            "scan_blank",
            "The template was found, but none of its boxes has writing in it.",
            "Write one character in each box, in dark ink, then scan it again.",
        )
    return Scanned(cells, empty, notes)
