"""Where a person's mail lives and how it is sent: one small record in their settings.

Kept under the ``mail.account`` setting as JSON, so it is per person like every other
setting. Unencrypted connections are refused unless the server is on this machine
(loopback): a password must never cross a network in the clear.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from os1.errors import InputError
from os1.store import UserStore

SETTING = "mail.account"
Security = Literal["ssl", "starttls", "plain"]
SECURITIES: tuple[str, ...] = ("ssl", "starttls", "plain")


@dataclass(frozen=True)
class Server:
    """One IMAP or SMTP server; ``host`` empty means not configured."""

    host: str = ""
    port: int = 0
    security: str = "ssl"
    user: str = ""
    password: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class MailAccount:
    """The person's mail account. Reading: a Maildir, an mbox file and/or IMAP; sending:
    SMTP. ``address`` and ``aliases`` say which mails are the person's own."""

    address: str = ""
    name: str = ""
    aliases: tuple[str, ...] = ()
    maildir: str = ""
    mbox: str = ""
    imap: Server = field(default_factory=Server)
    smtp: Server = field(default_factory=Server)
    sent_folder: str = "Sent"

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset(a.lower() for a in (self.address, *self.aliases) if a)

    @property
    def can_read(self) -> bool:
        return bool(self.maildir or self.mbox or self.imap.configured)

    def public(self) -> dict[str, Any]:
        """The settings without passwords, for showing."""
        data = asdict(self)
        for server in ("imap", "smtp"):
            if data[server]["password"]:
                data[server]["password"] = "********"
        return data


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_server(kind: str, server: Server) -> None:
    """Refuse settings that cannot work or would be unsafe.

    Raises:
        InputError: unknown security mode, a bad port, or plain text to a remote host.
    """
    if not server.configured:
        return
    if server.security not in SECURITIES:
        raise InputError(
            "mail_security", f"{kind}: security must be one of {', '.join(SECURITIES)}."
        )
    if not 0 < server.port < 65536:
        raise InputError("mail_port", f"{kind}: port {server.port} is not a port number.")
    if server.security == "plain" and not is_loopback(server.host):
        raise InputError(
            "mail_plaintext",
            f"{kind}: refusing an unencrypted connection to {server.host}.",
            "Use --security ssl or starttls; plain is only for a server on this machine.",
        )


def _server(data: Any) -> Server:
    if not isinstance(data, dict):
        return Server()
    known = {f.name for f in fields(Server)}
    values = {k: v for k, v in data.items() if k in known}
    return Server(**values)


def account_from_dict(data: dict[str, Any]) -> MailAccount:
    return MailAccount(
        address=str(data.get("address", "")),
        name=str(data.get("name", "")),
        aliases=tuple(str(a) for a in data.get("aliases", ())),
        maildir=str(data.get("maildir", "")),
        mbox=str(data.get("mbox", "")),
        imap=_server(data.get("imap")),
        smtp=_server(data.get("smtp")),
        sent_folder=str(data.get("sent_folder", "Sent")) or "Sent",
    )


async def load_account(store: UserStore) -> MailAccount | None:
    """The person's account, or None if they never connected one."""
    data = await store.get_setting(SETTING)
    return account_from_dict(data) if isinstance(data, dict) else None


async def save_account(store: UserStore, account: MailAccount) -> None:
    """Keep ``account`` after checking it.

    Raises:
        InputError: a server setting is unusable or unsafe (see ``check_server``).
    """
    check_server("IMAP", account.imap)
    check_server("SMTP", account.smtp)
    if not account.can_read and not account.smtp.configured:
        raise InputError(
            "mail_nothing",
            "That account names no mail to read and no way to send.",
            "Give --maildir, --mbox or --imap-host (and --smtp-host to send).",
        )
    data = asdict(account)
    data["aliases"] = list(account.aliases)
    await store.set_setting(SETTING, data)


async def require_account(store: UserStore) -> MailAccount:
    """The account, or an error saying how to connect one.

    Raises:
        InputError: no account is connected.
    """
    account = await load_account(store)
    if account is None:
        raise InputError(
            "mail_not_connected",
            "No mail account is connected yet.",
            "Run `os1 mail connect --maildir PATH` (or --mbox, or --imap-host ...).",
        )
    return account
