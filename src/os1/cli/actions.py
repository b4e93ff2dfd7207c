"""Actions from the terminal: carrying out a skill's proposal with the person's yes, the
journal (``os1 actions``), and ``os1 undo``.

``carry_out`` is the one way a CLI command changes the world: the tool plans, the plan is
journaled and shown, and it runs only on a typed "y" or ``--yes``. Without a terminal and
without ``--yes`` nothing runs; the proposal waits in the journal for
``os1 actions confirm ID``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from os1.cli.output import silence_stdout
from os1.companion import Companion
from os1.config import DEFAULT_USER, load_settings
from os1.core.actions import Action
from os1.errors import Os1Error
from os1.events import ActionSettled, ErrorEvent, ProposalMade

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
UserOption = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose actions.")
YesOption = typer.Option(False, "--yes", "-y", help="Confirm without asking (for scripts).")

actions_app = typer.Typer(
    help="What os1 did or offered to do for you (the action journal).\n\n"
    "Examples: `os1 actions`, `os1 actions show 12`, `os1 actions confirm 12`, `os1 undo`.",
    invoke_without_command=True,
)
skills_app = typer.Typer(
    help="The skills os1 has, and which may act without asking.\n\n"
    "Examples: `os1 skills`, `os1 skills allow add_event`, `os1 skills ask add_event`.",
    invoke_without_command=True,
)


@asynccontextmanager
async def opened(quiet: bool = True) -> AsyncIterator[Companion]:
    """A companion for one command; the model loads only if a skill needs it."""
    from os1.cli.session import start_companion  # imported late: it pulls in the model

    # a command names its skill itself: no model choosing tools (nor warming up to)
    companion = await start_companion(err, quiet=quiet, lazy=True, tool_choice=False)
    try:
        yield companion
    finally:
        await companion.aclose()


@asynccontextmanager
async def opened_cheaply() -> AsyncIterator[Companion]:
    """The cheap open (``Companion.open``), for commands that only read, sync or set up:
    the store and the services, no model loaded unless something asks for it."""
    companion = await Companion.open(load_settings())
    try:
        yield companion
    finally:
        await companion.aclose()


def run(work: Callable[[], Coroutine[Any, Any, int | None]]) -> None:
    """Run a command's async body; an Os1Error becomes its message and exit code 1, and
    so does stdout's reader going away (``os1 memory search … | head``): the companion
    is closed on the way out, as after any error."""
    try:
        code = asyncio.run(work())
    except Os1Error as exc:
        err.print(f"[red]{exc.message}[/] [dim]{exc.hint}[/]")
        raise typer.Exit(1) from exc
    except BrokenPipeError:
        silence_stdout("it stopped")
        raise typer.Exit(1) from None
    raise typer.Exit(code or 0)


def show_settled(event: ActionSettled | ErrorEvent) -> int:
    if isinstance(event, ErrorEvent):
        err.print(f"[red]{event.message}[/] [dim]{event.hint}[/]")
        return 1
    style = {"done": "green", "failed": "red", "undone": "green"}.get(event.status, "yellow")
    out.print(Text(event.message, style=style))
    if event.status == "done":
        out.print(f"[dim]Action {event.proposal_id} is in the journal (`os1 actions`).[/]")
    return 1 if event.status == "failed" else 0


def _ask(question: str) -> bool:
    try:
        return out.input(f"[bold]{question}[/] [y/N] › ").strip().lower() in ("y", "yes")
    except (EOFError, KeyboardInterrupt):
        return False


def show_proposal(proposal: ProposalMade) -> None:
    """The plan's preview, as plain text: it may quote a letter or a mail, whose
    brackets must not turn into terminal formatting."""
    body = Text(proposal.preview)
    if not proposal.undoable:
        body.append("\n\nThis cannot be undone.", style="bold red")
    title = Text(f"{proposal.title} (proposal {proposal.proposal_id})", style="bold")
    out.print(Panel(body, title=title, title_align="left"), soft_wrap=False)


async def carry_out(
    companion: Companion,
    user: str,
    tool_name: str,
    args: BaseModel | dict[str, Any],
    *,
    yes: bool,
    why: str,
    ask: bool | None = None,
) -> int:
    """Plan ``tool_name`` with ``args``, show the plan, and run it if the person says yes.

    Args:
        why: the person's request in words, kept in the journal.
        ask: whether a person is at the terminal to answer (default: stdin is a terminal).

    Returns:
        The command's exit code: 0 when done, declined or waiting, 1 when it failed.
    """
    proposal = await companion.propose(user, tool_name, args, why=why)
    if isinstance(proposal, str):
        out.print(proposal, markup=False)
        return 0
    show_proposal(proposal)
    if not yes:
        if not (sys.stdin.isatty() if ask is None else ask):
            out.print(
                f"Nothing done yet: confirm with `os1 actions confirm {proposal.proposal_id}`"
                " (or run again with --yes)."
            )
            return 0
        if not _ask("Do it?"):
            async for event in companion.decide(user, proposal.proposal_id, confirm=False):
                assert isinstance(event, ActionSettled | ErrorEvent)
                show_settled(event)
            return 0
    code = 0
    async for event in companion.decide(user, proposal.proposal_id, confirm=True):
        assert isinstance(event, ActionSettled | ErrorEvent)
        code = show_settled(event)
        if isinstance(event, ActionSettled) and event.status == "done" and proposal.undoable:
            out.print(f"[dim]Undo it with `os1 undo {proposal.proposal_id}`.[/]")
    return code


def _when(stamp: float | None) -> str:
    return dt.datetime.fromtimestamp(stamp).strftime("%a %d %b %H:%M") if stamp else ""


def _as_json(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "tool": action.tool,
        "title": action.title,
        "status": action.status,
        "why": action.why,
        "result": action.result,
        "undoable": action.undoable,
        "created_at": action.created_at,
        "decided_at": action.decided_at,
    }


@actions_app.callback()
def actions_list(
    ctx: typer.Context,
    user: str = UserOption,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """The newest actions: what, when, why, and what became of them."""
    if ctx.invoked_subcommand is not None:
        return

    async def work() -> int:
        async with opened_cheaply() as companion:
            found = await companion.actions.recent(user, limit)
        if as_json:
            for action in found:
                sys.stdout.write(json.dumps(_as_json(action)) + "\n")
            return 0
        if not found:
            out.print("No actions yet. Ask me to do something, or see `os1 skills`.")
            return 0
        table = Table("id", "when", "what", "status", "why", "undo")
        for a in found:
            can_undo = "yes" if a.can_undo else ""
            why = a.why if len(a.why) <= 50 else a.why[:49] + "…"
            table.add_row(str(a.id), _when(a.created_at), a.title, a.status, why, can_undo)
        out.print(table)
        return 0

    run(work)


@actions_app.command("show")
def actions_show(
    action_id: int = typer.Argument(..., help="The action's id."), user: str = UserOption
) -> None:
    """Everything about one action: the preview you saw, the result, how to undo it."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            action = await companion.actions.get(user, action_id)
        if action is None:
            err.print(f"[red]There is no action {action_id} of yours.[/]")
            err.print("[dim]`os1 actions` lists them.[/]")
            return 1
        title = Text(f"{action.id}: {action.title}")
        out.print(Panel(Text(action.preview), title=title, title_align="left"), soft_wrap=False)
        out.print(f"status: {action.status}    proposed: {_when(action.created_at)}")
        if action.why:
            out.print(Text(f"asked for with: {action.why}"))
        if action.result:
            out.print(Text(f"result: {action.result}"))
        if action.can_undo:
            out.print(f"[dim]Undo it with `os1 undo {action.id}`.[/]")
        return 0

    run(work)


