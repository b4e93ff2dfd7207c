"""Sending goes through a real SMTP server (aiosmtpd) only after the person confirmed
the exact message; the copy lands in the index and in the real IMAP Sent folder."""

from __future__ import annotations

import mailbox
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from mail_servers import (  # noqa: F401 (the fixtures)
    ME,
    Dovecot,
    SmtpServer,
    dovecot_fixture,
    free_port,
    make_mail,
    smtp_fixture,
)

from conftest import collect
from os1.companion import Companion
from os1.core.letters import letter_pdf
from os1.errors import InputError
from os1.events import ActionSettled, ErrorEvent, ProposalMade
from os1.models.scripted import ScriptedLLM
from os1.skills.journal import Journal
from os1.skills.mail import query
from os1.skills.mail.account import MailAccount, Server, save_account
from os1.skills.mail.index import index_account
from os1.skills.mail.tools import SendArgs


async def _connect(
    companion: Companion, tmp_path: Path, smtp_port: int, imap: Server | None = None
) -> MailAccount:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add(
        make_mail(
            subject="Lunch?",
            message_id="<lunch@example.org>",
            references="<root@example.org>",
            in_reply_to="<root@example.org>",
        )
    )
    account = MailAccount(
        address=ME,
        name="Ada Lovelace",
        maildir=str(tmp_path / "Mail"),
        smtp=Server("127.0.0.1", smtp_port, "plain"),
        imap=imap or Server(),
    )
    store = await companion.db.user("ada")
    await save_account(store, account)
    await index_account(store, MailAccount(address=ME, maildir=account.maildir))
    return account


async def _propose(companion: Companion, **args: str) -> ProposalMade:
    fields = {"subject": "", "in_reply_to": "", **args}
    made = await companion.propose("ada", "send_mail", SendArgs(**fields), why="send it")
    assert isinstance(made, ProposalMade), made
    return made


async def test_reply_is_sent_only_after_confirming_exactly_as_previewed(
    companion: Companion, tmp_path: Path, smtp: SmtpServer, dovecot: Dovecot
) -> None:
    imap = Server(dovecot.host, dovecot.port, "plain", dovecot.user, dovecot.password)
    await _connect(companion, tmp_path, smtp.port, imap)
    store = await companion.db.user("ada")
    original = await query.by_message_id(store, "<lunch@example.org>")
    assert original is not None

    proposal = await _propose(
        companion,
        to="amy@example.org",
        body="Thursday at one works.",
        in_reply_to=f"#{original.id}",
    )
    assert not proposal.undoable and "cannot be undone" in proposal.preview
    for line in (
        "From: Ada Lovelace <ada@example.org>",
        "To: amy@example.org",
        "Subject: Re: Lunch?",
        "In-Reply-To: <lunch@example.org>",
        "Thursday at one works.",
    ):
        assert line in proposal.preview
    assert smtp.messages == []  # nothing goes out on a proposal

    settled = await collect(companion.decide("ada", proposal.proposal_id, confirm=True))
    assert isinstance(settled[0], ActionSettled) and settled[0].status == "done", settled
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.rcpt_tos == ["amy@example.org"] and received.mail_from == ME
    sent = message_from_bytes(received.content, policy=default)
    action = await Journal(store).get(proposal.proposal_id)
    assert action is not None
    assert sent["Message-ID"] == action.args["message_id"]
    assert sent["Subject"] == "Re: Lunch?"
    assert sent["In-Reply-To"] == "<lunch@example.org>"
    assert sent["References"] == "<root@example.org> <lunch@example.org>"
    assert sent.get_content().strip() == "Thursday at one works."

    mine = await query.sent(store)
    assert [m.message_id for m in mine] == [action.args["message_id"]]
    assert mine[0].thread_id == original.thread_id  # the reply sits in its thread
    conn = dovecot.imap()
    conn.select("Sent", readonly=True)
    _, found = conn.search(None, "ALL")
    conn.logout()
    assert len(found[0].split()) == 1  # and in the IMAP Sent folder

    again = await collect(companion.decide("ada", proposal.proposal_id, confirm=True))
    assert isinstance(again[0], ErrorEvent) and len(smtp.messages) == 1
    with pytest.raises(InputError):
        await companion.undo("ada", proposal.proposal_id)


