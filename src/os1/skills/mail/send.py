"""Sending: the exact message the person saw, through SMTP, then kept.

``compose`` turns the confirmed arguments into the message (``policy.default``, so
headers are folded and encoded correctly and a newline in a header is refused); the
Message-ID is chosen when the plan is made, so the preview names the very message that
goes out. After SMTP accepted it, a copy goes into the local index (so the reply shows
in its thread and teaches the tone) and, with IMAP, into the Sent folder by APPEND.
Sending cannot be undone; the preview says so.
"""

from __future__ import annotations

import contextlib
import email.utils
import imaplib
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from os1.errors import InputError
from os1.skills.mail.account import MailAccount, Server
from os1.skills.mail.index import INSERT_MAIL, row_values
from os1.skills.mail.parse import parse_mail
from os1.skills.mail.sources import RawMail, imap_connect, quote_mailbox
from os1.store import UserStore
from os1.store.user import Scoped

SENT_SOURCE = "os1:sent"
MAX_RECIPIENTS = 20


class SendError(InputError):
    """The mail server did not take the message."""


def recipients(text: str) -> list[str]:
    """The addresses in ``text`` ("Amy <amy@x.org>, bob@y.org").

    Raises:
        InputError: no address, a malformed one, a line break, or too many.
    """
    if "\n" in text or "\r" in text:
        raise InputError("mail_bad_address", "An address cannot contain a line break.")
    found = [addr for _, addr in email.utils.getaddresses([text]) if addr]
    bad = [a for a in found if a.count("@") != 1 or not all(a.split("@"))]
    if not found or bad:
        raise InputError(
            "mail_bad_address",
            f"{(bad or [text])[0]!r} is not a mail address.",
            "Write it as name@example.org.",
        )
    if len(found) > MAX_RECIPIENTS:
        raise InputError("mail_too_many", f"At most {MAX_RECIPIENTS} recipients at once.")
    return found


def new_message_id(account: MailAccount) -> str:
    domain = account.address.rpartition("@")[2] or "os1.local"
    return email.utils.make_msgid(domain=domain)


def compose(args: dict[str, Any], when: float | None = None) -> EmailMessage:
    """The message for confirmed ``args`` (from, to, subject, body, message_id,
    in_reply_to, references)."""
    msg = EmailMessage(policy=default_policy)
    msg["From"] = args["from"]
    msg["To"] = ", ".join(args["to"])
    msg["Subject"] = args["subject"]
    msg["Date"] = email.utils.formatdate(when or time.time(), localtime=True)
    msg["Message-ID"] = args["message_id"]
    if args.get("in_reply_to"):
        msg["In-Reply-To"] = args["in_reply_to"]
        msg["References"] = args.get("references") or args["in_reply_to"]
    msg.set_content(args["body"])
    return msg


def smtp_send(server: Server, msg: EmailMessage, timeout: float = 30.0) -> dict[str, Any]:
    """Hand ``msg`` to the SMTP server (blocking; run it in a thread).

    Returns:
        Recipients the server refused (empty when all were taken).

    Raises:
        SendError: the server is unreachable, refused the login or the message.
    """
    context = ssl.create_default_context()
    try:
        if server.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=timeout, context=context
            )
        else:
            conn = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with conn:
            if server.security == "starttls":
                conn.starttls(context=context)
            if server.user:
                conn.login(server.user, server.password)
            refused: dict[str, Any] = conn.send_message(msg)
            return refused
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            "smtp_login", "The mail server refused the login.", "Check the SMTP password."
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        refused_all = ", ".join(exc.recipients)
        raise SendError(
            "smtp_refused", f"The mail server refused every recipient: {refused_all}."
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(
            "smtp_failed",
            f"The mail was not sent: {exc}.",
            "Nothing went out; check the SMTP settings and try again.",
        ) from exc


def imap_append(server: Server, folder: str, raw: bytes) -> None:
    """Put a copy of a sent mail into the IMAP Sent folder, marked as read."""
    conn = imap_connect(server)
    try:
        status, data = conn.append(
            quote_mailbox(folder), "(\\Seen)", imaplib.Time2Internaldate(time.time()), raw
        )
        if status != "OK":
            raise InputError("imap_append", f"The server would not store it in {folder}: {data}.")
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()


async def keep_sent(store: UserStore, account: MailAccount, raw: bytes) -> None:
    """Index a sent mail as the person's own, in their Sent folder."""
    parsed = parse_mail(raw, time.time())
    mail = RawMail(account.sent_folder, parsed.message_id, raw, True, time.time())

    def work(db: Scoped) -> None:
        values = row_values(db, SENT_SOURCE, mail, parsed, account.own_addresses, {})
        values["from_me"] = values["seen"] = 1
        db.execute(INSERT_MAIL, values)

    await store.transaction(work)