def _decide_command(confirm: bool) -> Callable[[int, str], None]:
    def command(
        action_id: int = typer.Argument(..., help="The proposal's id."), user: str = UserOption
    ) -> None:
        async def work() -> int:
            code = 0
            async with opened(quiet=False) as companion:
                async for event in companion.decide(user, action_id, confirm=confirm):
                    assert isinstance(event, ActionSettled | ErrorEvent)
                    code = show_settled(event)
            return code

        run(work)

    command.__doc__ = (
        "Run a waiting proposal (you saw its preview)." if confirm else "Drop a waiting proposal."
    )
    return command


actions_app.command("confirm")(_decide_command(True))
actions_app.command("decline")(_decide_command(False))


def undo(
    action_id: int | None = typer.Argument(None, help="The action's id (default: the latest)."),
    user: str = UserOption,
) -> None:
    """Put things back as they were before an action, where the world allows.

    Examples: `os1 undo` (the latest undoable action), `os1 undo 12`.
    """

    async def work() -> int:
        async with opened() as companion:
            return show_settled(await companion.undo(user, action_id))

    run(work)


@skills_app.callback()
def skills_list(ctx: typer.Context, user: str = UserOption) -> None:
    """Every skill, what it does, and whether it may act without asking you."""
    if ctx.invoked_subcommand is not None:
        return

    async def work() -> int:
        async with opened_cheaply() as companion:
            table = Table("skill", "what it does", "asks first")
            for skill in await companion.actions.skills(user):
                table.add_row(f"/{skill.name}", skill.summary, "yes" if skill.asks_first else "no")
            out.print(table)
            for problem in companion.actions.problems:
                err.print(f"[yellow]A plugin could not be loaded: {problem}[/]")
        return 0

    run(work)


def _policy_command(allow: bool) -> Callable[[str, str], None]:
    def command(
        name: str = typer.Argument(..., help="The skill's name, e.g. add_event."),
        user: str = UserOption,
    ) -> None:
        async def work() -> int:
            async with opened_cheaply() as companion:
                await companion.actions.allow(user, name, allow)
            out.print(
                f"{name} will now act without asking; `os1 undo` takes an action back, and"
                " what cannot be undone (sending a mail) still asks."
                if allow
                else f"{name} will ask you first again."
            )
            return 0

        run(work)

    command.__doc__ = (
        "Let a skill act without asking each time (what cannot be undone still asks)."
        if allow
        else "Make a skill ask you first again."
    )
    return command


skills_app.command("allow")(_policy_command(True))
skills_app.command("ask")(_policy_command(False))
