"""``os1 mcp``: the companion as an MCP server on stdin/stdout, for desktop clients.

The client (Claude Desktop, an IDE, another agent) starts this process itself, so it is
the person's own and trusted like ``os1 chat``: every call speaks for ``--user``. stdout
carries the protocol and nothing else: the companion starts quietly (no spinner, no
progress bar), logs go to stderr, and while serving the SDK points file descriptor 1 at
stderr so even stray native output misses the wire. The session counts as one live
conversation for as long as the process runs.

A client that stops reading (closes our stdout) ends the session even if it keeps stdin
open: calls under way are cancelled, their partial replies kept as interrupted, and the
process leaves within seconds (``ReaderWatch``).
"""

from __future__ import annotations

import asyncio
import logging
import sys

import typer
from rich.console import Console

from os1.cli.output import ReaderWatch, unless_output_closed
from os1.cli.session import start_companion
from os1.config import DEFAULT_USER
from os1.errors import Os1Error
from os1.server.mcp import build_server, local_resolver


async def run_mcp(user: str, home: str | None) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    async with ReaderWatch(ended="the MCP session ended") as reader:
        try:
            companion = reader.companion = await start_companion(err, quiet=True, home=home)
        except Os1Error as exc:
            err.print(f"[red]{exc.message}[/] {exc.hint}")
            return 1
        with companion.presence.hold(user):
            serving = asyncio.create_task(
                build_server(local_resolver(companion, user)).run_stdio_async()
            )
            try:
                await unless_output_closed(serving, serving.cancel, reader.gone)
            except* BrokenPipeError:  # a reply written as the client left
                raise BrokenPipeError from None
        return 0
    return 1  # the client stopped reading: calls under way were stopped, what they said kept


def mcp(
    user: str = typer.Option(
        DEFAULT_USER, "--user", "-u", help="Whose companion the client talks to."
    ),
    home: str | None = typer.Option(
        None, "--home", help="Data folder (default: $OS1_HOME or the XDG data dir)."
    ),
) -> None:
    """Serve MCP on stdin/stdout (for desktop clients that start os1 themselves).

    Tools: search_memories, remember, talk, profile, live_conversations. For other
    machines use `os1 serve` and connect to http://HOST:PORT/mcp with an API key.

    Example client config: {"command": "os1", "args": ["mcp", "--user", "alice"]}
    """
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    raise typer.Exit(asyncio.run(run_mcp(user, home)))
