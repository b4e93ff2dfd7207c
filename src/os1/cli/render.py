"""How the terminal shows a turn's events: streamed text, notices, errors, or JSON lines."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TimeRemainingColumn,
)

from os1.companion import dumps_event
from os1.events import (
    ActionSettled,
    Cited,
    ErrorEvent,
    Notice,
    TextDelta,
    TurnEvent,
    TurnFinished,
)


def transient_progress(console: Console, *columns: str | ProgressColumn) -> Progress:
    """A progress display on ``console`` that clears itself when done and stays silent
    when ``console`` is not a terminal (a pipe, a log, --json)."""
    return Progress(*columns, console=console, transient=True, disable=not console.is_terminal)


def counted_progress(console: Console, label: str) -> Progress:
    """``label``, a bar, done of total, and the time left."""
    return transient_progress(
        console,
        f"[progress.description]{label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )


@dataclass
class Renderer:
    """Renders one event at a time. ``speaker`` labels the companion's replies."""

    out: Console
    err: Console
    as_json: bool = False
    interactive: bool = True
    speaker: str = ""
    _open_reply: bool = field(default=False, init=False)
    failed: bool = field(default=False, init=False)

    def show(self, event: TurnEvent) -> None:
        if self.as_json:
            sys.stdout.write(dumps_event(event) + "\n")
            sys.stdout.flush()
            self.failed |= isinstance(event, ErrorEvent)
            return
        if isinstance(event, TextDelta):
            if not self._open_reply and self.interactive and self.speaker:
                self.out.print(f"[bold magenta]{self.speaker}[/] › ", end="")
            self._open_reply = True
            self.out.print(event.text, end="", markup=False, highlight=False, soft_wrap=True)
            self.out.file.flush()
        elif isinstance(event, TurnFinished):
            if event.interrupted and self.interactive:
                note = "(interrupted)" if self._open_reply else "(stopped before I said anything)"
                self.out.print(f" [dim]{note}[/]", end="")
                self._open_reply = True
            if self._open_reply or not self.interactive:
                self.out.print()
            self._open_reply = False
        elif isinstance(event, Cited):
            if event.sources or event.unverified:
                self._end_line()
                self._show_sources(event)
        elif isinstance(event, ActionSettled):
            self._end_line()
            style = {"done": "green", "failed": "red"}.get(event.status, "yellow")
            self.out.print(f"[{style}]{event.message}[/]", highlight=False)
        elif isinstance(event, Notice):
            self._end_line()
            self.err.print(f"[yellow]{event.message}[/]", highlight=False)
        elif isinstance(event, ErrorEvent):
            self._end_line()
            self.failed = True
            hint = f" [dim]{event.hint}[/]" if event.hint else ""
            self.err.print(f"[red]{event.message}[/]{hint}", highlight=False)

    def _show_sources(self, cited: Cited) -> None:
        """The passages a persona's reply rests on, each its writer's exact words."""
        for source in cited.sources:
            where = source.title + (f", {source.chapter}" if source.chapter else "")
            words = " ".join(source.text.split())
            more = "…" if len(words) > 200 else ""
            self.out.print(f"  [{source.number}] {where} (at {source.start:,}): "
                           f"“{words[:200]}{more}”", style="dim", markup=False,
                           highlight=False)  # fmt: skip
        if cited.unverified:
            self.out.print(f"  {cited.unverified} quotation(s) not found in the writings are "
                           "shown without quotation marks.", style="dim", markup=False)  # fmt: skip

    def _end_line(self) -> None:
        if self._open_reply:
            self.out.print()
            self._open_reply = False

    def error(self, message: str, hint: str = "") -> None:
        self.show(ErrorEvent("cli_error", message, hint))

    def info(self, message: str, style: str = "") -> None:
        if self.as_json:
            self.show(Notice("info", message))
        else:
            self.out.print(message, style=style, highlight=False, markup=False)
