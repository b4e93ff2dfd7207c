"""``os1 doctor``: check everything os1 needs and say how to fix what is wrong."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table

from os1.config import load_settings
from os1.core.health import run_checks
from os1.errors import Os1Error


def doctor() -> None:
    """Check Python, packages, data folder, disk, database, privacy and model; say how to
    fix each.

    Exits 0 when everything needed works, 1 otherwise.

    Example: os1 doctor
    """
    console = Console()
    try:
        settings = load_settings()
    except Os1Error as exc:
        console.print(f"[red]✗ config[/] {exc.message} [dim]{exc.hint}[/]")
        raise typer.Exit(1) from exc
    checks = asyncio.run(run_checks(settings))
    table = Table(show_header=True, header_style="bold")
    for column in ("", "check", "detail", "how to fix"):
        table.add_column(column)
    for check in checks:
        mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]![/]"}[check.ok]
        table.add_row(mark, check.name, check.detail, check.fix)
    console.print(table)
    failed = [c for c in checks if c.ok is False]
    console.print("[red]Some checks failed.[/]" if failed else "[green]All good.[/]")
    raise typer.Exit(1 if failed else 0)
