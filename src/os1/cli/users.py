"""``os1 users``: the people a shared companion serves, and their keys."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from os1.companion import Companion
from os1.config import load_settings
from os1.core.accounts import FILES_ANYWHERE, Accounts
from os1.errors import Os1Error

users_app = typer.Typer(help="Accounts and API keys for `os1 serve`.", no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")
HomeOption = typer.Option(None, "--home", help="Data folder (default: $OS1_HOME).")


def _run(work: Callable[[Accounts], Awaitable[T]], home: str | None) -> T:
    async def main() -> T:
        companion = await Companion.open(load_settings({"home": home}))
        try:
            return await work(companion.accounts)
        finally:
            await companion.aclose()

    try:
        return asyncio.run(main())
    except Os1Error as exc:
        err.print(f"[red]{exc.message}[/] {exc.hint}")
        raise typer.Exit(1) from None


def _ask_password() -> str:
    first = getpass.getpass("Password (8+ characters): ")
    if first != getpass.getpass("Again: "):
        err.print("[red]The two passwords differ.[/] Nothing was changed.")
        raise typer.Exit(1)
    return first


@users_app.command("add")
def add(
    name: str,
    admin: bool = typer.Option(False, "--admin", help="May manage other accounts."),
    password: bool = typer.Option(False, "--password", help="Also set a password (asked)."),
    home: str | None = HomeOption,
) -> None:
    """Create an account and print its API key (shown once).

    Example: os1 users add alice --password
    """
    secret = _ask_password() if password else None
    account, key = _run(lambda a: a.add(name, password=secret, admin=admin), home)
    err.print(f"Created {account.name}{' (admin)' if account.is_admin else ''}. API key:")
    print(key)
    err.print("Keep it safe: only its hash is stored, it cannot be shown again.", style="dim")


@users_app.command("key")
def key(name: str, home: str | None = HomeOption) -> None:
    """Make another API key for NAME and print it."""
    print(_run(lambda a: a.new_key(name), home))


@users_app.command("revoke")
def revoke(name: str, home: str | None = HomeOption) -> None:
    """Revoke all of NAME's API keys."""
    count = _run(lambda a: a.revoke_keys(name), home)
    out.print(f"Revoked {count} key(s) of {name}.")


@users_app.command("password")
def password(name: str, home: str | None = HomeOption) -> None:
    """Set NAME's password (asked twice)."""
    secret = _ask_password()
    _run(lambda a: a.set_password(name, secret), home)
    out.print(f"Password of {name} changed.")


@users_app.command("list")
def list_(home: str | None = HomeOption) -> None:
    """Everyone with an account."""
    accounts = _run(lambda a: a.everyone(), home)
    table = Table("name", "admin", "state", "keys", "password", "files", "since")
    for acc in accounts:
        since = dt.datetime.fromtimestamp(acc.created_at).strftime("%Y-%m-%d")
        state = "disabled" if acc.disabled else "active"
        table.add_row(
            acc.name,
            "yes" if acc.is_admin else "",
            state,
            str(acc.keys),
            "set" if acc.has_password else "",
            acc.files_in_words,
            since,
        )
    out.print(table)


@users_app.command("files")
def files(
    name: str,
    root: str | None = typer.Option(None, "--root", help="A folder of their own to work in."),
    anywhere: bool = typer.Option(
        False, "--anywhere", help="Every file this server can reach (the owner's right)."
    ),
    own: bool = typer.Option(False, "--own", help="Back to their own upload folder only."),
    home: str | None = HomeOption,
) -> None:
    """Show or set which of the server's files NAME's skills may use.

    By default a person works only on files they upload (their own folder in os1's data);
    the owner reaches every file. Paths they give are resolved inside their folder, and
    anything outside it (.., links, other folders) is refused.

    Examples: os1 users files alice; os1 users files alice --root /srv/os1/alice;
    os1 users files alice --own
    """
    chosen = [c for c in (root is not None, anywhere, own) if c]
    if len(chosen) > 1:
        err.print("[red]Give one of --root, --anywhere or --own.[/]")
        raise typer.Exit(2)
    if not chosen:
        account = _run(lambda a: a.get(name), home)
    else:
        value = FILES_ANYWHERE if anywhere else (root or "")
        account = _run(lambda a: a.set_files(name, value), home)
    out.print(f"{account.name}'s skills may use files: {account.files_in_words}.")


@users_app.command("disable")
def disable(name: str, home: str | None = HomeOption) -> None:
    """Stop NAME from signing in (their data stays)."""
    _run(lambda a: a.set_disabled(name, True), home)
    out.print(f"{name} is disabled; `os1 users enable {name}` undoes it.")


@users_app.command("enable")
def enable(name: str, home: str | None = HomeOption) -> None:
    """Let a disabled NAME sign in again."""
    _run(lambda a: a.set_disabled(name, False), home)
    out.print(f"{name} may sign in again.")


@users_app.command("delete")
def delete(
    name: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    home: str | None = HomeOption,
) -> None:
    """Delete NAME and ALL their data: conversations, memories, keys. Cannot be undone."""
    if not yes and not typer.confirm(f"Delete {name} and all their data for good?"):
        raise typer.Exit(1)
    _run(lambda a: a.delete(name), home)
    out.print(f"Deleted {name} and all their data.")
