"""Starting the companion from the terminal: settings, a progress bar for the first model
build, and a spinner while the model wakes up."""

from __future__ import annotations

import sys
import threading
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from os1.companion import Companion
from os1.config import load_settings


def catches_signals() -> bool:
    """Whether the event loop can take Ctrl-C itself: its signal handlers exist on Unix,
    in the main thread only (not in tests' worker threads, not on Windows); elsewhere
    Ctrl-C simply ends the program."""
    return sys.platform != "win32" and threading.current_thread() is threading.main_thread()


async def start_companion(
    err: Console,
    quiet: bool,
    *,
    lazy: bool = False,
    local: bool = True,
    warm: bool = True,
    **flags: Any,
) -> Companion:
    """Load settings with ``flags`` on top and start a companion, showing progress on stderr;
    ``lazy`` loads the model only when something first needs it. A terminal command
    serves the person at this machine (``local``: their tools reach their own files);
    ``os1 serve`` passes ``local=False``, so each account's own reach applies. ``warm``
    reads ahead what later turns need (the tool menu, the embedders) while the person
    is idle; a one-shot command has no idle time, so it passes False and nothing
    competes with its one turn.

    Raises:
        Os1Error: settings are invalid, the store cannot be opened or the model not loaded.
    """
    settings = load_settings(flags)
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet,
    )
    task_id = progress.add_task("Assembling the model (once)", total=None, visible=False)

    def on_progress(done: int, total: int) -> None:
        progress.update(task_id, completed=done, total=total, visible=True)

    if lazy:
        return await Companion.start(settings, lazy=True, local=local, warm=warm)
    with progress:
        if quiet:
            return await Companion.start(settings, progress=on_progress, local=local, warm=warm)
        with err.status("Waking up…", spinner="dots"):
            return await Companion.start(settings, progress=on_progress, local=local, warm=warm)
