"""``os1 affect``: the feelings in each line of text, for a look or an evaluation; and
``os1 mood``: the person's mood day by day, with the feelings and words behind it; and
``os1 feelings``: the companion's own feelings, with their reasons."""

from __future__ import annotations

import datetime as dt
import json
import sys

import typer
from rich.table import Table

from os1.cli.actions import err, opened_cheaply, out, run
from os1.config import DEFAULT_USER
from os1.core.feelings import HONEST, MOST_TEXTS, Reading, said_aloud


def _shown(reading: Reading) -> str:
    if reading.language != "en":
        return "[dim]unknown (not English, or no words)[/]"
    return ", ".join(f"{f.label} {f.intensity:.2f}" for f in reading.feelings)


def _table(lines: list[str], readings: list[Reading]) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    for column in ("line", "feelings", "valence", "arousal", "because of"):
        table.add_column(column, overflow="fold")
    for line, reading in zip(lines, readings, strict=True):
        short = line if len(line) <= 60 else line[:57] + "…"
        table.add_row(
            short, _shown(reading), f"{reading.valence:+.2f}", f"{reading.arousal:.2f}",
            ", ".join(reading.words),
        )  # fmt: skip
    return table


def affect(
    text: list[str] = typer.Argument(None, help="Lines to read (default: standard input)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line read."),
) -> None:
    """Read the feelings in text: one message a line, from the arguments or standard input.

    Each line gets the GoEmotions feelings it carries (admiration to surprise, or
    neutral) with their intensities, a valence (-1 unpleasant .. +1 pleasant) and arousal
    (0 calm .. 1 excited), and the words that drove its first feeling. A line in another
    language, or with no words, is marked unknown rather than guessed.

    Examples:
      os1 affect "Thank you so much, this made my day!"
      os1 affect --json < messages.txt
    """
    if text:
        lines = list(text)
    else:
        if sys.stdin.isatty():
            err.print("[dim]One message a line; end with Ctrl-D.[/]")
        data = sys.stdin.buffer.read()
        lines = data.decode("utf-8", errors="replace").splitlines()
    lines = [line for line in lines if line.strip()]
    if not lines:
        err.print("[red]There is nothing to read.[/] [dim]Give a line of text, or pipe some in.[/]")
        raise typer.Exit(1)

    async def body() -> int:
        async with opened_cheaply() as companion:
            readings: list[Reading] = []
            for start in range(0, len(lines), MOST_TEXTS):
                readings += await companion.feelings.read(lines[start : start + MOST_TEXTS])
        if as_json:
            for line, reading in zip(lines, readings, strict=True):
                out.print_json(json.dumps({"text": line, **reading.as_dict()}), indent=None)
        else:
            out.print(_table(lines, readings))
        return 0

    run(body)


def _bar(valence: float | None) -> str:
    """The mood as a small bar about a middle line: red to the left, green to the right."""
    if valence is None:
        return "[dim]     ·     [/]"
    cells = round(abs(valence) * 5)
    if valence >= 0:
        return " " * 5 + "│" + f"[green]{'█' * cells}[/]" + " " * (5 - cells)
    return " " * (5 - cells) + f"[red]{'█' * cells}[/]" + "│" + " " * 5


def mood(
    days: int = typer.Option(14, "--days", "-d", min=1, max=365, help="Days to show."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose mood."),
    as_json: bool = typer.Option(False, "--json", help="Every day as JSON."),
    by_conversation: bool = typer.Option(
        False, "--conversations", "-c", help="Each of your latest conversations instead."
    ),
) -> None:
    """Your mood day by day: the feelings in what you said, and the words behind them.

    Each day you talked shows its mood (-1 low .. +1 good), its strongest feelings and
    the words that drove them, how close we have grown and how much you trust me
    (confiding builds it, anger at me breaks some); silent days are left out (with
    --json every day is there, with the facts I held about you by then). With
    --conversations, the same for each of your latest conversations.

    Examples:
      os1 mood
      os1 mood --days 60 --json
      os1 mood --conversations
    """
    if by_conversation:
        run(lambda: _by_conversation(user, as_json))
        return

    async def body() -> int:
        async with opened_cheaply() as companion:
            found = await companion.memories.timeline(user, days)
        if as_json:
            out.print_json(json.dumps([d.as_dict() for d in found.days]))
            return 0
        talked = [d for d in found.days if d.messages]
        if not talked:
            out.print(f"We have not talked in the last {days} days, so there is no mood yet.")
            return 0
        table = Table(show_edge=False, pad_edge=False)
        for column in ("day", "said", "mood", "feelings", "because of", "closeness", "trust"):
            table.add_column(column, overflow="fold")
        for day in talked:
            felt = ", ".join(f"{label} {share:.0%}" for label, share in day.feelings)
            table.add_row(
                day.date.strftime("%a %d %b"), str(day.messages), _bar(day.mood),
                felt or (day.mood_label or ""), ", ".join(day.words), f"{day.closeness:.0%}",
                f"{day.trust:.0%}",
            )  # fmt: skip
        out.print(table)
        now = found.relationship
        out.print(
            f"Today: closeness {now.closeness:.0%}, trust {now.trust:.0%}; "
            f"{now.known} things I know about you, from {now.messages} messages in "
            f"{now.conversations} conversations."
        )
        return 0

    run(body)


async def _by_conversation(user: str, as_json: bool) -> int:
    async with opened_cheaply() as companion:
        found = await companion.feelings.conversations(user)
    if as_json:
        out.print_json(json.dumps([c.as_dict() for c in found]))
        return 0
    if not found:
        out.print("We have not talked yet, so there is no mood to show.")
        return 0
    table = Table(show_edge=False, pad_edge=False)
    for column in ("began", "said", "mood", "feelings", "because of"):
        table.add_column(column, overflow="fold")
    for talk in found:
        began = dt.datetime.fromtimestamp(talk.started_at).strftime("%a %d %b %H:%M")
        felt = ", ".join(f"{f.label} {f.intensity:.0%}" for f in talk.felt.feelings)
        table.add_row(
            began + (f"\n{talk.title}" if talk.title else ""), str(talk.felt.messages),
            _bar(talk.felt.valence), felt or "neutral", ", ".join(talk.felt.words),
        )  # fmt: skip
    out.print(table)
    return 0


def feelings(
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose companion."),
    as_json: bool = typer.Option(False, "--json", help="The feelings as JSON."),
) -> None:
    """How your companion feels now, and why: from what you shared, how you treated it,
    replies you cut off and silences, fading over a few days.

    Examples:
      os1 feelings
      os1 feelings --json
    """

    async def body() -> int:
        async with opened_cheaply() as companion:
            found = await companion.feelings.own(user)
        if as_json:
            out.print_json(json.dumps({"feelings": [f.as_dict() for f in found],
                                       "what_they_are": HONEST}))  # fmt: skip
            return 0
        if not found:
            out.print("I feel nothing in particular right now: calm.")
        for feeling in found:
            out.print(f"{said_aloud(feeling)} [dim]({feeling.intensity:.2f})[/]")
        out.print(f"\n[dim]{HONEST}[/]")
        return 0

    run(body)
