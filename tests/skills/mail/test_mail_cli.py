"""``os1 mail`` as a person uses it: connect a Maildir and an SMTP server, index (with the
report of what was skipped), triage, find, read a thread, and send only with a yes."""

from __future__ import annotations

import mailbox
from pathlib import Path

from mail_servers import ME, SmtpServer, make_mail, smtp_fixture  # noqa: F401
from typer.testing import Result

from conftest import run_cli


def os1(home: Path, *args: str, answers: str = "") -> Result:
    return run_cli(home, *args, answers=answers, OS1_MAIL_PASSWORD="")


def test_connect_index_triage_find_and_send(home: Path, tmp_path: Path, smtp: SmtpServer) -> None:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add(
        make_mail(
            sender="Amy Pond <amy@example.org>",
            subject="Boiler invoice",
            body="Could you pay the boiler invoice by Friday?",
            message_id="<boiler@example.org>",
        )
    )
    box.add(b"\x00\x00 junk \x00")
    sent = box.add_folder("Sent")
    sent.add(
        make_mail(sender=f"Ada <{ME}>", to="amy@example.org", body="Hi Amy,\n\nSure.\n\nBest,\nAda")
    )

    connected = os1(
        home,
        "mail", "connect", "--maildir", str(tmp_path / "Mail"), "--address", ME,
        "--name", "Ada Lovelace", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port),
        "--smtp-security", "plain", "--no-smtp-login",
    )  # fmt: skip
    assert connected.exit_code == 0, connected.output

    indexed = os1(home, "mail", "index")
    assert indexed.exit_code == 0, indexed.output
    assert "Indexed 2 new mails" in indexed.output
    assert "Skipped 1" in indexed.output and "binary data" in indexed.output
    assert "nothing was deleted" in indexed.output
    assert "Your tone, from 1 sent mails" in indexed.output

    inbox = os1(home, "mail", "inbox")
    assert inbox.exit_code == 0, inbox.output
    assert "Needs a reply (1)" in inbox.output and "Boiler invoice" in inbox.output

    found = os1(home, "mail", "find", "boiler")
    assert found.exit_code == 0 and "Boiler invoice" in found.output
    number = found.output.split("│")[1].strip() if "│" in found.output else "1"
    thread = os1(home, "mail", "thread", number)
    assert thread.exit_code == 0 and "pay the boiler invoice" in thread.output

    declined = os1(
        home, "mail", "send", "--to", "amy@example.org", "--subject", "Paid",
        "--body", "Paid it today.", answers="n\n",
    )  # fmt: skip
    assert declined.exit_code == 0, declined.output
    assert smtp.messages == []

    body = tmp_path / "reply.txt"
    body.write_text("Paid it today.\n\nAda")
    done = os1(
        home, "mail", "send", "--to", "Amy", "--reply-to", "<boiler@example.org>",
        "--body-file", str(body), "--yes",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Subject: Re: Boiler invoice" in done.output and "cannot be undone" in done.output
    assert [m.rcpt_tos for m in smtp.messages] == [["amy@example.org"]]
    assert b"In-Reply-To: <boiler@example.org>" in smtp.messages[0].content

    missing = os1(home, "mail", "send", "--to", "amy@example.org", "--subject", "x")
    assert missing.exit_code == 1 and "--body" in missing.output
