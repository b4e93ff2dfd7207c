"""The hands a letter can be written in: handwriting fonts shipped as PyPI packages.

Each ``fontpkg-*`` package carries its TTF files under ``<module>/files``; a hand is
one of them, named in lower case ("caveat"). A person can also have hands of their own,
learned from a filled-in template (``handfont``); those live in their store as font
bytes and are opened with ``own_hand``. Which characters a hand can draw is read from
the font's own character map, so a letter can fall back per character to another
packaged hand that has it, and say which.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import BinaryIO

from fontTools.ttLib import TTFont

from os1.errors import LetterError

# name -> (module, file, nominal size in points, line height in sizes): the sizes make
# the hands look alike in scale, since each font fills its em differently
KNOWN: dict[str, tuple[str, str, float, float]] = {
    "caveat": ("fontpkg_caveat", "Caveat[wght].ttf", 21.0, 1.45),
    "kalam": ("fontpkg_kalam", "Kalam-Regular.ttf", 16.0, 1.75),
    "indie-flower": ("fontpkg_indie_flower", "IndieFlower-Regular.ttf", 17.0, 1.7),
    "dancing-script": ("fontpkg_dancing_script", "DancingScript[wght].ttf", 19.0, 1.5),
}
DEFAULT_HAND = "caveat"
X_HEIGHT = 8.4  # points: how tall small letters stand in the default hand, for own hands
FIRST_ALTERNATE = 0xE000  # Private Use Area: where a learned hand's alternate forms sit
_ALTERNATE = re.compile(r"^c([0-9A-F]{4,6})\.v(\d+)$")  # their glyph names: "c0061.v2"


@dataclass(frozen=True, eq=False)
class Hand:
    """A handwriting font: where it is (a packaged file, or the bytes of a person's own
    hand), its size on the page and its metrics. Two hands are the same when ``key``
    (the file, or a digest of the bytes) is."""

    name: str
    key: str
    size: float
    leading: float
    units_per_em: int
    advances: dict[str, int]  # character -> advance width in font units
    path: Path | None = None
    data: bytes | None = None
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)  # alternate forms

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hand) and other.key == self.key

    @property
    def own(self) -> bool:
        return self.data is not None

    def source(self) -> BinaryIO | str:
        """What a font library opens: the file's path, or the bytes as a file."""
        return io.BytesIO(self.data) if self.data is not None else str(self.path)

    def covers(self, char: str) -> bool:
        return char in self.advances

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` at ``size`` points (characters it lacks count as an 'n')."""
        fallback = self.advances.get("n", self.units_per_em // 2)
        units = sum(self.advances.get(c, fallback) for c in text)
        return units * size / self.units_per_em


def _package_file(name: str) -> Path:
    module_name, filename, _, _ = KNOWN[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        package = module_name.replace("_", "-")
        raise LetterError(
            "hand_missing",
            f"The hand '{name}' is not installed (the package {package} is missing).",
            f"Run the set-up again (make setup), or pip install {package}.",
        ) from exc
    path = Path(module.__file__ or "").parent / "files" / filename
    if not path.is_file():
        raise LetterError("hand_missing", f"The hand '{name}' has no font file at {path}.")
    return path


@cache
def load_hand(name: str = DEFAULT_HAND) -> Hand:
    """The hand called ``name``; a clear error if it is unknown or not installed."""
    key = name.strip().lower()
    if key not in KNOWN:
        known = ", ".join(sorted(KNOWN))
        raise LetterError("hand_unknown", f"There is no hand called '{name}'.", f"Hands: {known}.")
    path = _package_file(key)
    try:
        with TTFont(str(path), lazy=True) as font:
            units, advances = _metrics(font)
    except Exception as exc:  # a damaged font file is a broken install, said plainly
        raise LetterError(
            "hand_unreadable", f"The font of the hand '{key}' cannot be read: {exc}."
        ) from exc
    _, _, size, leading = KNOWN[key]
    return Hand(key, str(path), size, leading, units, advances, path=path)


def _metrics(font: TTFont) -> tuple[int, dict[str, int]]:
    cmap = font.getBestCmap() or {}
    metrics = font["hmtx"].metrics
    return int(font["head"].unitsPerEm), {chr(c): metrics[g][0] for c, g in cmap.items()}


@lru_cache(maxsize=64)
def own_hand(name: str, data: bytes) -> Hand:
    """A person's own hand from its font bytes, sized so its small letters stand as tall
    as the default hand's."""
    try:
        with TTFont(io.BytesIO(data)) as font:
            units, advances = _metrics(font)
            x_height = int(getattr(font["OS/2"], "sxHeight", 0)) or units // 2
            extent = (font["hhea"].ascent - font["hhea"].descent) / units
            forms = variants(font)
    except Exception as exc:  # a damaged row is said, not drawn
        raise LetterError(
            "hand_unreadable",
            f"Your hand '{name}' cannot be read: {exc}.",
            "Learn it again from the scan with `os1 letters hand-learn`.",
        ) from exc
    size = X_HEIGHT * units / x_height
    leading = min(2.0, max(1.45, extent * 0.9))
    key = "own:" + hashlib.sha256(data).hexdigest()[:32]
    return Hand(name, key, size, leading, units, advances, data=data, variants=forms)


def available_hands() -> list[str]:
    """The names of the hands that are installed, in a stable order."""
    found = []
    for name in sorted(KNOWN):
        try:
            _package_file(name)
        except LetterError:
            continue
        found.append(name)
    return found


def variants(font: TTFont) -> dict[str, tuple[str, ...]]:
    """For each character with alternate forms in a hand learned from a sheet
    (``handfont``): the character, then the code points its alternates are mapped to."""
    found: dict[str, list[str]] = defaultdict(list)
    for code, glyph_name in sorted((font.getBestCmap() or {}).items()):
        match = _ALTERNATE.match(glyph_name)
        if match and FIRST_ALTERNATE <= code < 0xF900:
            found[chr(int(match.group(1), 16))].append(chr(code))
    return {char: (char, *alternates) for char, alternates in found.items()}
