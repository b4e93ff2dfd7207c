"""The ``os1`` Typer app: wires the command groups together; no logic of its own.

Commands are imported only when one is run (issue 15): ``os1 --help`` and every command
start without loading the others' dependencies (the model's, the web server's, the MCP
SDK's), which took ~1.5 s of imports. The list below names each command with its one-line
help for the top-level help page; a test keeps those lines equal to the commands' own.
(The lazy-group idea is click's documented "lazily loading subcommands" pattern.)
"""

from __future__ import annotations

import importlib
import signal
from types import FrameType
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# name: (module in os1.cli, attribute, one-line help), in the order the help shows them
COMMANDS: dict[str, tuple[str, str, str]] = {
    "undo": ("actions", "undo",
             "Put things back as they were before an action, where the world allows."),
    "chat": ("chat", "chat", "Talk with your companion, or with a persona."),
    "doctor": ("doctor", "doctor",
               "Check Python, packages, data folder, disk, database, privacy and model; say "
               "how to fix each."),
    "mcp": ("mcp", "mcp",
            "Serve MCP on stdin/stdout (for desktop clients that start os1 themselves)."),
    "morning": ("morning", "morning",
                "Good morning: what is new since you last talked, what is due today or "
                "tomorrow."),
    "proofread": ("proofread", "proofread",
                  "Proofread a text file: spelling, grammar and style, each change yours to "
                  "accept."),
    "serve": ("serve", "serve",
              "Serve the web UI, the OpenAI-compatible API (/v1) and MCP (/mcp)."),
    "talk": ("talk", "talk", "Talk with your companion aloud."),
    "voice": ("talk", "voice", "Show or change the companion's voice."),
    "models": ("models", "models_app", "See whether the model files are ready, and build them."),
    "memory": ("memory", "memory_app",
               "What os1 remembers about you: see it, search it, correct it, forget it."),
    "files": ("files", "files_app", "Your files: tidy a folder, find a file."),
    "mail": ("mail", "mail_app",
             "Your mail: connect, index, triage, find, draft, send (only after you confirm)."),
    "calendar": ("calendar", "calendar_app",
                 "Your calendar: add appointments in your own words, see what is on, import "
                 "and export .ics files, get reminders, and sync with a CalDAV server."),
    "letters": ("letters", "letters_app",
                "Letters written by hand: as a print-ready PDF and a picture of each page."),
    "library": ("library", "library_app",
                "Your books and documents, read into a library you can search."),
    "persona": ("persona", "persona_app",
                "Personas: a writer rebuilt from their own words, with consent and sources."),
    "affect": ("affect", "affect",
               "Read the feelings in text: one message a line, from the arguments or "
               "standard input."),
    "mood": ("affect", "mood",
             "Your mood day by day: the feelings in what you said, and the words behind them."),
    "feelings": ("affect", "feelings",
                 "How your companion feels now, and why: from what you shared, how you "
                 "treated it, replies you cut off and silences, fading over a few days."),
    "people": ("people", "people_app",
               "The people in your life: nudges to get in touch, and introductions with "
               "consent."),
    "converse": ("converse", "converse",
                 "Two companions talk: yours, a persona, or one on another os1."),
    "compose": ("music", "compose",
                "Compose a piece about a moment: piece.mid, .wav, .ogg, .musicxml, .pdf and "
                "why.txt."),
    "song": ("song", "song",
             "Write a song together about a moment: song.txt (words and chords), chords.svg "
             "(ukulele diagrams), lead.pdf (lead sheet), song.mid and song.wav (a guide "
             "track)."),
    "music": ("music", "music_app",
              "The pieces and songs os1 made with you: list them, show why, play them, "
              "forget them."),
    "users": ("users", "users_app", "Accounts and API keys for `os1 serve`."),
    "migrate": ("migrate", "migrate",
                "Move a store between SQLite and PostgreSQL, row for row, and check both hold "
                "the same."),
    "actions": ("actions", "actions_app",
                "What os1 did or offered to do for you (the action journal)."),
    "skills": ("actions", "skills_app", "The skills os1 has, and which may act without asking."),
}  # fmt: skip


def load_command(name: str) -> Any:
    """The click command behind ``name``, its module imported now."""
    module, attribute, _ = COMMANDS[name]
    found = getattr(importlib.import_module(f"os1.cli.{module}"), attribute)
    holder = typer.Typer(add_completion=False, rich_markup_mode="rich")
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
    return typer.main.get_group(holder).commands[name]


class LazyGroup(TyperGroup):
    """Lists every command from ``COMMANDS``; imports one only to run it (or show its
    own help)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][2])  # for the listing

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            self.commands[args[0]] = load_command(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="os1",
    help="os1: a local-first AI companion. Start with `os1 serve` (web) or `os1 chat` (terminal).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    cls=LazyGroup,
)


@app.callback()
def _main() -> None:
    """os1: a local-first AI companion. Start with `os1 serve` (web) or `os1 chat` (terminal)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the command as Ctrl-C would: by unwinding, so every ``finally`` and
    exit handler runs (the model's socket folder, the store's last write) rather than
    the process vanishing mid-way."""
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)  # `os1 serve` puts its own in while serving
    app()
