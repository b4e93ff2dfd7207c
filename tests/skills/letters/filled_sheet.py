"""A filled-in handwriting sheet as a scanner or a phone would see it, made from the real
template PDF (drawn by PDFium) with a handwriting font written into its boxes."""

from __future__ import annotations

import io
import random

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from os1.skills.letters.hands import load_hand
from os1.skills.letters.template import boxes, template_pdf

DPI = 150


def blank_sheet(dpi: int = DPI) -> Image.Image:
    """The template, printed: a grey picture of the page."""
    document = pdfium.PdfDocument(template_pdf())
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        document.close()


def filled_sheet(
    *, font: str = "kalam", skip: str = "", seed: int = 1, dpi: int = DPI
) -> Image.Image:
    """The template with each box written in ``font`` (but the characters in ``skip``),
    each a little off the line and in slightly different ink, as a hand would."""
    page = blank_sheet(dpi)
    draw = ImageDraw.Draw(page)
    scale = dpi / 72
    rng = random.Random(seed)
    for box in boxes():
        if box.char in skip:
            continue
        pen = ImageFont.truetype(str(load_hand(font).path), round(rng.uniform(24, 28) * scale))
        x = (box.left + 8 + rng.uniform(-2, 2)) * scale
        y = (box.baseline + rng.uniform(-1.5, 1.5)) * scale
        draw.text((x, y), box.char, fill=rng.randint(15, 60), font=pen, anchor="ls")
    return page


def photographed(
    page: Image.Image, *, turn: float = 0.0, shadow: bool = False, grain: bool = False
) -> Image.Image:
    """``page`` as a phone photo: on a darker table, turned by ``turn`` degrees, seen a
    little from the side (a perspective), softly blurred, with a shadow across it and
    the camera's grain if asked."""
    table = Image.new("L", (page.width + 240, page.height + 240), 90)
    table.paste(page, (120, 120))
    if turn:
        table = table.rotate(turn, expand=True, fillcolor=90, resample=Image.Resampling.BICUBIC)
    w, h = table.size
    # a camera a little to the left: the page's right side comes out shorter
    skewed = table.transform(
        (w, h),
        Image.Transform.QUAD,
        (0, 0, int(w * 0.015), h, w, int(h * 0.985), int(w * 0.985), int(h * 0.02)),
        resample=Image.Resampling.BICUBIC,
        fillcolor=90,
    ).filter(ImageFilter.GaussianBlur(0.7))
    if shadow:
        pixels = np.asarray(skewed, dtype=np.float32)
        fade = np.linspace(0.62, 1.0, pixels.shape[1], dtype=np.float32)[None, :]
        skewed = Image.fromarray((pixels * fade).clip(0, 255).astype(np.uint8))
    if grain:
        noise = np.random.default_rng(7).normal(0.0, 5.0, (skewed.height, skewed.width))
        pixels = np.asarray(skewed, dtype=np.float32) + noise
        skewed = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    return skewed


def as_bytes(page: Image.Image, kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    page.save(out, format=kind, **({"quality": 88} if kind == "JPEG" else {}))
    return out.getvalue()
