"""Real mail servers for the mail tests (imported by them; a second conftest.py would
shadow the shared one): Dovecot (IMAP) and aiosmtpd (SMTP) on loopback.

Dovecot runs from a private config with ``-F -c``. Its login and mail processes refuse
to run as root, and pytest's temp root is private to root (mode 0700), so the server's
folder (config, sockets, log, the Maildir) is a fresh directory under /tmp that the
``dovecot`` user owns; it is removed at teardown.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from conftest import missing_component, open_like
from os1.skills.registry import builtin_skills
from os1.store import UserStore

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
ME = "ada@example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_mail(
    sender: str = "Amy Pond <amy@example.org>",
    to: str = f"Ada Lovelace <{ME}>",
    subject: str = "Lunch?",
    body: str = "Hi Ada,\n\nLunch on Thursday?\n\nAmy",
    *,
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    when: float | None = None,
    cc: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    stamp = dt.datetime.fromtimestamp(when or time.time(), dt.UTC)
    msg["Date"] = format_datetime(stamp)
    if message_id is not None:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg)


@pytest.fixture(name="store", params=["sqlite", "postgresql"])
async def store_fixture(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[UserStore]:
    """Ada's store with every skill's tables, on SQLite and on PostgreSQL."""
    db = await open_like(request.param, request, tmp_path, builtin_skills().migrations)
    yield await db.user("ada")
    await db.aclose()


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    maildir: Path

    def imap(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def deliver(self, raw: bytes, folder: str = "INBOX", seen: bool = False) -> None:
        conn = self.imap()
        try:
            flags = "(\\Seen)" if seen else None
            status, _ = conn.append(folder, flags, None, raw)
            assert status == "OK"
        finally:
            conn.logout()


CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _wait_for_imap(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    pytest.fail(f"Dovecot did not start on port {port}:\n{text[-2000:]}")


@pytest.fixture(name="dovecot")
def dovecot_fixture() -> Iterator[Dovecot]:
    """A real Dovecot IMAP server on 127.0.0.1 with one account, ada / secret."""
    if not os.path.exists(DOVECOT):
        missing_component("Dovecot is not installed (apt-get install dovecot-imapd)")
    try:
        owner = pwd.getpwnam("dovecot")
    except KeyError:
        missing_component("the dovecot system user is missing (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="os1-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "users").write_text("ada:{PLAIN}secret::::::\n")
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, port=port, uid=owner.pw_uid, gid=owner.pw_gid))
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for_imap(port, proc, root / "dovecot.log")
        yield Dovecot("127.0.0.1", port, "ada", "secret", root / "mail" / "ada")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Collector:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content))
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    collector: Collector

    @property
    def messages(self) -> list[Received]:
        return self.collector.messages


@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, collector)
    finally:
        controller.stop()


def account_data(**extra: Any) -> dict[str, Any]:
    return {"address": ME, "name": "Ada Lovelace", **extra}
