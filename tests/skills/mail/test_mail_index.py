"""Reading mail from a Maildir, an mbox file and a real IMAP server (Dovecot) into the
index: incremental, malformed mails skipped or repaired with a report, the rest kept."""

from __future__ import annotations

import mailbox
from collections.abc import Generator
from pathlib import Path

from mail_servers import ME, Dovecot, dovecot_fixture, make_mail, store_fixture  # noqa: F401

from os1.skills.mail import query
from os1.skills.mail.account import MailAccount, Server
from os1.skills.mail.index import index_account, index_source
from os1.skills.mail.sources import Batch, FolderState, ImapSource, MaildirSource, MboxSource
from os1.store import UserStore

OWN = frozenset({ME})


def _maildir(path: Path, mails: list[bytes], seen: int = 0) -> mailbox.Maildir:
    box = mailbox.Maildir(path, create=True)
    for index, raw in enumerate(mails):
        message = mailbox.MaildirMessage(raw)
        if index < seen:
            message.set_subdir("cur")
            message.add_flag("S")
        box.add(message)
    return box


MALFORMED = {
    "binary": b"\x00\x01\x02\xff\xfe" * 200,
    "empty": b"\n\n",
    "no headers": b"just some words that are not a mail at all\nand more of them\n",
}


def _repairable() -> dict[str, bytes]:
    return {
        "bad charset": (
            b"From: Bob <bob@example.org>\nTo: ada@example.org\nSubject: Odd charset\n"
            b"Message-ID: <odd@example.org>\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n"
            b"Content-Type: text/plain; charset=x-klingon\n\nQapla' \xe9\xe8 friends\n"
        ),
        "8-bit header, no id": (
            b"From: J\xc3\xbcrgen <j@example.de>\nTo: ada@example.org\n"
            b"Subject: Gr\xfc\xdfe aus M\xfcnchen\n\nHallo Ada!\n"  # Latin-1, undeclared
        ),
        "broken date, huge": (
            b"From: Carl <carl@example.org>\nTo: ada@example.org\nSubject: Big report\n"
            b"Message-ID: <big@example.org>\nDate: the day after tomorrow\n\n"
            + b"numbers and words "
            * 400_000
        ),
        "undecodable base64 html": (
            b"From: Dee <dee@example.org>\nTo: ada@example.org\nSubject: Styled\n"
            b"Message-ID: <html@example.org>\nContent-Type: text/html; charset=utf-8\n\n"
            b"<html><style>p{color:red}</style><p>Dinner at <b>eight</b>&nbsp;tonight</p></html>\n"
        ),
    }


async def test_maildir_keeps_good_mail_and_reports_each_bad_one(
    tmp_path: Path, store: UserStore
) -> None:
    good = [make_mail(subject=f"Note {i}", message_id=f"<good{i}@example.org>") for i in range(5)]
    _maildir(tmp_path / "Mail", [*good, *MALFORMED.values(), *_repairable().values()])
    report = await index_source(store, MaildirSource(tmp_path / "Mail"), OWN)

    assert report.added == 5 + len(_repairable())
    assert len(report.skipped) == len(MALFORMED)
    reasons = " ".join(i.reason for i in report.skipped)
    assert "binary" in reasons and "empty" in reasons and "no mail headers" in reasons
    assert all(i.where.startswith("INBOX/") for i in report.skipped)
    repaired = " | ".join(i.reason for i in report.repaired)
    assert "unknown charset 'x-klingon'" in repaired
    assert "no Message-ID" in repaired and "Subject header" in repaired
    assert "unreadable date" in repaired and "first 20,000 characters" in repaired

    umlauts = await query.search(store, "Grüße München")
    assert [m.from_name for m in umlauts] == ["Jürgen"]
    assert "Hallo Ada" in umlauts[0].body
    styled = await query.search(store, "dinner")
    assert styled[0].body == "Dinner at eight\xa0tonight".replace("\xa0", " ")
    assert "color" not in styled[0].body
    assert await query.search(store, "Qapla")

    again = await index_source(store, MaildirSource(tmp_path / "Mail"), OWN)
    assert again.added == 0 and len(again.skipped) == len(MALFORMED)  # still named, not lost


