"""``os1 serve``: the companion for a browser, API clients and other agents.

On a personal install the local owner (``--user``, default ``me``) is made an admin and
gets a one-time sign-in link each start (the code rides in the URL's #fragment, which
browsers never send to servers or logs); other people get accounts with ``os1 users``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from typing import Any

import typer
import uvicorn
from rich.console import Console

from os1.cli.session import start_companion
from os1.config import DEFAULT_USER, load_settings
from os1.core.accounts import Accounts
from os1.errors import Os1Error
from os1.server.app import create_app
from os1.server.fleet import check_redis
from os1.server.listener import open_file_room, uvicorn_config

SIGNIN_MINUTES = 15
FILES_BESIDES_SOCKETS = 1024  # the database, its WAL, models, logs, the worker pools


async def _signin_link(accounts: Accounts, owner: str, base: str) -> str:
    account = await accounts.ensure_owner(owner)
    code = await accounts.start_session(account, "signin", SIGNIN_MINUTES * 60)
    return f"{base}/#signin={code}"


async def _serve(host: str | None, port: int | None, owner: str, home: str | None) -> int:
    err = Console(stderr=True, highlight=False)
    flags: dict[str, Any] = {"home": home, "host": host, "port": port}
    try:
        settings = load_settings(flags)
        if settings.redis_url:  # named before the model loads, not as a start-up traceback
            await check_redis(settings.redis_url)
        companion = await start_companion(err, quiet=False, local=False, **flags)
    except Os1Error as exc:
        err.print(f"[red]{exc.message}[/] {exc.hint}")
        return 1
    try:
        shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        base = f"http://{shown}:{settings.port}"
        link = await _signin_link(companion.accounts, owner, base)
        server = uvicorn.Server(uvicorn_config(create_app(settings, companion), settings))
        wanted = settings.max_connections + FILES_BESIDES_SOCKETS
        if (room := open_file_room(wanted)) < wanted:
            err.print(
                f"[yellow]This process may open only {room} files, so it can hold about"
                f" {max(0, room - FILES_BESIDES_SOCKETS)} connections, not the"
                f" {settings.max_connections} of max_connections.[/] Raise the limit"
                " (`ulimit -n`, or LimitNOFILE= for a systemd service)."
            )

        def stop(*_: object) -> None:
            server.should_exit = True

        # A stop signal before uvicorn takes over its handlers still stops the server;
        # the one uvicorn re-raises after its graceful shutdown lands here too, so the
        # companion below gets closed and `os1 serve` exits 0.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop)
        # thousands of idle sockets are long-lived objects: what start-up made is frozen
        # out of collection, and the young generation is collected less often, which took
        # away second-long collector pauses under load
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        serving = asyncio.create_task(server.serve())
        # uvicorn offers no event for "listening", only this flag
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started:  # the link only once it works
            err.print(f"os1 is listening on [bold]{base}[/]")
            err.print(f"Open this to sign in as {owner} (valid {SIGNIN_MINUTES} min, once):")
            print(link, flush=True)
            err.print("Stop with Ctrl-C. API keys for others: `os1 users add NAME`.", style="dim")
        await serving
    finally:
        await companion.aclose()
    return 0


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default 127.0.0.1)."
    ),
    port: int | None = typer.Option(None, "--port", "-p", help="Port (default 8316)."),
    user: str = typer.Option(
        DEFAULT_USER, "--user", "-u", help="The local owner: made an admin, gets a sign-in link."
    ),
    home: str | None = typer.Option(
        None, "--home", help="Data folder (default: $OS1_HOME or the XDG data dir)."
    ),
) -> None:
    """Serve the web UI, the OpenAI-compatible API (/v1) and MCP (/mcp).

    Examples:

      os1 serve                      # then open the printed link

      os1 serve --host 0.0.0.0 -p 9000   # reachable from your network

      curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8316/v1/models
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    raise typer.Exit(asyncio.run(_serve(host, port, user, home)))
