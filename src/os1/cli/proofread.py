"""``os1 proofread FILE``: suggestions one at a time, the person's yes to each, then one
journaled write that ``os1 undo`` takes back.

The checking is the skill's library (the dictionary, rules and, unless ``--no-model``,
the language model, with a progress bar while it reads); the writing is the
``proofread`` tool through ``carry_out``, given exactly the suggestions the person
accepted, so the journal holds what was written and a copy of the original is kept.
Answers are read from standard input even when it is not a terminal (a script can pipe
them in), but then nothing is written without ``--yes``: the proposal waits in the
journal instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn

from os1.cli.actions import carry_out, err, opened, out, run
from os1.cli.render import transient_progress
from os1.config import DEFAULT_USER
from os1.models.base import LLM
from os1.skills.proofread import diff
from os1.skills.proofread.document import Document, load
from os1.skills.proofread.suggest import Review, Suggestion, review
from os1.skills.proofread.tools import ProofreadArgs

_HELP = (
    "a = accept, r = reject, A = accept this and all remaining, "
    "q = stop here (keep what you accepted so far)"
)


async def _review(doc: Document, llm: LLM | None) -> Review:
    if llm is None:
        return await review(doc.text)
    with transient_progress(
        err,
        "[progress.description]Reading it closely",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("model", total=None)
        return await review(
            doc.text, llm, lambda done, total: bar.update(task, completed=done, total=total)
        )


def _as_json(doc: Document, found: Review) -> str:
    items = [
        {**s.to_dict(), "line": diff.line_number(doc.text, s.start)} for s in found.suggestions
    ]
    return json.dumps(
        {
            "file": str(doc.path),
            "encoding": doc.encoding,
            "suggestions": items,
            "problems": found.problems,
        },
        ensure_ascii=False,
        indent=2,
    )


def _show(doc: Document, s: Suggestion, n: int, total: int) -> None:
    where = f"line {diff.line_number(doc.text, s.start)}"
    out.print(f"\n[bold]{n}/{total}[/] [dim]{where} · {s.kind} · {s.source}[/]  {s.reason}")
    out.print("   ", diff.rich_inline(doc.text, s))


def _answer() -> str:
    try:
        return out.input("Accept? \\[a/r/A/q] › ").strip()
    except (EOFError, KeyboardInterrupt):
        return "q"


def choose(doc: Document, suggestions: list[Suggestion]) -> list[Suggestion]:
    """Ask about each suggestion in turn; the accepted ones, in order."""
    accepted: list[Suggestion] = []
    for n, s in enumerate(suggestions, 1):
        _show(doc, s, n, len(suggestions))
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
        doc = await asyncio.to_thread(load, file)
        if as_json and no_model:
            sys.stdout.write(_as_json(doc, await review(doc.text)) + "\n")
            return 0
        async with opened(quiet=as_json) as companion:
            found = await _review(doc, None if no_model else companion.llm)
            if as_json:
                sys.stdout.write(_as_json(doc, found) + "\n")
                return 0
            for problem in found.problems:
                err.print(f"[yellow]{problem}[/]")
            if not found.suggestions:
                out.print(f"I found nothing to correct in {doc.path.name}.")
                return 0
            count = len(found.suggestions)
            out.print(f"{count} suggestion{'s' if count != 1 else ''} for {doc.path.name}.")
            chosen = found.suggestions if accept_all else choose(doc, found.suggestions)
            if not chosen:
                out.print(f"Nothing accepted; {doc.path.name} is unchanged.")
                return 0
            args = ProofreadArgs(path=str(doc.path), accepted=[s.to_dict() for s in chosen])
            # answering each suggestion at a terminal is the person's yes; --all is not
            said_yes = yes or (not accept_all and sys.stdin.isatty())
            return await carry_out(
                companion, user, "proofread", args, yes=said_yes, why=f"os1 proofread {file}"
            )

    run(work)
