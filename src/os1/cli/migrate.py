"""``os1 migrate``: move a home's store between SQLite and PostgreSQL, losing nothing."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from os1.core.moving import compare_stores, move_store, place
from os1.errors import Os1Error


def migrate(
    source: str = typer.Option(
        ..., "--from", help="The store to copy: sqlite:PATH, or postgresql://user@host/db."
    ),
    target: str = typer.Option(
        ..., "--to", help="The store to copy into: empty, or where a cut-short move stopped."
    ),
    check: bool = typer.Option(
        False, "--check", help="Only compare the two stores, table by table; copy nothing."
    ),
    batch: int = typer.Option(2000, min=1, max=100_000, help="Rows per committed batch."),
) -> None:
    """Move a store between SQLite and PostgreSQL, row for row, and check both hold the same.

    Every table is copied with its ids, vectors and journal; each batch is committed with
    how far the move got, so a move that was cut short goes on where it stopped when run
    again. The source is left as it was. Stop `os1 serve` first, so nothing changes midway.

    Examples:
      os1 migrate --from sqlite:~/.local/share/os1/os1.db --to postgresql://os1@db.lan/os1
      os1 migrate --from postgresql://os1@db.lan/os1 --to sqlite:/backup/os1.db
      os1 migrate --from sqlite:os1.db --to postgresql://os1@db.lan/os1 --check
    """
    console = Console()
    err = Console(stderr=True)
    try:
        here, there = place(source), place(target)
        if check:
            moved = asyncio.run(compare_stores(here, there))
        else:
            console.print(f"Moving {here} to {there}.")
            with Progress(
                TextColumn("{task.description:<22}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                tasks: dict[str, TaskID] = {}

                def show(table: str, done: int, total: int) -> None:
                    if table not in tasks:
                        tasks[table] = bar.add_task(table, total=max(total, 1))
                    bar.update(tasks[table], completed=done if total else 1)

                moved = asyncio.run(move_store(here, there, show, batch))
    except Os1Error as exc:
        err.print(f"[red]Cannot migrate:[/] {exc.message}")
        if exc.hint:
            err.print(f"[dim]{exc.hint}[/]")
        raise typer.Exit(1) from exc
    table = Table(show_header=True, header_style="bold")
    for column in ("table", "rows", "same on both"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for item in moved:
        table.add_row(item.table, f"{item.rows:,}", "[green]yes[/]" if item.equal else "[red]no[/]")
    console.print(table)
    differ = [m.table for m in moved if not m.equal]
    if differ:
        err.print(
            f"[red]{len(differ)} tables differ:[/] {', '.join(differ)}. "
            "Run the same command again to go on with the move; nothing is lost."
        )
        raise typer.Exit(1)
    rows = sum(m.rows for m in moved)
    said = "hold the same" if check else "moved and checked"
    console.print(f"[green]{rows:,} rows in {len(moved)} tables {said}.[/]")
