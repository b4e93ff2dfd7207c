"""The files skill's tools: ``declutter`` (a proposal: move clutter and duplicates away)
and ``find_file`` (read-only: answers where a described file is).

``declutter`` plans by scanning (off the event loop) and shows the preview; what the
person confirms is exactly the list of files in the plan's arguments, each with the
metadata the scan saw, so ``run`` moves those and only those, unchanged. The scan is
kept for a minute, so a door that showed its own progress bar while scanning (the CLI)
does not make the person wait for a second scan when it then proposes the plan.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import time
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.skills.base import Outcome, Plan, ToolContext, args_from_text
from os1.skills.files.apply import apply_plan, trash_dir, undo_plan
from os1.skills.files.clutter import Rules, human_size
from os1.skills.files.find import find_files
from os1.skills.files.names import readable
from os1.skills.files.plan import Survey, preview, survey
from os1.skills.files.query import parse
from os1.skills.files.scan import check_root
from os1.skills.reach import PATH, FileReach

SURVEY_FRESH_FOR = 60.0  # seconds a scan may be reused for the same question


class DeclutterArgs(BaseModel):
    path: str = Field(
        max_length=4096,
        description="The folder to tidy, e.g. ~/Downloads.",
        json_schema_extra={PATH: True},
    )
    include_large: bool = Field(False, description="Also move large files (100 MB or more).")
    include_old: bool = Field(False, description="Also move files untouched for two years.")
    to: Literal["archive", "trash"] = Field(
        "archive", description="Where files go: os1's archive folder or the system trash."
    )


class FindArgs(BaseModel):
    description: str = Field(
        max_length=300, description="The file in the person's words, e.g. 'my CV'."
    )
    path: str = Field(
        "",
        max_length=4096,
        description="A folder to look in (optional).",
        json_schema_extra={PATH: True},
    )


def excluded_folders(ctx: ToolContext) -> list[str]:
    """Folders never scanned: os1's own data (its archive!) and the trash."""
    own = [str(ctx.home)] if ctx.home is not None else []
    return [*own, trash_dir()]


async def _rules(ctx: ToolContext) -> Rules:
    """The person's thresholds (settings ``files.large_mb``, ``files.old_days``); a value
    that is not a number falls back to the default rather than failing the plan."""
    now_ns = int(ctx.now() * 1e9)
    try:
        large_mb = float(await ctx.store.get_setting("files.large_mb", 100))
        old_days = int(await ctx.store.get_setting("files.old_days", 730))
    except (TypeError, ValueError):
        return Rules(now_ns)
    return Rules(now_ns, int(large_mb * 10**6), old_days)


def _roots(path: str, setting: Any, reach: FileReach) -> list[str]:
    if path.strip():
        return [check_root(path, system=not reach.confined)]
    chosen = [setting] if isinstance(setting, str) else list(setting or [])
    real = [os.path.realpath(os.path.expanduser(str(p))) for p in chosen]
    usable = [p for p in real if os.path.isdir(p) and reach.allows(p)]
    return usable or [reach.default_folder()]


