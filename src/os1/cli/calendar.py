"""``os1 calendar``: appointments from your own words, what is on, .ics in and out,
reminders, and two-way sync with a CalDAV server.

Changes (add, cancel, import) go through ``carry_out``: the plan is shown with every
time in words and your time zone, and nothing is written until you say yes (or pass
``--yes``); ``os1 undo`` takes it back. Reading (list, export, remind) and syncing call
``companion.calendar`` on the cheap open, so they answer without waking the model.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from os1.cli.actions import carry_out, err, opened, opened_cheaply, out, run
from os1.cli.output import STDIO, write_file_or_stdout
from os1.config import DEFAULT_USER
from os1.core.calendar import Account

calendar_app = typer.Typer(
    help="Your calendar: add appointments in your own words, see what is on, import and "
    "export .ics files, get reminders, and sync with a CalDAV server.\n\n"
    'Examples: `os1 calendar add "lunch with Amy" --when "next Thursday at one"`, '
    "`os1 calendar list this week`, `os1 calendar import ~/Downloads/work.ics`, "
    "`os1 calendar connect https://dav.example.com --user amy`, `os1 calendar sync`.",
    no_args_is_help=True,
)
UserOption = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose calendar.")
YesOption = typer.Option(False, "--yes", "-y", help="Do it without asking (for scripts).")


@calendar_app.command("add")
def add(
    title: str = typer.Argument(..., help='What it is, e.g. "lunch with Amy".'),
    when: str = typer.Option("", "--when", "-w", help='When, e.g. "next Thursday at one".'),
    duration: str = typer.Option("", "--for", help='How long, e.g. "an hour" (default 1 hour).'),
    where: str = typer.Option("", "--where", help="Where (optional)."),
    yes: bool = YesOption,
    user: str = UserOption,
) -> None:
    """Add an appointment; the plan shows the exact day and time before anything is saved.

    Examples: `os1 calendar add "lunch with Amy" --when "next Thursday at one"`,
    `os1 calendar add "dentist Friday at 9:30" --for "45 minutes" --yes`,
    `os1 calendar add "standup" --when "every Monday at 9"`.
    """

    async def work() -> int:
        nonlocal title, when, where
        async with opened() as companion:
            if not when:
                title, when, found_where = companion.calendar.split_request(title)
                where = where or found_where
            args = {"title": title, "when": when, "duration": duration, "where": where}
            why = f"os1 calendar add {title!r} --when {when!r}"
            return await carry_out(companion, user, "add_event", args, yes=yes, why=why)

    run(work)


@calendar_app.command("cancel")
def cancel(
    what: str = typer.Argument(..., help='Which appointment, e.g. "the dentist on Friday".'),
    yes: bool = YesOption,
    user: str = UserOption,
) -> None:
    """Cancel an appointment (or, naming its day, one occurrence of a repeating one).

    Examples: `os1 calendar cancel "lunch with Amy"`, `os1 calendar cancel "standup Monday"`.
    """

    async def work() -> int:
        async with opened() as companion:
            args = {"what": what}
            return await carry_out(
                companion, user, "cancel_event", args, yes=yes, why=f"os1 calendar cancel {what!r}"
            )

    run(work)


@calendar_app.command("list")
def list_(
    when: list[str] = typer.Argument(None, help='Which days: "today" (default), "this week", …'),
    user: str = UserOption,
) -> None:
    """What is on: `os1 calendar list`, `os1 calendar list this week`, `… list Friday`."""
    words = " ".join(when or []) or "today"

    async def work() -> int:
        async with opened_cheaply() as companion:
            out.print(await companion.calendar.what_is_on(user, words))
        return 0

    run(work)


@calendar_app.command("import")
def import_(
    path: Path = typer.Argument(..., help="The .ics file."),
    yes: bool = YesOption,
    user: str = UserOption,
) -> None:
    """Import an .ics file: the plan counts new and changed events and names any skipped
    (with why); `os1 undo` takes the import back.

    Example: `os1 calendar import ~/Downloads/work.ics --yes`.
    """

    async def work() -> int:
        async with opened() as companion:
            args = {"path": str(path)}
            return await carry_out(
                companion, user, "import_calendar", args, yes=yes, why=f"os1 calendar import {path}"
            )

    run(work)


@calendar_app.command("export")
def export(
    path: Path = typer.Argument(..., help="Where to write the .ics file (- for stdout)."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    user: str = UserOption,
) -> None:
    """Write every event to one .ics file any calendar program can import.

    Examples:

      os1 calendar export ~/calendar-backup.ics

      os1 calendar export - | grep SUMMARY
    """

    if str(path) != STDIO and path.exists() and not force:
        err.print(f"[red]{path} exists already.[/] [dim]Pass --force to replace it.[/]")
        raise typer.Exit(1)

    async def work() -> int:
        async with opened_cheaply() as companion:
            exported = await companion.calendar.export(user)
        where = await write_file_or_stdout(path, exported.ics)
        (err if str(path) == STDIO else out).print(f"Wrote {exported.count} event(s) to {where}.")
        return 0

    run(work)


@calendar_app.command("connect")
def connect_(
    url: str = typer.Argument(..., help="The CalDAV server, e.g. https://dav.example.com/"),
    login: str = typer.Option(..., "--user", help="Your user name on the calendar server."),
    calendar: str = typer.Option("os1", "--calendar", help="The calendar's name there."),
    person: str = typer.Option(DEFAULT_USER, "--person", help="Whose os1 calendar."),
) -> None:
    """Connect a CalDAV server (Nextcloud, Radicale, Fastmail, …) for two-way sync.

    The password comes from OS1_CALDAV_PASSWORD or is asked for. The calendar is made if
    the server has none of that name. Example:
    `os1 calendar connect https://cloud.example.com/remote.php/dav --user amy`.
    """
    password = os.environ.get("OS1_CALDAV_PASSWORD") or typer.prompt(
        f"Password for {login}", hide_input=True, default="", show_default=False
    )

    async def work() -> int:
        async with opened_cheaply() as companion:
            found = await companion.calendar.connect(
                person, Account(url, login, password, calendar)
            )
        out.print(f"Connected to “{calendar}” at {found.calendar_url}.")
        out.print("Run `os1 calendar sync` to bring both sides in step.")
        return 0

    run(work)


@calendar_app.command("sync")
def sync_(user: str = UserOption) -> None:
    """Two-way sync with the connected CalDAV server; says what went where.

    When an event changed on both sides, the later change wins and the report says so.
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            account = await companion.calendar.account(user)
            with err.status(f"Syncing with {account.url if account else 'the server'}…"):
                report = await companion.calendar.sync(user)
        for line in report.lines():
            out.print(line)
        return 1 if report.failed else 0

    run(work)


@calendar_app.command("remind")
def remind(
    within: int = typer.Option(60, "--within", help="Minutes ahead to look."),
    user: str = UserOption,
) -> None:
    """Reminders due in the next hour (or --within minutes): `os1 calendar remind`."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            due = await companion.calendar.reminders(user, within)
        if not due:
            out.print(f"No reminders in the next {within} minutes.")
        for reminder in due:
            out.print(f"{reminder.at}: {reminder.summary} — {reminder.when}")
        return 0

    run(work)


@calendar_app.command("timezone")
def timezone(
    name: str = typer.Argument("", help="A zone such as Europe/Berlin (empty: show it)."),
    user: str = UserOption,
) -> None:
    """Show or set the time zone your calendar's times are read and shown in.

    Example: `os1 calendar timezone America/New_York`.
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            label = await companion.calendar.timezone(user, name)
        out.print(f"Calendar times are in {label}.")
        return 0

    run(work)
