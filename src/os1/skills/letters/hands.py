"""The hands a letter can be written in: handwriting fonts shipped as PyPI packages.

Each ``fontpkg-*`` package carries its TTF files under ``<module>/files``; a hand is
one of them, named in lower case ("caveat"). Which characters a hand can draw is read
from the font's own character map, so a letter can fall back per character to another
hand that has it, and say which.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


@dataclass(frozen=True)
class Hand:
    """A handwriting font: where it is, its size on the page and its metrics."""

    name: str
    path: Path
    size: float
    leading: float
    units_per_em: int
    advances: dict[str, int]  # character -> advance width in font units

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
            cmap = font.getBestCmap() or {}
            metrics = font["hmtx"].metrics
            advances = {chr(code): metrics[glyph][0] for code, glyph in cmap.items()}
            units = int(font["head"].unitsPerEm)
    except Exception as exc:  # a damaged font file is a broken install, said plainly
        raise LetterError(
            "hand_unreadable", f"The font of the hand '{key}' cannot be read: {exc}."
        ) from exc
    _, _, size, leading = KNOWN[key]
    return Hand(key, path, size, leading, units, advances)


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
