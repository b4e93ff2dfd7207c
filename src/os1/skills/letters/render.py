"""A laid-out letter drawn on paper: a PNG per page (Pillow) and one vector PDF (reportlab).

Both draw the same ``Layout`` glyph by glyph, so the PDF and the pictures match. The
paper is cream with a faint grain and fibres from the same seed as the hand; the ink is
a blue-black whose depth follows the pen's pressure. The same layout always gives the
same bytes: the PDF is written "invariant" (no creation date or random document id).
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from os1.skills.letters.hands import Hand
from os1.skills.letters.layout import PAGE_HEIGHT, PAGE_WIDTH, Glyph, Layout

DPI = 150
PAPER = (250, 246, 236)
INK = (28, 36, 78)  # blue-black


def _ink(pressure: float) -> tuple[int, int, int]:
    """The colour of ink laid down at ``pressure``: lighter where the pen pressed less."""
    light = 1.0 - pressure
    return tuple(round(i + (p - i) * light * 0.55) for i, p in zip(INK, PAPER, strict=True))  # type: ignore[return-value]


@lru_cache(maxsize=512)
def _pil_font(hand: Hand, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(hand.source(), pixels)


@lru_cache(maxsize=50_000)
def _mask(hand: Hand, pixels: int, char: str) -> tuple[Image.Image, int, int]:
    """The upright glyph as a grey mask, and where its pen position sits in it."""
    font = _pil_font(hand, pixels)
    box = font.getbbox(char, anchor="ls")
    left, top = math.floor(box[0]), math.floor(box[1])
    right, bottom = math.ceil(box[2]), math.ceil(box[3])
    pad = 2
    image = Image.new("L", (max(1, right - left + 2 * pad), max(1, bottom - top + 2 * pad)), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), char, fill=255, font=font, anchor="ls")
    return image, pad - left, pad - top


def _paper(width: int, height: int, seed: str) -> Image.Image:
    """Cream paper with a soft mottle and a fine grain."""
    rng = np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16))
    mottle = Image.fromarray(
        (128 + 40 * rng.standard_normal((height // 24 + 1, width // 24 + 1))).clip(0, 255)
        .astype(np.uint8)
    ).resize((width, height), Image.Resampling.BICUBIC)  # fmt: skip
    shade = (np.asarray(mottle, dtype=np.float32) - 128.0) / 40.0 * 2.2
    # the grain in whole steps of colour, two pixels wide: as fine as paper looks at this
    # size, and a picture that still compresses (per-pixel noise tripled the file)
    grain = rng.integers(-1, 2, (height // 2 + 1, width // 2 + 1)).astype(np.float32)
    grain = grain.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    base = np.array(PAPER, dtype=np.float32)[None, None, :]
    pixels = base + np.round(shade + grain)[:, :, None]
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")


@dataclass(frozen=True)
class Drawn:
    """A page as a picture, and a fingerprint of each glyph image as drawn (to measure
    how often neighbouring same letters come out identical)."""

    image: Image.Image
    prints: list[tuple[str, str]]  # (character, digest of its drawn image)


def draw_page(layout: Layout, number: int) -> Drawn:
    """Page ``number`` (from 1) of ``layout`` as an RGB picture at ``DPI``."""
    scale = DPI / 72.0
    width, height = round(PAGE_WIDTH * scale), round(PAGE_HEIGHT * scale)
    image = _paper(width, height, f"{layout.hand}:{layout.seed}:{number}")
    prints: list[tuple[str, str]] = []
    for glyph in layout.pages[number - 1].glyphs:
        hand = layout.hands[glyph.hand]
        mask, ox, oy = _mask(hand, max(4, round(glyph.size * scale)), glyph.drawn)
        turned = mask.rotate(glyph.angle, resample=Image.Resampling.BICUBIC, expand=True)
        # where the pen position lands after turning about the mask's centre
        cx, cy = mask.width / 2, mask.height / 2
        rad = math.radians(glyph.angle)
        dx, dy = ox - cx, oy - cy
        rx = dx * math.cos(rad) + dy * math.sin(rad)
        ry = -dx * math.sin(rad) + dy * math.cos(rad)
        px = turned.width / 2 + rx
        py = turned.height / 2 + ry
        at = (round(glyph.x * scale - px), round(glyph.y * scale - py))
        image.paste(_ink(glyph.ink), (*at, at[0] + turned.width, at[1] + turned.height), turned)
        if not glyph.char.isspace():
            digest = hashlib.blake2b(turned.tobytes(), digest_size=8).hexdigest()
            prints.append((glyph.char, digest))
    return Drawn(image, prints)


def write_pngs(
    layout: Layout, folder: Path, progress: Callable[[int, int], None] | None = None
) -> list[Path]:
    """``page-1.png``, ``page-2.png``, … in ``folder``; ``progress(done, pages)`` after
    each page."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, len(layout.pages) + 1):
        drawn = draw_page(layout, number)
        path = folder / f"page-{number}.png"
        drawn.image.save(path, format="PNG", dpi=(DPI, DPI), compress_level=3)
        paths.append(path)
        if progress:
            progress(number, len(layout.pages))
    return paths


def _pdf_font(hand: Hand) -> str:
    name = f"os1-{hand.key}" if hand.own else f"os1-{hand.name}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, hand.source()))
    return name


def write_pdf(layout: Layout, path: Path) -> Path:
    """The whole letter as one vector PDF at ``path`` (A4, text as embedded glyphs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(layout))
    return path


def pdf_bytes(layout: Layout) -> bytes:
    """The whole letter as the bytes of one vector PDF (A4, text as embedded glyphs)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1)
    pdf.setTitle("Letter")
    for number, page in enumerate(layout.pages, 1):
        rng = random.Random(f"{layout.hand}:{layout.seed}:{number}")
        pdf.setFillColorRGB(*(c / 255 for c in PAPER))
        pdf.rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT, stroke=0, fill=1)
        pdf.setLineWidth(0.3)
        for _ in range(40):  # faint fibres in the paper
            x, y = rng.uniform(0, PAGE_WIDTH), rng.uniform(0, PAGE_HEIGHT)
            shade = rng.uniform(0.90, 0.95)
            pdf.setStrokeColorRGB(shade, shade * 0.98, shade * 0.93)
            pdf.line(x, y, x + rng.uniform(-9, 9), y + rng.uniform(-4, 4))
        for glyph in page.glyphs:
            _draw_glyph(pdf, glyph, layout.hands[glyph.hand])
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_glyph(pdf: canvas.Canvas, glyph: Glyph, hand: Hand) -> None:
    pdf.saveState()
    pdf.translate(glyph.x, PAGE_HEIGHT - glyph.y)
    pdf.rotate(glyph.angle)
    pdf.setFillColorRGB(*(c / 255 for c in _ink(glyph.ink)))
    pdf.setFont(_pdf_font(hand), glyph.size)
    pdf.drawString(0, 0, glyph.drawn)
    pdf.restoreState()


def repeated_share(prints: list[tuple[str, str]]) -> float:
    """The share of neighbouring same characters (each occurrence and the next one of
    the same character on the page) whose drawn images are identical."""
    last: dict[str, str] = {}
    pairs = same = 0
    for char, digest in prints:
        if char in last:
            pairs += 1
            same += last[char] == digest
        last[char] = digest
    return same / pairs if pairs else 0.0
