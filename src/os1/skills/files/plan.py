"""A declutter plan: what would move, why, how many bytes it frees, and the preview.

The plan only reads. It proposes *moving* (never deleting) the extra copies of exact
duplicates (saying which copy is kept and why) and clutter; large and old files are
suggestions the person sees but that are moved only when asked. Every planned file
carries its path, size, mtime and inode as the scan saw them, so applying the plan can
refuse any file that changed since. Paths are packed (``names.pack``) so odd names
survive the journal byte for byte.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from os1.skills.files.clutter import (
    Rules,
    clutter_reason,
    empty_folders,
    human_size,
    keep_choice,
    large_reason,
    old_reason,
)
from os1.skills.files.duplicates import Duplicates, find_duplicates
from os1.skills.files.names import pack, readable
from os1.skills.files.scan import Entry, Scan, scan

Kind = Literal["duplicate", "clutter", "large", "old", "empty_folder"]
Destination = Literal["archive", "trash"]
KIND_LABEL: dict[str, str] = {
    "duplicate": "duplicates (one copy of each kept)",
    "clutter": "installers, download leftovers, junk",
    "large": "large files",
    "old": "old files",
    "empty_folder": "empty folders",
}
PREVIEW_ITEMS = 15


@dataclass(frozen=True)
class Item:
    """One thing the plan would move (or, for an empty folder, remove)."""

    kind: Kind
    path: str
    size: int
    mtime_ns: int
    inode: int
    dev: int
    reason: str
    keep: Entry | None = None  # the copy that stays, for a duplicate

    def as_args(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "path": pack(self.path),
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "inode": self.inode,
            "dev": self.dev,
            "reason": readable(self.reason),
        }
        if self.keep is not None:
            data["keep"] = {
                "path": pack(self.keep.path),
                "size": self.keep.size,
                "mtime_ns": self.keep.mtime_ns,
                "inode": self.keep.inode,
            }
        return data


@dataclass
class Survey:
    """The scan, the duplicates and the resulting plan for one folder."""

    scan: Scan
    duplicates: Duplicates
    items: list[Item] = field(default_factory=list)
    suggestions: list[Item] = field(default_factory=list)  # large/old, not moved

    @property
    def freed(self) -> int:
        return sum(i.size for i in self.items)

    def totals(self, items: Iterable[Item] | None = None) -> dict[str, tuple[int, int]]:
        """(count, bytes) per kind, in the order of ``KIND_LABEL``."""
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for item in self.items if items is None else items:
            sums[item.kind][0] += 1
            sums[item.kind][1] += item.size
        return {k: (sums[k][0], sums[k][1]) for k in KIND_LABEL if k in sums}

    def suggestions_in_words(self) -> str:
        """The suggestions not moved, per kind in words, e.g. "Large files: 2 (1.2 GB)"."""
        return "; ".join(
            f"{KIND_LABEL[kind]}: {count:,} ({human_size(size)})"
            for kind, (count, size) in self.totals(self.suggestions).items()
        )

    def problems(self) -> list[str]:
        lines = self.scan.report.lines()
        if self.duplicates.problems:
            some = ", ".join(self.duplicates.problems[:3])
            more = len(self.duplicates.problems) - 3
            lines.append(
                f"{len(self.duplicates.problems)} could not be compared: {some}"
                + (f", and {more} more" if more > 0 else "")
            )
        return lines

    def args(self, to: Destination) -> dict[str, Any]:
        """What ``apply`` needs, as JSON data (kept in the journal)."""
        return {"root": pack(self.scan.root), "to": to, "items": [i.as_args() for i in self.items]}


def survey(
    root: str,
    rules: Rules,
    *,
    include_large: bool = False,
    include_old: bool = False,
    exclude: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
    hash_progress: Callable[[int], None] | None = None,
) -> Survey:
    """Scan ``root`` (an absolute folder, see ``scan.check_root``) and plan its declutter."""
    found = scan(root, progress=progress, exclude=exclude)
    dupes = find_duplicates(found.files, progress=hash_progress)
    result = Survey(found, dupes)
    taken: set[str] = set()
    for group in dupes.groups:
        kept, why = keep_choice(group.files)
        shown = readable(os.path.relpath(kept.path, root))
        for entry in group.files:
            if entry is not kept:
                reason = f"duplicate of {shown} (kept: {why})"
                result.items.append(_item("duplicate", entry, reason, kept))
                taken.add(entry.path)
    for entry in found.files:
        if entry.path in taken:
            continue
        if reason := clutter_reason(entry, rules):
            result.items.append(_item("clutter", entry, reason))
        elif reason := large_reason(entry, rules):
            (result.items if include_large else result.suggestions).append(
                _item("large", entry, reason)
            )
        elif reason := old_reason(entry, rules):
            (result.items if include_old else result.suggestions).append(
                _item("old", entry, reason)
            )
    for folder in empty_folders(found.folders, root):
        result.items.append(
            Item(
                "empty_folder",
                folder.path,
                0,
                folder.mtime_ns,
                folder.inode,
                folder.dev,
                "empty folder",
            )
        )
    return result


def _item(kind: Kind, entry: Entry, reason: str, keep: Entry | None = None) -> Item:
    return Item(kind, entry.path, entry.size, entry.mtime_ns, entry.inode, entry.dev, reason, keep)


def preview(
    survey: Survey,
    to: Destination,
    where: str,
    limit: int = PREVIEW_ITEMS,
    *,
    place: str = "",
) -> str:
    """The plan in words for the person: counts, bytes freed per reason, the first
    ``limit`` items, where things go, and that nothing is deleted. ``place`` is the
    folder as the person knows it (default: its full path)."""
    root = survey.scan.root
    lines = [
        f"Looked at {len(survey.scan.files):,} files in {place or readable(root)}"
        f" ({survey.scan.seconds:.1f} s).",
    ]
    files = [i for i in survey.items if i.kind != "empty_folder"]
    folders = len(survey.items) - len(files)
    lines.append(
        f"I would move {len(files):,} file{'s' if len(files) != 1 else ''}"
        + (f" and remove {folders} empty folder{'s' if folders != 1 else ''}" if folders else "")
        + f", freeing {human_size(survey.freed)}:"
    )
    for kind, (count, size) in survey.totals().items():
        lines.append(f"  {KIND_LABEL[kind]}: {count:,} ({human_size(size)})")
    for item in survey.items[:limit]:
        rel = readable(os.path.relpath(item.path, root))
        lines.append(
            f"  - {rel}: {item.reason}" + (f", {human_size(item.size)}" if item.size else "")
        )
    if len(survey.items) > limit:
        lines.append(f"  … and {len(survey.items) - limit:,} more")
    lines.append(f"Files go to {where}; nothing is deleted, and undo puts everything back.")
    lines.append(
        "Files changed since this scan are left alone; empty folders go only if still empty."
    )
    if survey.suggestions:
        lines.append(
            "Also worth a look, but not moved unless you ask (include large / old files): "
            + survey.suggestions_in_words()
            + "."
        )
    notes = survey.problems()
    if notes:
        lines.append("Notes: " + "; ".join(notes) + ".")
    return "\n".join(lines)
