"""The mail skill's views and set-up for every door: connecting an account, indexing it,
the inbox, search, a thread, drafting a reply.

Each operation is the skill's own code (``skills.mail``), called here once for every
door. Sending is not here: it is an action, proposed with ``Companion.propose`` and the
tool ``send_mail`` (whose arguments are ``SendArgs``; ``Mail.reply_args`` makes them for
a draft), and carried out only on the person's yes (``Companion.decide``).

The types a door renders are re-exported from here, so a door never imports the skill.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Literal

from os1.core.base import Core
from os1.errors import InputError
from os1.skills.mail import query
from os1.skills.mail.account import (
    MailAccount,
    Server,
    check_server,
    load_account,
    require_account,
    save_account,
)
from os1.skills.mail.draft import Draft, draft_answer
from os1.skills.mail.index import IndexReport, index_account
from os1.skills.mail.index import Progress as IndexProgress
from os1.skills.mail.query import MailRow
from os1.skills.mail.send import recipients
from os1.skills.mail.sources import imap_connect
from os1.skills.mail.tone import ToneProfile, learn_tone
from os1.skills.mail.tools import SendArgs
from os1.skills.mail.triage import InboxTriage, render, triage_inbox

__all__ = [
    "DEFAULT_PORTS",
    "Draft",
    "Inbox",
    "IndexProgress",
    "IndexReport",
    "Indexed",
    "Mail",
    "MailAccount",
    "MailRow",
    "SendArgs",
    "Server",
    "ToneProfile",
    "server",
]

ServerKind = Literal["imap", "smtp"]
# the ports a server listens on by default, by protocol and security mode
DEFAULT_PORTS: dict[ServerKind, dict[str, int]] = {
    "imap": {"ssl": 993, "starttls": 143, "plain": 143},
    "smtp": {"ssl": 465, "starttls": 587, "plain": 25},
}


def server(
    kind: ServerKind,
    host: str,
    *,
    port: int = 0,
    security: str = "ssl",
    user: str = "",
    password: str = "",
) -> Server:
    """An IMAP or SMTP server, on its usual port for ``security`` when ``port`` is 0
    (an unknown mode gets the SSL port; ``Mail.connect`` refuses the mode itself)."""
    ports = DEFAULT_PORTS[kind]
    return Server(host, port or ports.get(security, ports["ssl"]), security, user, password)


@dataclass(frozen=True)
class Indexed:
    """What ``Mail.index`` did: the mails read in, and the tone learnt from the sent ones
    (None when there are none)."""

    report: IndexReport
    tone: ToneProfile | None


@dataclass(frozen=True)
class Inbox:
    """The triaged inbox, and the same as text for the person (buckets, reasons,
    summaries), as the companion itself says it."""

    triage: InboxTriage
    text: str


class Mail:
    """A person's mail, for every door (``companion.mail``)."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def account(self, user: str) -> MailAccount | None:
        """The person's connected account (with its passwords: show ``public()``), or
        None."""
        return await load_account(await self.core.store(user))

    async def connect(self, user: str, account: MailAccount, *, check: bool = True) -> None:
        """Keep where the person's mail is and how to send (passwords stay in their
        settings); with ``check``, try the IMAP login first.

        Raises:
            InputError: a malformed address, an unusable or unsafe server setting, an
                account with nothing to read or send, or (``check``) an IMAP server that
                cannot be reached or refuses the login.
        """
        account = replace(
            account, address=account.address.strip().lower(), name=account.name.strip()
        )
        if account.address:
            recipients(account.address)  # refuses a malformed address
        if check and account.imap.configured:
            check_server("IMAP", account.imap)  # before a password is sent anywhere
            conn = await asyncio.to_thread(imap_connect, account.imap)
            await asyncio.to_thread(conn.logout)
        await save_account(await self.core.store(user), account)

    async def index(self, user: str, progress: IndexProgress | None = None) -> Indexed:
        """Read the new mail of every source of the account into the index (only what
        is new), then learn the person's tone from their sent mail.

        Raises:
            InputError: no account is connected, or a source cannot be read.
        """
        store = await self.core.store(user)
        account = await require_account(store)
        report = await index_account(store, account, progress)
        return Indexed(report, await learn_tone(store))

    async def inbox(self, user: str, *, summarize: bool = False) -> Inbox:
        """The inbox in buckets: needs a reply, for information, newsletters, can wait;
        with ``summarize``, the model sums up the first threads (slower).

        Raises:
            InputError: no account is connected.
        """
        store = await self.core.store(user)
        account = await require_account(store)
        llm = self.core.llm if summarize else None
        triage = await triage_inbox(store, time.time(), llm, person=account.name)
        return Inbox(triage, render(triage))

    async def find(self, user: str, words: str, limit: int = 20) -> list[MailRow]:
        """Mails matching every word (sender, subject, text), best first."""
        return await query.search(await self.core.store(user), words, limit)

    async def thread(self, user: str, ref: str) -> list[MailRow]:
        """The whole thread of the mail ``ref`` names (its # number or Message-ID),
        oldest first; empty when there is no such mail."""
        store = await self.core.store(user)
        mail = await query.find_one(store, ref)
        return await query.thread(store, mail.thread_id) if mail else []

    async def draft(
        self, user: str, to_whom: str, points: str = "", *, firm: bool = False
    ) -> Draft:
        """A reply in the person's tone (``firm``: calm, factual, citing the thread) to
        the thread ``to_whom`` names: a sender, a subject, a # number or a Message-ID.
        Nothing is sent.

        Raises:
            InputError: no account is connected, no mail matches, or nobody else wrote
                in that thread.
        """
        store = await self.core.store(user)
        account = await require_account(store)
        try:
            made = await draft_answer(
                store,
                to_whom,
                points,
                firm=firm,
                llm=self.core.llm,
                person=account.name or store.user.name,
            )
        except ValueError as exc:
            raise InputError(
                "mail_own_thread",
                "That thread has only your own mails; there is nothing to reply to.",
            ) from exc
        if made is None:
            raise InputError(
                "mail_no_match", f"No mail matches {to_whom!r}.", "Try `os1 mail find`."
            )
        return made

    @staticmethod
    def reply_args(draft: Draft) -> SendArgs:
        """What the ``send_mail`` tool needs to send ``draft`` as a reply in its thread."""
        return SendArgs(
            to=draft.to,
            subject=draft.subject,
            body=draft.body,
            in_reply_to=f"#{draft.reply_to_id}",
        )
