"""``companion.mail``, the one mail API every door calls: connect, index, the inbox,
search, a thread, a draft in the person's tone, and the arguments that send it."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from os1.companion import Companion
from os1.core.mail import MailAccount, Server, server
from os1.errors import InputError
from os1.models.scripted import ScriptedLLM

ME = "ada@example.org"


def _mail(sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, to, subject, message_id
    msg["Date"] = "Mon, 03 Mar 2025 12:00:00 +0000"
    msg.set_content(body)
    return bytes(msg)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add(
        _mail(
            "Amy Pond <amy@example.org>",
            ME,
            "Boiler invoice",
            "Could you pay the boiler invoice by Friday?",
            "<boiler@example.org>",
        )
    )
    box.add_folder("Sent").add(
        _mail(f"Ada <{ME}>", "amy@example.org", "Hello", "Hi Amy,\n\nSure.\n\nBest,\nAda", "<s@x>")
    )
    return tmp_path / "Mail"


def test_servers_get_their_usual_ports() -> None:
    assert server("imap", "imap.example.org").port == 993
    assert server("imap", "imap.example.org", security="starttls").port == 143
    assert server("smtp", "smtp.example.org", security="starttls", user="ada").port == 587
    assert server("smtp", "smtp.example.org", port=2525).port == 2525


async def test_a_connected_account_is_indexed_triaged_searched_and_read(
    companion: Companion, maildir: Path
) -> None:
    with pytest.raises(InputError, match="not a mail address"):
        await companion.mail.connect(
            "ada", MailAccount(address="ada at home", maildir=str(maildir))
        )
    with pytest.raises(InputError):  # nothing to read, nothing to send
        await companion.mail.connect("ada", MailAccount(address=ME, smtp=Server()))
    remote = server("imap", "imap.example.org", security="plain", user="ada", password="pw")
    with pytest.raises(InputError, match="refusing an unencrypted"):  # before any login
        await companion.mail.connect("ada", MailAccount(address=ME, imap=remote))
    assert await companion.mail.account("ada") is None

    await companion.mail.connect(
        "ada", MailAccount(address=" Ada@Example.org ", name=" Ada ", maildir=str(maildir))
    )
    account = await companion.mail.account("ada")
    assert account is not None and (account.address, account.name) == (ME, "Ada")

    seen: list[int] = []
    indexed = await companion.mail.index("ada", lambda done, total: seen.append(done))
    assert indexed.report.added == 2 and not indexed.report.skipped and seen
    assert indexed.tone is not None and indexed.tone.samples == 1

    inbox = await companion.mail.inbox("ada")
    assert "Needs a reply (1)" in inbox.text and inbox.triage.threads[0].subject == "Boiler invoice"

    (hit,) = await companion.mail.find("ada", "boiler")
    assert hit.subject == "Boiler invoice" and hit.snippet(20).startswith("Could you pay")
    assert [m.id for m in await companion.mail.thread("ada", f"#{hit.id}")] == [hit.id]
    assert await companion.mail.thread("ada", "boiler@example.org") != []
    assert await companion.mail.thread("ada", "#999") == []

    # another person sees none of it
    with pytest.raises(InputError, match="No mail account"):
        await companion.mail.inbox("bob")
    assert await companion.mail.find("bob", "boiler") == []


async def test_a_draft_answers_the_thread_and_becomes_send_arguments(
    companion: Companion, scripted: ScriptedLLM, maildir: Path
) -> None:
    with pytest.raises(InputError, match="No mail account"):
        await companion.mail.draft("ada", "Amy")
    await companion.mail.connect("ada", MailAccount(address=ME, name="Ada", maildir=str(maildir)))
    await companion.mail.index("ada")

    scripted.enqueue("Hi Amy,\n\nPaid it this morning.\n\nBest,\nAda")
    draft = await companion.mail.draft("ada", "boiler", "paid it this morning")
    assert draft.to == "amy@example.org" and draft.subject == "Re: Boiler invoice"
    assert "Paid it this morning" in draft.body

    args = companion.mail.reply_args(draft)
    assert (args.to, args.in_reply_to) == ("amy@example.org", f"#{draft.reply_to_id}")
    proposal = await companion.propose("ada", "send_mail", args)
    assert isinstance(proposal, str) and "SMTP" in proposal  # no way to send: nothing proposed

    with pytest.raises(InputError, match="No mail matches"):
        await companion.mail.draft("ada", "zeppelin")
    with pytest.raises(InputError, match="only your own mails"):
        await companion.mail.draft("ada", "Hello")
