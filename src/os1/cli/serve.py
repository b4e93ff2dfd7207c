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
import socket
import sys
from typing import Any

import typer
import uvicorn
from rich.console import Console

from os1.cli.session import start_companion
from os1.cli.workers import MOST_WORKERS, Workers, listening_socket, supervise
from os1.companion import Companion
from os1.config import DEFAULT_USER, Settings, load_settings
from os1.core.accounts import Accounts
from os1.errors import ConfigError, Os1Error
from os1.server.app import create_app
from os1.server.fleet import check_redis
from os1.server.listener import open_file_room, uvicorn_config

SIGNIN_MINUTES = 15
FILES_BESIDES_SOCKETS = 1024  # the database, its WAL, models, logs, the worker pools


async def _signin_link(accounts: Accounts, owner: str, base: str) -> str:
    account = await accounts.ensure_owner(owner)
    code = await accounts.start_session(account, "signin", SIGNIN_MINUTES * 60)
    return f"{base}/#signin={code}"


def _announce(err: Console, base: str, owner: str, link: str, how: str = "") -> None:
    """Once the server answers: where it listens, and the owner's sign-in link."""
    err.print(f"os1 is listening on [bold]{base}[/]{how}")
    err.print(f"Open this to sign in as {owner} (valid {SIGNIN_MINUTES} min, once):")
    print(link, flush=True)
    err.print("Stop with Ctrl-C. API keys for others: `os1 users add NAME`.", style="dim")


def _base(settings: Settings) -> str:
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{shown}:{settings.port}"


async def _shared_state(settings: Settings, err: Console, in_fleet: bool) -> Settings:
    """``settings`` with the Redis they name checked before the model loads. A lone
    server whose Redis is away keeps its state in its own process, with a warning; a
    fleet's worker cannot (it would split the fleet's limits), so that is an error.

    Raises:
        ConfigError: a fleet's worker cannot reach Redis.
    """
    if not settings.redis_url:
        return settings
    try:
        await check_redis(settings.redis_url)
    except ConfigError as exc:
        if in_fleet:
            raise
        err.print(
            f"[yellow]{exc.message}[/] This server keeps its limits, live count and turn news"
            " in its own process instead, which is right only while it serves alone."
        )
        return settings.model_copy(update={"redis_url": None})
    return settings


async def _serve(
    host: str | None, port: int | None, owner: str, home: str | None, listen_fd: int | None
) -> int:
    err = Console(stderr=True, highlight=False)
    flags: dict[str, Any] = {"home": home, "host": host, "port": port}
    in_fleet = listen_fd is not None  # one of `os1 serve --workers N`'s workers
    try:
        settings = await _shared_state(load_settings(flags), err, in_fleet)
        companion = await start_companion(err, quiet=in_fleet, local=False, **flags)
    except Os1Error as exc:
        err.print(f"[red]{exc.message}[/] {exc.hint}")
        return 1
    try:
        base = _base(settings)
        link = "" if in_fleet else await _signin_link(companion.accounts, owner, base)
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
        inherited = [socket.socket(fileno=listen_fd)] if listen_fd is not None else None
        serving = asyncio.create_task(server.serve(sockets=inherited))
        # uvicorn offers no event for "listening", only this flag
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started and not in_fleet:  # the link only once it works
            _announce(err, base, owner, link)
        await serving
    finally:
        await companion.aclose()
    return 0


def _fleet(host: str | None, port: int | None, owner: str, home: str | None, count: int) -> int:
    """``count`` workers on one port, sharing their state through Redis (``workers.py``)."""
    err = Console(stderr=True, highlight=False)
    flags: dict[str, Any] = {"home": home, "host": host, "port": port}
    try:
        settings = load_settings(flags)
        if not settings.redis_url:
            raise ConfigError(
                "workers_need_redis",
                f"{count} workers must share their limits, live count and turn news, and"
                " redis_url is not set.",
                "Start Redis (redis-server --port 6379 --bind 127.0.0.1) and set"
                " OS1_REDIS_URL=redis://127.0.0.1:6379/0, or serve with one worker.",
            )
        asyncio.run(check_redis(settings.redis_url))
        # made (and the home's schema brought up to date) once, before the workers race
        link = asyncio.run(_owner_link(settings, owner))
        sock = listening_socket(settings.host, settings.port)
    except Os1Error as exc:
        err.print(f"[red]{exc.message}[/] {exc.hint}")
        return 1
    worker = [sys.executable, "-c", "from os1.cli.app import main; main()", "serve"]
    given = {"--host": host, "--port": port, "--home": home, "--user": owner}
    worker += [
        part for flag, value in given.items() if value is not None for part in (flag, str(value))
    ]
    base = _base(settings)

    with sock:
        workers = Workers(count, worker, sock, err)
        return supervise(
            workers,
            f"{base}/",
            settings.shutdown_grace,
            lambda: _announce(err, base, owner, link, f" with {count} workers"),
        )


async def _owner_link(settings: Settings, owner: str) -> str:
    companion = await Companion.open(settings, local=False)
    try:
        return await _signin_link(companion.accounts, owner, _base(settings))
    finally:
        await companion.aclose()


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
    workers: int = typer.Option(
        1,
        "--workers",
        "-w",
        min=1,
        max=MOST_WORKERS,
        help="Worker processes on the one port; more than one needs redis_url (Redis).",
    ),
    listen_fd: int | None = typer.Option(None, "--listen-fd", hidden=True),
) -> None:
    """Serve the web UI, the OpenAI-compatible API (/v1) and MCP (/mcp).

    Examples:

      os1 serve                      # then open the printed link

      os1 serve --host 0.0.0.0 -p 9000   # reachable from your network

      OS1_REDIS_URL=redis://127.0.0.1:6379/0 os1 serve --workers 2   # two processes

      curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8316/v1/models
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if workers > 1 and listen_fd is None:
        raise typer.Exit(_fleet(host, port, user, home, workers))
    raise typer.Exit(asyncio.run(_serve(host, port, user, home, listen_fd)))