async def test_declining_sends_nothing(
    companion: Companion, tmp_path: Path, smtp: SmtpServer
) -> None:
    await _connect(companion, tmp_path, smtp.port)
    proposal = await _propose(companion, to="amy@example.org", subject="Hi", body="Hello!")
    settled = await collect(companion.decide("ada", proposal.proposal_id, confirm=False))
    assert isinstance(settled[0], ActionSettled) and settled[0].status == "declined"
    assert smtp.messages == []
    assert await query.sent(await companion.db.user("ada")) == []


async def test_names_and_bad_input_are_answered_before_anything_is_proposed(
    companion: Companion, tmp_path: Path, smtp: SmtpServer
) -> None:
    await _connect(companion, tmp_path, smtp.port)
    by_name = await _propose(companion, to="Amy", subject="Hi", body="Hello!")
    assert "To: amy@example.org" in by_name.preview
    for to, body, expected in [
        ("Zed", "Hello", "do not know an address"),
        ("not-an-address@", "Hello", "not a mail address"),
        ("amy@example.org", "   ", "What should the mail say"),
    ]:
        answer = await companion.propose(
            "ada", "send_mail", SendArgs(to=to, subject="x", body=body, in_reply_to="")
        )
        assert isinstance(answer, str) and expected in answer
    assert smtp.messages == []


async def test_a_server_that_is_down_fails_clearly(companion: Companion, tmp_path: Path) -> None:
    await _connect(companion, tmp_path, free_port())  # nothing listens there
    proposal = await _propose(companion, to="amy@example.org", subject="Hi", body="Hello!")
    settled = await collect(companion.decide("ada", proposal.proposal_id, confirm=True))
    assert isinstance(settled[0], ActionSettled) and settled[0].status == "failed"
    assert "not sent" in settled[0].message
    assert await query.sent(await companion.db.user("ada")) == []


async def test_passwords_never_cross_the_network_in_the_clear(companion: Companion) -> None:
    store = await companion.db.user("ada")
    with pytest.raises(InputError, match="unencrypted"):
        await save_account(
            store, MailAccount(address=ME, smtp=Server("smtp.example.org", 25, "plain", "ada"))
        )


async def test_a_letter_goes_as_its_pdf_exactly_as_the_proposal_named_it(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path, smtp: SmtpServer
) -> None:
    await _connect(companion, tmp_path, smtp.port)
    scripted.enqueue("Dear Rose,\n\nHappy ninetieth birthday!\n\nLove,\nAda")
    kept = await companion.letters.write("ada", "Rose", "happy 90th", who="my grandmother")
    made = await companion.propose(
        "ada",
        "send_mail",
        SendArgs(to="rose@example.org", subject="For you", body="A letter.", letter=kept.letter),
    )
    assert isinstance(made, ProposalMade), made
    assert (
        f"Attached: letter-{kept.letter}.pdf (the letter to Rose, version 1, in caveat, 1 page,"
        in made.preview
    )
    assert smtp.messages == []
    # revised after the proposal: what goes out is still the version that was shown
    scripted.enqueue("Dearest Rose,\n\nNinety! What a life.\n\nAda")
    await companion.letters.revise("ada", kept.letter, "warmer")

    settled = await collect(companion.decide("ada", made.proposal_id, confirm=True))
    assert isinstance(settled[0], ActionSettled) and settled[0].status == "done", settled
    sent = message_from_bytes(smtp.messages[0].content, policy=default)
    assert sent.get_body(("plain",)).get_content().strip() == "A letter."  # type: ignore[union-attr]
    [pdf] = list(sent.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"letter-{kept.letter}.pdf"
    shown = await letter_pdf(kept.draft.text)
    assert pdf.get_content() == shown  # version 1 in the default hand, byte for byte

    for number, hand, expected in [
        (999, "caveat", "no letter 999"),
        (kept.letter, "comic", "no hand"),
    ]:
        answer = await companion.propose(
            "ada", "send_mail",
            SendArgs(to="rose@example.org", subject="x", body="y", letter=number, hand=hand),
        )  # fmt: skip
        assert isinstance(answer, str) and expected in answer
    assert len(smtp.messages) == 1
