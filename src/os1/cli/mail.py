"""``os1 mail``: connect a mail account, index it, triage the inbox, find mail, read a
thread, draft a reply, send.

Every command calls ``companion.mail``; reading ones open the companion cheaply (no
model) and show progress bars and tables, waking the model only when asked
(``--summarize``, drafting). Sending goes through ``carry_out``: the exact message is
shown, and it goes out only on "y" or ``--yes``, journaled like every action.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from os1.cli.actions import carry_out, err, opened, opened_cheaply, out, run
from os1.cli.render import counted_progress
from os1.config import DEFAULT_USER
from os1.core.mail import IndexReport, MailAccount, SendArgs, Server, server
from os1.errors import InputError

mail_app = typer.Typer(
    help="Your mail: connect, index, triage, find, draft, send (only after you confirm).\n\n"
    "Examples: `os1 mail connect --maildir ~/Maildir --address me@example.org`, "
    "`os1 mail index`, `os1 mail inbox`, `os1 mail find invoice plumber`, "
    '`os1 mail draft Amy "yes to Thursday lunch"`, '
    '`os1 mail send --to amy@example.org --subject Lunch --body "See you at one."`.',
    no_args_is_help=True,
)
UserOption = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose mail.")


def _password(given: str | None, label: str) -> str:
    if given is not None:
        return given
    env = os.environ.get("OS1_MAIL_PASSWORD")
    if env is not None:
        return env
    return str(typer.prompt(f"{label} password", hide_input=True))


@mail_app.command()
def connect(
    address: str = typer.Option("", "--address", help="Your mail address (marks your own mail)."),
    name: str = typer.Option("", "--name", help="Your name, as it appears in From."),
    maildir: Path | None = typer.Option(None, "--maildir", help="A Maildir folder to read."),
    mbox: Path | None = typer.Option(None, "--mbox", help="An mbox file to read."),
    imap_host: str = typer.Option("", "--imap-host", help="IMAP server, e.g. imap.example.org."),
    imap_port: int = typer.Option(0, "--imap-port", help="Default: 993 (ssl) or 143."),
    imap_security: str = typer.Option("ssl", "--imap-security", help="ssl, starttls or plain."),
    imap_user: str = typer.Option("", "--imap-user", help="Default: your address."),
    smtp_host: str = typer.Option("", "--smtp-host", help="SMTP server for sending."),
    smtp_port: int = typer.Option(0, "--smtp-port", help="Default: 465 (ssl), 587, or 25."),
    smtp_security: str = typer.Option("ssl", "--smtp-security", help="ssl, starttls or plain."),
    smtp_user: str = typer.Option("", "--smtp-user", help="Default: the IMAP user."),
    smtp_login: bool = typer.Option(True, "--smtp-login/--no-smtp-login", help="Log in to SMTP."),
    password: str | None = typer.Option(
        None, "--password", help="Prompted if not given (or set OS1_MAIL_PASSWORD)."
    ),
    check: bool = typer.Option(True, "--check/--no-check", help="Try the IMAP login first."),
    user: str = UserOption,
) -> None:
    """Tell os1 where your mail is and how to send. Passwords stay in your os1 database.

    Examples: `os1 mail connect --maildir ~/Maildir --address me@example.org`;
    `os1 mail connect --imap-host imap.example.org --smtp-host smtp.example.org
    --address me@example.org` (asks for the password).
    """

    # resolved before the event loop starts (path lookups block)
    maildir_path = str(maildir.expanduser().resolve()) if maildir else ""
    mbox_path = str(mbox.expanduser().resolve()) if mbox else ""

    async def work() -> int:
        secret = _password(password, "Mail") if (imap_host or (smtp_host and smtp_login)) else ""
        imap = Server()
        if imap_host:
            imap = server(
                "imap",
                imap_host,
                port=imap_port,
                security=imap_security,
                user=imap_user or address,
                password=secret,
            )
        smtp = Server()
        if smtp_host:
            smtp = server(
                "smtp",
                smtp_host,
                port=smtp_port,
                security=smtp_security,
                user=(smtp_user or imap.user or address) if smtp_login else "",
                password=secret if smtp_login else "",
            )
        account = MailAccount(
            address=address, name=name, maildir=maildir_path, mbox=mbox_path, imap=imap, smtp=smtp
        )
        async with opened_cheaply() as companion:
            await companion.mail.connect(user, account, check=check)
        out.print("Connected. Next: `os1 mail index` reads your mail into os1's index.")
        return 0

    run(work)


def _show_report(report: IndexReport, verbose: bool) -> None:
    rate = report.added / report.seconds if report.seconds else 0.0
    out.print(f"Indexed {report.added:,} new mails in {report.seconds:.1f} s ({rate:,.0f}/s).")
    if report.skipped:
        out.print(f"[yellow]Skipped {len(report.skipped)} that could not be read:[/]")
        for issue in report.skipped[: None if verbose else 20]:
            out.print(f"  {escape(issue.where)}: {escape(issue.reason)}")
        out.print("[dim]They stay untouched where they are; nothing was deleted.[/]")
    if report.repaired:
        out.print(f"Repaired {len(report.repaired)} while reading (e.g. a missing Message-ID).")
        for issue in report.repaired[: None if verbose else 5]:
            out.print(f"  [dim]{escape(issue.where)}: {escape(issue.reason)}[/]")


@mail_app.command()
def index(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every repair."),
    user: str = UserOption,
) -> None:
    """Read new mail into the index (only what is new) and learn your tone from it."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            with counted_progress(err, "Indexing mail") as bar:
                task = bar.add_task("index", total=None)
                indexed = await companion.mail.index(
                    user, lambda done, total: bar.update(task, completed=done, total=total)
                )
        _show_report(indexed.report, verbose)
        if indexed.tone is not None:
            tone = indexed.tone
            out.print(f"[dim]Your tone, from {tone.samples} sent mails: {tone.describe()}[/]")
        return 0

    run(work)


