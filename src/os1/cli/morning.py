"""``os1 morning``: a short spoken-style briefing of what happened since you last talked."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict

import typer
from rich.console import Console

from os1.cli.session import start_companion
from os1.config import DEFAULT_USER
from os1.errors import Os1Error


def morning(
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose morning."),
    as_json: bool = typer.Option(False, "--json", help="The briefing and what it rests on."),
) -> None:
    """Good morning: what is new since you last talked, what is due today or tomorrow.

    Example: os1 morning
    """
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)

    async def work() -> int:
        try:
            companion = await start_companion(err, quiet=as_json)
        except Os1Error as exc:
            err.print(f"[red]{exc.message}[/] [dim]{exc.hint}[/]")
            return 1
        try:
            briefing = await companion.morning(user)
        except Os1Error as exc:
            err.print(f"[red]{exc.message}[/] [dim]{exc.hint}[/]")
            return 1
        finally:
            await companion.aclose()
        if as_json:
            out.print(json.dumps(asdict(briefing), ensure_ascii=False), markup=False)
        else:
            out.print(briefing.text, markup=False)
        return 0

    raise typer.Exit(asyncio.run(work()))
