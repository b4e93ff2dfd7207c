"""``os1 proofread FILE``: suggestions one at a time, the person's yes to each, then one
journaled write that ``os1 undo`` takes back.

The checking is ``companion.proofread`` (the dictionary, rules and, unless
``--no-model``, the language model, with a progress bar while it reads); the writing is
the ``proofread`` tool through ``carry_out``, given exactly the suggestions the person
accepted, so the journal holds what was written and a copy of the original is kept.
Answers are read from standard input even when it is not a terminal (a script can pipe
them in), but then nothing is written without ``--yes``: the proposal waits in the
journal instead.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
from rich.text import Text

from os1.cli.actions import carry_out, err, opened, opened_cheaply, out, run
from os1.cli.render import transient_progress
from os1.companion import Companion
from os1.config import DEFAULT_USER
from os1.core.proofread import Change, Checked, Suggestion

_HELP = (
    "a = accept, r = reject, A = accept this and all remaining, "
    "q = stop here (keep what you accepted so far)"
)


@asynccontextmanager
async def _companion(use_model: bool, quiet: bool) -> AsyncIterator[Companion]:
    """The full companion when the model reads too, else the cheap open (no model)."""
    if use_model:
        async with opened(quiet=quiet) as companion:
            yield companion
        return
    async with opened_cheaply() as companion:
        yield companion


async def _check(companion: Companion, user: str, file: Path, use_model: bool) -> Checked:
    if not use_model:
        return await companion.proofread.check(user, str(file), use_model=False)
    with transient_progress(
        err,
        "[progress.description]Reading it closely",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("model", total=None)
        return await companion.proofread.check(
            user,
            str(file),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def _as_json(found: Checked) -> str:
    return json.dumps(found.to_dict(), ensure_ascii=False, indent=2)


def _coloured(change: Change) -> Text:
    """The change in its line: the old words struck through in red, the new ones in
    green (the markup's brackets stay, for terminals without colour)."""
    shown = Text(change.before)
    if change.old:
        shown.append(f"[-{change.old}-]", style="bold red strike")
    if change.new:
        shown.append(f"{{+{change.new}+}}", style="bold green")
    shown.append(change.after)
    return shown


def _show(found: Checked, s: Suggestion, n: int, total: int) -> None:
    where = f"line {found.line(s)}"
    out.print(f"\n[bold]{n}/{total}[/] [dim]{where} · {s.kind} · {s.source}[/]  {s.reason}")
    out.print("   ", _coloured(found.change(s)))


def _answer() -> str:
    try:
        return out.input("Accept? \\[a/r/A/q] › ").strip()
    except (EOFError, KeyboardInterrupt):
        return "q"


def choose(found: Checked) -> list[Suggestion]:
    """Ask about each suggestion in turn; the accepted ones, in order."""
    suggestions = found.suggestions
    accepted: list[Suggestion] = []
    for n, s in enumerate(suggestions, 1):
        _show(found, s, n, len(suggestions))
        while True:
            answer = _answer()
            if answer in ("a", "y", "yes", "accept"):
                accepted.append(s)
            elif answer in ("A", "all"):
                return accepted + suggestions[n - 1 :]
            elif answer in ("q", "Q", "quit"):
                return accepted
            elif answer not in ("r", "n", "no", "reject"):
                out.print(f"[dim]{_HELP}[/]")
                continue
            break
    return accepted


def proofread(
    file: Path = typer.Argument(..., help="The text file to proofread (UTF-8 or UTF-16)."),
    accept_all: bool = typer.Option(
        False, "--all", help="Accept every suggestion instead of asking one by one."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the suggestions as JSON and change nothing."
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Write without a last question (needed outside a terminal)."
    ),
    no_model: bool = typer.Option(
        False, "--no-model", help="Only the dictionary and rule checks: instant, no model."
    ),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose journal it goes in."),
) -> None:
    """Proofread a text file: spelling, grammar and style, each change yours to accept.

    Each suggestion is shown as a small diff, [-old-]{+new+}, with its reason.
    Answer a (accept), r (reject), A (accept all remaining) or q (stop there).
    The accepted ones are written to the file, and a copy of the original is kept:
    `os1 undo` puts it back.

    Examples:

      os1 proofread letter.txt

      os1 proofread letter.txt --no-model --all --yes

      os1 proofread letter.txt --json > suggestions.json
    """

    async def work() -> int:
        async with _companion(not no_model, quiet=as_json) as companion:
            found = await _check(companion, user, file, not no_model)
            if as_json:
                sys.stdout.write(_as_json(found) + "\n")
                return 0
            for problem in found.problems:
                err.print(f"[yellow]{problem}[/]")
            name = found.document.path.name
            if not found.suggestions:
                out.print(f"I found nothing to correct in {name}.")
                return 0
            count = len(found.suggestions)
            out.print(f"{count} suggestion{'s' if count != 1 else ''} for {name}.")
            chosen = found.suggestions if accept_all else choose(found)
            if not chosen:
                out.print(f"Nothing accepted; {name} is unchanged.")
                return 0
            # answering each suggestion at a terminal is the person's yes; --all is not
            said_yes = yes or (not accept_all and sys.stdin.isatty())
            return await carry_out(
                companion,
                user,
                "proofread",
                found.accepting(chosen),
                yes=said_yes,
                why=f"os1 proofread {file}",
            )

    run(work)