@mail_app.command()
def inbox(
    summarize: bool = typer.Option(False, "--summarize", help="Summaries by the model (slower)."),
    user: str = UserOption,
) -> None:
    """What needs a reply, what is for your information, newsletters, what can wait."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            found = await companion.mail.inbox(user, summarize=summarize)
        out.print(escape(found.text))
        return 0

    run(work)


@mail_app.command()
def find(
    words: list[str] = typer.Argument(..., help="Sender, subject or words in the mail."),
    limit: int = typer.Option(20, "--limit", "-n", min=1),
    user: str = UserOption,
) -> None:
    """Search your mail. Example: `os1 mail find invoice plumber`."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            hits = await companion.mail.find(user, " ".join(words), limit)
        if not hits:
            out.print("No mail matches.")
            return 0
        table = Table("#", "date", "from", "subject", "text")
        for mail in hits:  # mail text is data: its brackets must not become markup
            cells = (mail.sender, mail.subject, mail.snippet(60))
            table.add_row(str(mail.id), mail.day, *(escape(cell) for cell in cells))
        out.print(table)
        return 0

    run(work)


@mail_app.command()
def thread(
    ref: str = typer.Argument(..., help="A mail's # number (from find/inbox) or Message-ID."),
    user: str = UserOption,
) -> None:
    """Show a whole thread, oldest first. Example: `os1 mail thread 42`."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            mails = await companion.mail.thread(user, ref)
        if not mails:
            err.print(f"[red]No mail {escape(ref)} in the index.[/] [dim]Try `os1 mail find`.[/]")
            return 1
        for item in mails:
            out.print(f"[bold]#{item.id} {item.day} — {escape(item.sender)}[/]")
            out.print(f"Subject: {escape(item.subject)}\n")
            out.print(escape(item.body) or "(no text)")
            out.print("")
        return 0

    run(work)


@mail_app.command()
def draft(
    to_whom: str = typer.Argument(..., help="Whose mail or which subject to answer, or #number."),
    points: str = typer.Argument("", help="What you want to say, in your words."),
    firm: bool = typer.Option(False, "--firm", help="Calm, factual, firm; cites the thread."),
    send: bool = typer.Option(False, "--send", help="Then offer to send it (asks first)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --send: send without asking."),
    user: str = UserOption,
) -> None:
    """Draft a reply in your tone; nothing is sent unless you add --send and confirm.

    Examples: `os1 mail draft Amy "yes to lunch, Thursday at one"`;
    `os1 mail draft "custody schedule" "we agreed on alternate weekends" --firm`.
    """

    async def work() -> int:
        async with opened() as companion:
            made = await companion.mail.draft(user, to_whom, points, firm=firm)
            out.print(f"To: {made.to}\nSubject: {escape(made.subject)}\n\n{escape(made.body)}")
            for warning in made.warnings:
                out.print(f"[yellow]Check: {escape(warning)}[/]")
            if not send:
                out.print("[dim]Nothing was sent. Add --send to send it (you will confirm).[/]")
                return 0
            args = companion.mail.reply_args(made)
            why = f"os1 mail draft {to_whom} --send"
            return await carry_out(companion, user, "send_mail", args, yes=yes, why=why)

    run(work)


def _read_text(path: Path | None) -> str:
    return Path(path or "").read_text(encoding="utf-8")


@mail_app.command("send")
def send_command(
    to: str = typer.Option(..., "--to", help="Addresses, comma-separated, or a name you mailed."),
    subject: str = typer.Option("", "--subject", help="Default for replies: Re: <subject>."),
    body: str | None = typer.Option(None, "--body", help="The text."),
    body_file: Path | None = typer.Option(None, "--body-file", help="Read the text from a file."),
    reply_to: str = typer.Option("", "--reply-to", help="The mail answered: #number or ID."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Send without asking (for scripts)."),
    user: str = UserOption,
) -> None:
    """Send a mail: shows the exact message, sends only when you say yes.

    Example: `os1 mail send --to amy@example.org --subject Lunch --body "One o'clock?"`.
    """

    async def work() -> int:
        if (body is None) == (body_file is None):
            raise InputError("mail_body", "Give the text with --body or --body-file (one of them).")
        try:
            text = body if body is not None else await asyncio.to_thread(_read_text, body_file)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("mail_body", f"Cannot read {body_file}: {exc}.") from exc
        async with opened() as companion:
            args = SendArgs(to=to, subject=subject, body=text, in_reply_to=reply_to)
            return await carry_out(
                companion, user, "send_mail", args, yes=yes, why=f"os1 mail send --to {to}"
            )

    run(work)
