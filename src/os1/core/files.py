"""The files skill's views for every door: what clutters a folder, and finding a file.

Tidying a folder changes the world, so it is an action: a door shows ``survey`` and then
proposes the ``declutter`` tool with ``Companion.propose``; the tool reuses the survey
just made, so what runs is what the person saw. The types a door renders are
re-exported from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from os1.core.base import Core
from os1.errors import InputError
from os1.skills.files.clutter import human_size
from os1.skills.files.find import Match, find_files
from os1.skills.files.names import readable
from os1.skills.files.plan import KIND_LABEL, Item, Survey
from os1.skills.files.query import parse
from os1.skills.files.scan import check_root
from os1.skills.files.tools import Declutter, DeclutterArgs, FindArgs, FindFile, excluded_folders

__all__ = [
    "KIND_LABEL",
    "Files",
    "Found",
    "Item",
    "Match",
    "Survey",
    "Surveyed",
    "human_size",
    "readable",
]


@dataclass(frozen=True)
class Surveyed:
    survey: Survey
    where: str  # where the files would go, in words


@dataclass(frozen=True)
class Found:
    roots: list[str]  # as the person names them
    looked_at: int
    matches: list[Match]
    shown: Callable[[str], str]  # a match's path as the person names it


class Files:
    def __init__(self, core: Core) -> None:
        self.core = core

    @staticmethod
    def check_folder(path: str) -> None:
        """Say at once that ``path`` is no folder to work on, before anything loads.

        Raises:
            InputError: it does not exist, is a file, or belongs to the system.
        """
        check_root(path)

    def _tool(self, name: str, kind: type[Any]) -> Any:
        tool = self.core.skills.get(name)
        if not isinstance(tool, kind):
            raise InputError("no_tool", f"The {name} skill is not available.")
        return tool

    async def survey(
        self,
        user: str,
        args: dict[str, Any],
        *,
        progress: Callable[[int], None] | None = None,
        hash_progress: Callable[[int], None] | None = None,
    ) -> Surveyed:
        """What tidying a folder would move and why (``args`` as the ``declutter`` tool
        takes them); proposing ``declutter`` within a minute reuses this scan.

        Raises:
            InputError: the arguments do not fit, or the folder is not one to tidy.
        """
        tool: Declutter = self._tool("declutter", Declutter)
        try:
            checked = DeclutterArgs.model_validate(args)
        except ValueError as exc:
            raise InputError("bad_arguments", f"Those arguments do not fit: {exc}") from exc
        ctx = await self.core.tool_context(await self.core.store(user))
        found = await tool.survey(ctx, checked, progress=progress, hash_progress=hash_progress)
        return Surveyed(found, tool.where(ctx, checked.to))

    async def find_words(self, user: str, description: str, folder: str = "") -> str:
        """The files matching the person's description, as the companion says it."""
        tool: FindFile = self._tool("find_file", FindFile)
        ctx = await self.core.tool_context(await self.core.store(user))
        answer = await tool.plan(ctx, FindArgs(description=description, path=folder))
        return answer if isinstance(answer, str) else answer.preview

    async def find(self, user: str, description: str, folder: str = "", limit: int = 10) -> Found:
        """The best matches for a description, with where it looked.

        Raises:
            InputError: ``folder`` is not a usable folder.
        """
        tool: FindFile = self._tool("find_file", FindFile)
        ctx = await self.core.tool_context(await self.core.store(user))
        query = parse(description, ctx.now())
        roots = await tool.roots(ctx, folder)
        found = await asyncio.to_thread(
            find_files, query, roots, exclude=excluded_folders(ctx), limit=limit
        )
        shown = ctx.files.shown
        return Found([readable(shown(r)) for r in roots], found.looked_at, found.matches, shown)
