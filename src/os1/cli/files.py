"""``os1 files``: tidy a folder (``declutter``) and find a file from a description (``find``).

The scan and the plan come from the files skill's library, with a progress bar and a
table; applying goes through ``carry_out``, so the move is proposed, confirmed, journaled
and undone (``os1 undo``) exactly as when asked in conversation. The plan the CLI showed
is the one proposed: the tool reuses the scan it just made.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from os1.cli.actions import carry_out, err, opened, opened_cheaply, out, run
from os1.cli.render import transient_progress
from os1.companion import Companion
from os1.config import DEFAULT_USER
from os1.core.files import KIND_LABEL, Files, Item, Survey, Surveyed, human_size, readable

files_app = typer.Typer(
    help="Your files: tidy a folder, find a file.\n\n"
    "Examples: `os1 files declutter ~/Downloads`, "
    "`os1 files declutter ~/Downloads --apply`, "
    '`os1 files find "the PDF about my lease from spring"`.',
    no_args_is_help=True,
)
UserOption = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose files and journal.")
TABLE_ROWS = 40


def _bar() -> Progress:
    return transient_progress(
        err, SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()
    )


async def _survey(companion: Companion, user: str, args: dict[str, Any]) -> Surveyed:
    with _bar() as bar:
        task = bar.add_task("Scanning", total=None)

        def scanned(count: int) -> None:
            bar.update(task, description=f"Scanning: {count:,} files")

        def hashed(size: int) -> None:
            bar.update(task, description=f"Comparing possible duplicates: {human_size(size)}")

        return await companion.files.survey(user, args, progress=scanned, hash_progress=hashed)


def _item_json(item: Item, root: str) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "path": readable(os.path.relpath(item.path, root)),
        "size": item.size,
        "reason": item.reason,
    }


def _plan_json(found: Survey, to: str) -> str:
    root = found.scan.root
    return json.dumps(
        {
            "root": readable(root),
            "files_scanned": len(found.scan.files),
            "scan_seconds": round(found.scan.seconds, 3),
            "files_per_second": round(found.scan.rate),
            "hash_mb_per_second": round(found.duplicates.mb_per_s, 1),
            "to": to,
            "bytes_freed": found.freed,
            "totals": {k: {"count": c, "bytes": b} for k, (c, b) in found.totals().items()},
            "items": [_item_json(i, root) for i in found.items],
            "suggestions": [_item_json(i, root) for i in found.suggestions],
            "problems": found.problems(),
        },
        ensure_ascii=False,
        indent=2,
    )


def _show_plan(found: Survey, where: str) -> None:
    root = found.scan.root
    out.print(
        f"Looked at {len(found.scan.files):,} files in {escape(readable(root))} in"
        f" {found.scan.seconds:.1f} s ({found.scan.rate:,.0f} files/s)."
    )
    if found.items:
        table = Table("what", "file", "size", "why", title="The plan", title_justify="left")
        for item in found.items[:TABLE_ROWS]:
            shown_size = human_size(item.size) if item.kind != "empty_folder" else ""
            rel = readable(os.path.relpath(item.path, root))
            table.add_row(item.kind.replace("_", " "), escape(rel), shown_size, escape(item.reason))
        out.print(table)
        if len(found.items) > TABLE_ROWS:
            out.print(f"… and {len(found.items) - TABLE_ROWS:,} more (--json lists them all).")
        totals = Table("reason", "count", "frees", title="Bytes saved", title_justify="left")
        for kind, (count, size) in found.totals().items():
            totals.add_row(KIND_LABEL[kind], f"{count:,}", human_size(size))
        totals.add_row(
            "[bold]all[/]", f"{len(found.items):,}", f"[bold]{human_size(found.freed)}[/]"
        )
        out.print(totals)
        out.print(
            f"Files would go to {escape(where)}. Nothing is deleted; undo puts everything back."
        )
    else:
        out.print("Nothing to tidy: no duplicates, installers, leftovers or empty folders.")
    if found.suggestions:
        out.print(
            "Also worth a look (moved only with --include-large / --include-old): "
            + found.suggestions_in_words()
        )
    for line in found.problems():
        out.print(f"[yellow]Note:[/] {escape(line)}")


@files_app.command()
def declutter(
    path: str = typer.Argument(..., help="The folder to tidy, e.g. ~/Downloads."),
    apply: bool = typer.Option(False, "--apply", help="Move the files (after you confirm)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --apply: do not ask first."),
    include_large: bool = typer.Option(False, "--include-large", help="Also move large files."),
    include_old: bool = typer.Option(False, "--include-old", help="Also move old files."),
    to: str = typer.Option("archive", "--to", help="Where files go: archive or trash."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    user: str = UserOption,
) -> None:
    """Find duplicates, installers, download leftovers and empty folders, and plan to move
    them away (never deleting). Without --apply this only shows the plan.

    Examples: `os1 files declutter ~/Downloads`,
    `os1 files declutter ~/Pictures --apply --to trash`, `os1 undo` to put it all back.
    """
    if to not in ("archive", "trash"):
        raise typer.BadParameter("use --to archive or --to trash", param_hint="--to")
    if as_json and apply:
        raise typer.BadParameter(
            "--json only shows the plan; drop it to apply", param_hint="--json"
        )
    args = {"path": path, "include_large": include_large, "include_old": include_old, "to": to}

    async def work() -> int:
        Files.check_folder(path)  # a wrong path is said before anything loads
        if not apply:
            async with opened_cheaply() as companion:
                found = await _survey(companion, user, args)
            if as_json:
                sys.stdout.write(_plan_json(found.survey, to) + "\n")
            else:
                _show_plan(found.survey, found.where)
                if found.survey.items:
                    out.print("[dim]This was only a plan; nothing moved. Add --apply to do it.[/]")
            return 0
        async with opened() as companion:
            found = await _survey(companion, user, args)
            _show_plan(found.survey, found.where)
            if not found.survey.items:
                return 0
            return await carry_out(
                companion, user, "declutter", args, yes=yes, why=f"os1 files declutter {path}"
            )

    run(work)


@files_app.command()
def find(
    description: str = typer.Argument(..., help="The file in your words."),
    folder: str = typer.Option("", "--in", help="Look only in this folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the matches as JSON."),
    user: str = UserOption,
) -> None:
    """Find a file from a description: its kind, words from its name or text, and when.

    Looks in --in, else in the folders of your `files.roots` setting, else your home.
    Examples: `os1 files find "the PDF about my lease from spring"`,
    `os1 files find "photos from Lisbon last summer"`, `os1 files find "my CV" --in ~/Documents`.
    """

    async def work() -> int:
        if folder:
            Files.check_folder(folder)
        async with opened_cheaply() as companion:
            if not as_json:
                answer = await companion.files.find_words(user, description, folder)
                out.print(escape(answer))
                return 0
            found = await companion.files.find(user, description, folder)
        sys.stdout.write(
            json.dumps(
                {
                    "description": description,
                    "roots": found.roots,
                    "looked_at": found.looked_at,
                    "matches": [
                        {
                            "path": readable(found.shown(m.path)),
                            "size": m.size,
                            "mtime": m.mtime,
                            "score": m.score,
                            "why": m.why,
                        }
                        for m in found.matches
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        return 0

    run(work)