class Declutter:
    name: ClassVar[str] = "declutter"
    touches: ClassVar[str] = "server_files"
    hints: ClassVar[tuple[str, ...]] = (
        *("clean", "tidy", "clutter", "declutter", "duplicate", "space", "disk", "storage"),
        *("folder", "download", "junk", "clear", "full", "organi", "free up", "sort out"),
    )
    summary: ClassVar[str] = (
        "tidy a folder on disk: find duplicate files, old installers, download leftovers"
        " and empty folders, and move them to an archive (never deletes)"
    )
    Args: ClassVar[type[BaseModel]] = DeclutterArgs
    examples: ClassVar[tuple[str, ...]] = (
        "~/Downloads",
        "declutter my Downloads folder",
        "clean up duplicate files in ~/Pictures",
        "free some space in my Documents, move things to the trash",
    )

    def __init__(self) -> None:
        self._last: tuple[tuple[Any, ...], float, Survey] | None = None

    def from_command(self, text: str) -> DeclutterArgs:
        """``~/Downloads``, ``~/Downloads --include-large --trash``, ``~/Pictures to trash``."""
        words = text.split()
        flags = {w for w in words if w.startswith("--")}
        rest = [w for w in words if w not in flags]
        to_trash = "--trash" in flags or "--to=trash" in flags
        if rest[-2:] == ["to", "trash"]:
            rest, to_trash = rest[:-2], True
        if not rest:
            args_from_text(self, "")  # raises the usual "say what to do" error
        return DeclutterArgs(
            path=" ".join(rest),
            include_large="--include-large" in flags,
            include_old="--include-old" in flags,
            to="trash" if to_trash else "archive",
        )

    async def survey(self, ctx: ToolContext, args: DeclutterArgs, **progress: Any) -> Survey:
        """The scan and plan for ``args`` (reused for a minute; ``progress`` callbacks as
        ``plan.survey`` takes them).

        Raises:
            InputError: the folder does not exist, is a file, or belongs to the system.
        """
        # a folder within a confined reach was vetted by the admin (or is os1's own)
        root = check_root(args.path, system=not ctx.files.confined)
        rules = await _rules(ctx)
        key = (
            ctx.store.user.id,  # one registry serves many people: never hand on a plan
            root,
            args.include_large,
            args.include_old,
            ctx.home,
            rules.large_bytes,
            rules.old_days,
        )
        if (
            self._last
            and self._last[0] == key
            and time.monotonic() - self._last[1] < SURVEY_FRESH_FOR
        ):
            return self._last[2]
        found = await asyncio.to_thread(
            survey,
            root,
            rules,
            include_large=args.include_large,
            include_old=args.include_old,
            exclude=excluded_folders(ctx),
            **progress,
        )
        self._last = (key, time.monotonic(), found)
        return found

    def where(self, ctx: ToolContext, to: str) -> str:
        if to == "trash":
            return f"your trash ({readable(trash_dir())})"
        if ctx.files.confined:  # the server's own folders are not theirs to see
            return "your os1 archive"
        try:
            return f"os1's archive folder ({readable(str(ctx.skill_dir('files') / 'archive'))})"
        except LookupError:
            return "os1's archive folder"

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        if isinstance(args, str):
            args = self.from_command(args)
        args = DeclutterArgs.model_validate(args, from_attributes=True)
        if ctx.files.confined:  # the server's trash is its owner's, not theirs
            args = args.model_copy(update={"to": "archive"})
        try:
            found = await self.survey(ctx, args)
        except InputError as exc:
            return str(exc)
        root = readable(ctx.files.shown(found.scan.root))
        where = self.where(ctx, args.to)
        if not found.items:
            files = len(found.scan.files)
            text = f"{root} looks tidy: no duplicates or clutter among {files:,} files."
            lines = preview(found, args.to, where, place=root).splitlines()
            extra = [line for line in lines if line.startswith(("Also worth", "Notes:"))]
            return "\n".join([text, *extra])
        count = sum(1 for i in found.items if i.kind != "empty_folder")
        return Plan(
            title=f"Tidy {root}: move {count:,} file{'s' if count != 1 else ''},"
            f" free {human_size(found.freed)}",
            preview=preview(found, args.to, where, place=root),
            args=found.args(args.to),
            paths=(found.scan.root,),
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        now = ctx.now()
        if args["to"] == "trash":
            destination = trash_dir()
        else:
            stamp = dt.datetime.fromtimestamp(now).strftime("%Y%m%d-%H%M%S")
            folder = ctx.skill_dir("files") / "archive" / f"{stamp}-{secrets.token_hex(3)}"
            folder.mkdir(parents=True)
            destination = str(folder)
        done = await asyncio.to_thread(apply_plan, args, destination, now)
        self._last = None  # the tree changed: the next plan must look again
        where = "your trash" if args["to"] == "trash" else readable(destination)
        return Outcome(done.message(where), done.undo_data(args["to"], destination))

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        self._last = None
        return await asyncio.to_thread(undo_plan, undo)


class FindFile:
    name: ClassVar[str] = "find_file"
    touches: ClassVar[str] = "server_files"
    hints: ClassVar[tuple[str, ...]] = ("find", "locate", "search", "look for", "where")
    # the model's choice stands only if the message says one of these (see skills.choose)
    cues: ClassVar[tuple[str, ...]] = (
        *("file", "document", "doc", "pdf", "photo", "picture", "image", "folder", "scan"),
        *("spreadsheet", "sheet", "video", "song", "music", "/", "cv", "resume", "letter"),
        *("where is", "where are", "find my", "look for"),
    )
    summary: ClassVar[str] = (
        "find a file on disk from a description (kind, topic, when), e.g. a PDF, photo or CV"
    )
    Args: ClassVar[type[BaseModel]] = FindArgs
    examples: ClassVar[tuple[str, ...]] = (
        "the PDF about my lease from spring",
        "photos from Lisbon last summer",
        "where is my CV",
        "the spreadsheet with the wedding budget",
    )

    def from_command(self, text: str) -> FindArgs:
        return FindArgs.model_validate(args_from_text(self, text).model_dump())

    async def roots(self, ctx: ToolContext, path: str) -> list[str]:
        """Where to look: ``path``, else the person's ``files.roots`` setting, else home
        (for a person with a folder of their own: that folder).

        Raises:
            InputError: ``path`` is not a usable folder.
        """
        setting = await ctx.store.get_setting("files.roots")
        return await asyncio.to_thread(_roots, path, setting, ctx.files)

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        if isinstance(args, str):
            args = self.from_command(args)
        args = FindArgs.model_validate(args, from_attributes=True)
        query = parse(args.description, ctx.now())
        if not (query.words or query.extensions or query.start is not None):
            return (
                "Tell me something about the file: its kind, a word from its name or topic,"
                " or when you last changed it."
            )
        try:
            roots = await self.roots(ctx, args.path)
        except InputError as exc:
            return str(exc)
        found = await asyncio.to_thread(find_files, query, roots, exclude=excluded_folders(ctx))
        shown = ctx.files.shown
        where = ", ".join(readable(shown(r)) for r in roots)
        if not found.matches:
            return (
                f'I found nothing matching "{args.description}" in {where}'
                f" (looked at {found.looked_at:,} files). Try other words, or name a folder."
            )
        lines = [f'What I found for "{args.description}" in {where}:']
        for n, match in enumerate(found.matches, 1):
            day = dt.datetime.fromtimestamp(match.mtime).strftime("%-d %b %Y")
            lines.append(
                f"{n}. {readable(shown(match.path))} ({human_size(match.size)}, changed {day}):"
                f" {', '.join(match.why)}"
            )
        return "\n".join(lines)

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        raise LookupError("finding a file only reads; there is nothing to run")

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        raise LookupError("finding a file only reads; there is nothing to undo")