async def test_maildir_flags_folders_and_incremental(tmp_path: Path, store: UserStore) -> None:
    box = _maildir(
        tmp_path / "Mail",
        [make_mail(subject=f"Inbox {i}", message_id=f"<in{i}@x.org>") for i in range(3)],
        seen=1,
    )
    sent = box.add_folder("Sent")
    sent.add(make_mail(sender=f"Ada <{ME}>", to="amy@example.org", subject="Mine"))
    first = await index_source(store, MaildirSource(tmp_path / "Mail"), OWN)
    assert first.added == 4
    inbox = sorted(await query.search(store, "inbox"), key=lambda m: m.subject)
    assert [m.seen for m in inbox] == [True, False, False]
    mine = await query.sent(store)
    assert [(m.subject, m.folder, m.from_me) for m in mine] == [("Mine", "Sent", True)]

    box.add(make_mail(subject="Brand new", message_id="<new@x.org>"))
    second = await index_source(store, MaildirSource(tmp_path / "Mail"), OWN)
    assert second.added == 1
    assert await query.count(store) == 5


async def test_mbox_and_its_incremental_reindex(tmp_path: Path, store: UserStore) -> None:
    path = tmp_path / "archive.mbox"
    box = mailbox.mbox(path)
    for i in range(4):
        box.add(make_mail(subject=f"Archived {i}", message_id=f"<arc{i}@x.org>"))
    box.add(b"From: \n\n")  # a broken entry among good ones
    box.close()
    report = await index_source(store, MboxSource(path), OWN)
    assert report.added == 4 and len(report.skipped) == 1

    box = mailbox.mbox(path)
    box.add(make_mail(subject="Archived late", message_id="<late@x.org>"))
    box.close()
    again = await index_source(store, MboxSource(path), OWN)
    assert again.added == 1
    assert len(await query.search(store, "archived")) == 5


class Counting:
    """Counts the mails a source hands over, to see that a re-run fetches only new ones."""

    def __init__(self, source: ImapSource) -> None:
        self.source = source
        self.name = source.name
        self.fetched = 0

    def read(self, states: dict[str, FolderState]) -> Generator[Batch, None, None]:
        for batch in self.source.read(states):
            self.fetched += len(batch.mails)
            yield batch


async def test_imap_index_is_incremental_and_leaves_mail_unread(
    dovecot: Dovecot, store: UserStore
) -> None:
    for i in range(3):
        dovecot.deliver(make_mail(subject=f"Hello {i}", message_id=f"<imap{i}@x.org>"))
    dovecot.deliver(b"\x00\x01 not a mail \x00\n\n\x00")
    dovecot.deliver(
        make_mail(sender=f"Ada <{ME}>", to="amy@example.org", subject="From me"), "Sent", True
    )
    server = Server(dovecot.host, dovecot.port, "plain", dovecot.user, dovecot.password)
    first = Counting(ImapSource(server))
    report = await index_source(store, first, OWN)
    assert (report.added, first.fetched, len(report.skipped)) == (4, 5, 1)
    assert (await query.sent(store))[0].subject == "From me"

    dovecot.deliver(make_mail(subject="Later news", message_id="<imap-late@x.org>"))
    second = Counting(ImapSource(server))
    again = await index_source(store, second, OWN)
    assert (again.added, second.fetched) == (1, 1)  # only the new mail crossed the wire

    conn = dovecot.imap()
    conn.select("INBOX", readonly=True)
    _, unseen = conn.search(None, "UNSEEN")
    conn.logout()
    assert len(unseen[0].split()) == 5  # reading did not mark anything as read


async def test_account_reads_every_source_it_names(tmp_path: Path, store: UserStore) -> None:
    _maildir(tmp_path / "Mail", [make_mail(subject="From the maildir")])
    box = mailbox.mbox(tmp_path / "old.mbox")
    box.add(make_mail(subject="From the mbox"))
    box.close()
    account = MailAccount(address=ME, maildir=str(tmp_path / "Mail"), mbox=str(box._path))
    report = await index_account(store, account)
    assert report.added == 2 and len(report.sources) == 2


async def test_another_person_never_sees_the_mail(tmp_path: Path, store: UserStore) -> None:
    _maildir(tmp_path / "Mail", [make_mail(subject="Secret plans")])
    await index_source(store, MaildirSource(tmp_path / "Mail"), OWN)
    other = await store.db.user("eve")
    assert await query.search(other, "secret") == []
    assert await query.count(other) == 0 and await query.count(store) == 1
