"""How fast os1 writes a letter by hand, and how varied the hand is, against plain renders.

For each hand, the same text is drawn as one A4 page:
- os1: laid out with every variation (``os1.skills.letters``), drawn glyph by glyph on paper,
  saved as PNG (150 dpi) and as vector PDF;
- baseline: the same font and text set in plain lines by Pillow (``ImageDraw.text``, one
  call a line) and by reportlab (``drawString``, one call a line), on a plain background:
  what a font and a template give.
Both sides include saving the file. Medians of ``--reps``; the ratio is os1 / baseline.

Variation: on os1's page, the share of neighbouring same characters (an occurrence and
the next of the same character) drawn as identical images. A plain font draws them all
alike (share 1.0). Target < 0.10.

Run: .venv/bin/python bench/letters.py [--text FILE] [--reps 5] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfgen import canvas
from rich.console import Console
from rich.table import Table

from figures import save
from os1.skills.letters.hands import available_hands, load_hand
from os1.skills.letters.layout import MARGINS, PAGE_HEIGHT, PAGE_WIDTH, lay_out
from os1.skills.letters.render import (
    DPI,
    _pdf_font,
    draw_page,
    repeated_share,
    write_pdf,
    write_pngs,
)

SAMPLE = """Dear Grandma,

Happy ninetieth birthday! I keep thinking about the summers at the lake: the creaky jetty,
your blackberry pie cooling on the windowsill, and the evenings when you taught me to skip
stones until it was too dark to see where they landed.

Thank you for every one of those summers. You made a city kid feel that the whole world
was wide and green and kind, and I still carry that feeling with me, especially on the
grey days here. When the trains are late and the office is loud, I close my eyes and I
am back on the jetty, counting the rings on the water.

I can't wait to see you on Sunday. I'll bring the photo album, and you can tell me again
which of the cousins fell off the canoe, and why it was never your fault.

With all my love,
Sam"""


def _lines(text: str, hand: str) -> list[str]:
    """The text wrapped to the page's width in the hand's plain metrics."""
    font = load_hand(hand)
    width = PAGE_WIDTH - MARGINS[0] - MARGINS[1]
    lines: list[str] = []
    for paragraph in text.split("\n\n"):
        current = ""
        for word in paragraph.split():
            trial = f"{current} {word}".strip()
            if current and font.width(trial, font.size) > width:
                lines.append(current)
                current = word
            else:
                current = trial
        lines += [current, ""]
    return lines


def plain_png(text: str, hand: str, path: Path) -> None:
    scale = DPI / 72.0
    size = (round(PAGE_WIDTH * scale), round(PAGE_HEIGHT * scale))
    image = Image.new("RGB", size, (250, 246, 236))
    info = load_hand(hand)
    font = ImageFont.truetype(str(info.path), round(info.size * scale))
    draw = ImageDraw.Draw(image)
    y = MARGINS[2] + info.size
    for line in _lines(text, hand):
        draw.text((MARGINS[0] * scale, y * scale), line, fill=(28, 36, 78), font=font, anchor="ls")
        y += info.size * info.leading
    image.save(path, format="PNG", compress_level=3)


def plain_pdf(text: str, hand: str, path: Path) -> None:
    info = load_hand(hand)
    pdf = canvas.Canvas(str(path), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1)
    pdf.setFont(_pdf_font(info), info.size)
    y = MARGINS[2] + info.size
    for line in _lines(text, hand):
        pdf.drawString(MARGINS[0], PAGE_HEIGHT - y, line)
        y += info.size * info.leading
    pdf.showPage()
    pdf.save()


def os1_png(text: str, hand: str, folder: Path) -> None:
    write_pngs(lay_out(text, hand, seed=1), folder)


def os1_pdf(text: str, hand: str, folder: Path) -> None:
    write_pdf(lay_out(text, hand, seed=1), folder / "letter.pdf")


def median_seconds(work: Callable[[Path], None], reps: int) -> float:
    times = []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(reps):
            out = Path(folder) / str(n)
            out.mkdir()
            started = time.perf_counter()
            work(out)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(text: str, hand: str, reps: int) -> dict[str, float]:
    layout = lay_out(text, hand, seed=1)
    if len(layout.pages) != 1:
        raise SystemExit(f"the text fills {len(layout.pages)} pages in {hand}; give one page")
    os1_png(text, hand, Path(tempfile.mkdtemp()))  # fonts loaded and cached, both sides
    plain_png(text, hand, Path(tempfile.mkdtemp()) / "warm.png")
    figures = {
        "os1_png_s": median_seconds(lambda out: os1_png(text, hand, out), reps),
        "plain_png_s": median_seconds(lambda out: plain_png(text, hand, out / "p.png"), reps),
        "os1_pdf_s": median_seconds(lambda out: os1_pdf(text, hand, out), reps),
        "plain_pdf_s": median_seconds(lambda out: plain_pdf(text, hand, out / "p.pdf"), reps),
        "repeated_share": repeated_share(draw_page(layout, 1).prints),
        "glyphs": float(len(layout.pages[0].glyphs)),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=Path, help="a one-page letter (default: a sample)")
    parser.add_argument("--reps", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--quick", action="store_true", help="one hand, 2 runs, not saved")
    options = parser.parse_args()
    text = options.text.read_text("utf-8") if options.text else SAMPLE
    hands = available_hands()[:1] if options.quick else available_hands()
    reps = 2 if options.quick else options.reps
    results: dict[str, Any] = {}
    table = Table(title="A handwritten page: os1 against a plain render of the same text")
    for column in ("hand", "glyphs", "PNG os1 / plain (s)", "ratio", "PDF os1 / plain (s)",
                   "ratio", "identical neighbours"):  # fmt: skip
        table.add_column(column, justify="right")
    for hand in hands:
        f = measure(text, hand, reps)
        results[hand] = f
        table.add_row(
            hand,
            f"{f['glyphs']:.0f}",
            f"{f['os1_png_s']:.3f} / {f['plain_png_s']:.3f}",
            f"{f['os1_png_s'] / f['plain_png_s']:.1f}x",
            f"{f['os1_pdf_s']:.3f} / {f['plain_pdf_s']:.3f}",
            f"{f['os1_pdf_s'] / f['plain_pdf_s']:.1f}x",
            f"{f['repeated_share']:.1%}",
        )
    Console(width=120).print(table)
    print("targets: a page in <= 1 s as PNG and <= 0.2 s as PDF; identical neighbours < 10 %")
    if not options.quick:
        save("letters", {"reps": reps, "hands": results})


if __name__ == "__main__":
    main()
