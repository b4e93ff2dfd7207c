"""The ``os1`` Typer app: wires the command groups together; no logic of its own."""

from __future__ import annotations

import signal
from types import FrameType

import typer

from os1.cli.actions import actions_app, skills_app, undo
from os1.cli.calendar import calendar_app
from os1.cli.chat import chat
from os1.cli.doctor import doctor
from os1.cli.files import files_app
from os1.cli.mail import mail_app
from os1.cli.mcp import mcp
from os1.cli.memory import memory_app
from os1.cli.models import models_app
from os1.cli.morning import morning
from os1.cli.proofread import proofread
from os1.cli.serve import serve
from os1.cli.talk import talk, voice
from os1.cli.users import users_app

app = typer.Typer(
    name="os1",
    help="os1: a local-first AI companion. Start with `os1 serve` (web) or `os1 chat` (terminal).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
app.add_typer(models_app, name="models")
app.add_typer(memory_app, name="memory")
app.add_typer(files_app, name="files")
app.add_typer(mail_app, name="mail")
app.add_typer(calendar_app, name="calendar")
app.add_typer(users_app, name="users")
app.add_typer(actions_app, name="actions")
app.add_typer(skills_app, name="skills")
app.command()(undo)
app.command()(chat)
app.command()(doctor)
app.command("mcp")(mcp)
app.command()(morning)
app.command()(proofread)
app.command()(serve)
app.command()(talk)
app.command()(voice)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the command as Ctrl-C would: by unwinding, so every ``finally`` and
    exit handler runs (the model's socket folder, the store's last write) rather than
    the process vanishing mid-way."""
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)  # `os1 serve` puts its own in while serving
    app()
