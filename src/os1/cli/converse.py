"""``os1 converse A B``: two parties talk, each a person's companion, a persona, or a
companion on another os1; each local owner keeps the transcript in their talks."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import aclosing

import typer
from rich.markup import escape

from os1.cli.actions import err, opened, opened_cheaply, out, run
from os1.config import DEFAULT_USER
from os1.core.talks import (
    LINES_DEFAULT,
    LINES_MOST,
    SHARED_BY_DEFAULT,
    Line,
    TalkBegun,
    line_dict,
    talk_dict,
)

_EXAMPLES = (
    "Examples: `os1 converse companion:ana persona:thoreau --topic 'walking in winter'`, "
    "`os1 converse persona:thoreau persona:wilde --turns 8`, "
    "`os1 converse companion:ana http://192.168.1.20:8765 --key os1_…`, "
    "`os1 converse --list`, `os1 converse --show 3`."
)


def converse(
    first: str | None = typer.Argument(
        None, help="Who opens: companion:NAME, persona:NAME, or another os1's address."
    ),
    second: str | None = typer.Argument(None, help="Who answers, named the same way."),
    turns: int = typer.Option(
        LINES_DEFAULT,
        "--turns",
        "-n",
        min=1,
        max=LINES_MOST,
        help="Lines in the talk, both sides together.",
    ),
    topic: str = typer.Option("", "--topic", "-t", help="What to talk about."),
    share: str = typer.Option(
        ",".join(SHARED_BY_DEFAULT),
        "--share",
        help="What a companion may tell about its person: kinds of memory, comma-separated "
        "(preference, routine, plan, event, ...; none for nothing). Never a word about "
        "anyone else.",
    ),
    key: str = typer.Option(
        "", "--key", envvar="OS1_REMOTE_KEY", help="The API key of the person on another os1."
    ),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose personas and talks."),
    listing: bool = typer.Option(False, "--list", help="List your talks."),
    shown: int | None = typer.Option(None, "--show", metavar="TALK", help="Show one talk."),
    as_json: bool = typer.Option(False, "--json", help="Print the talk as JSON."),
) -> None:
    """Two companions talk: yours, a persona, or one on another os1.

    Each side speaks in turn through the same calls every door uses. A companion tells
    only what its person shares (likes and interests unless --share says more), a
    persona answers from its writings with sources, and nothing said is learned as
    yours.

    Examples: `os1 converse companion:ana persona:thoreau --topic 'walking in winter'`,
    `os1 converse persona:thoreau persona:wilde --turns 8`,
    `os1 converse companion:ana http://192.168.1.20:8765 --key os1_…`,
    `os1 converse --list`, `os1 converse --show 3`."""
    if listing or shown is not None:
        run(lambda: _talks(user, shown, as_json))
        return
    if not first or not second:
        err.print(f"[red]Name the two parties.[/] [dim]{escape(_EXAMPLES)}[/]")
        raise typer.Exit(2)
    kinds = tuple(k for k in share.split(",") if k.strip())

    async def work() -> int:
        lines: list[Line] = []
        begun: TalkBegun | None = None
        async with opened(quiet=as_json) as companion:
            talk = companion.talks.run(
                user, first, second, lines=turns, topic=topic, share=kinds, key=key
            )
            with err.status("Starting the talk…", spinner="dots") as status:
                async with aclosing(talk) as said:
                    async for item in said:
                        if isinstance(item, TalkBegun):
                            begun = item
                        else:
                            lines.append(item)
                            if not as_json:
                                status.stop()
                                _show_line(item)
                                status.start()
                        if begun is not None:
                            nxt = (begun.first, begun.second)[len(lines) % 2]
                            status.update(f"{escape(nxt)} is thinking…")
        if as_json:
            kept = begun.kept if begun else {}
            out.print_json(json.dumps({"talks": kept, "lines": [line_dict(x) for x in lines]}))
        elif begun is not None:
            where = ", ".join(f"{o}'s talk {n}" for o, n in begun.kept.items())
            out.print(f"\n[dim]Kept as {escape(where)}: os1 converse --show N[/]")
        return 0

    run(work)


def _show_line(line: Line) -> None:
    out.print(f"[bold]{escape(line.name)}[/]: {escape(line.content)}")
    for cited in line.citations[:2]:
        words = " ".join(cited.text.split())
        out.print(f"    [dim]“{escape(words[:140])}{'…' if len(words) > 140 else ''}” — "
                  f"{escape(cited.title)}, at {cited.start:,}[/]")  # fmt: skip


async def _talks(user: str, shown: int | None, as_json: bool) -> int:
    async with opened_cheaply() as companion:
        talks = (
            [await companion.talks.show(user, shown)]
            if shown is not None
            else await companion.talks.listed(user)
        )
    if as_json:
        found = [talk_dict(t) for t in talks]
        out.print_json(json.dumps(found[0] if shown is not None else found))
        return 0
    if not talks:
        out.print("No talks yet. " + _EXAMPLES)
    for talk in talks:
        when = dt.datetime.fromtimestamp(talk.started_at).strftime("%Y-%m-%d %H:%M")
        about = f" about {talk.topic}" if talk.topic else ""
        out.print(f"[bold]{talk.id}[/] {escape(talk.first)} with {escape(talk.second)}"
                  f"{escape(about)} [dim]{when}, {len(talk.lines)} lines[/]")  # fmt: skip
        if shown is not None:
            shared = ", ".join(talk.shared) or "nothing about you"
            out.print(f"[dim]Your companion could share: {escape(shared)}[/]\n")
            for line in talk.lines:
                _show_line(line)
    return 0
