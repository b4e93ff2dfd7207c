"""Mail index speed: messages/s of ``os1 mail index`` on a generated Maildir, against a
baseline in the same run: the standard library's ``mailbox`` module parsing the same
Maildir (every message read and parsed, nothing decoded, threaded or stored).

The Maildir mixes what a real inbox holds: plain replies in threads (References and
In-Reply-To), HTML newsletters with List-Id, quoted-printable and base64 bodies, encoded
subjects with umlauts, multipart mails with an attachment, and a few broken ones. The
os1 figure covers everything a person waits for: listing, reading, parsing and decoding,
threading, and committing rows and the full-text index to SQLite.

Run: .venv/bin/python bench/skills_mail.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import mailbox
import random
import tempfile
import time
from pathlib import Path

from os1.skills.mail.index import index_source
from os1.skills.mail.sources import MaildirSource
from os1.skills.registry import builtin_skills
from os1.store import Database

PEOPLE = ("Amy Pond", "Rory Williams", "Jürgen Groß", "Clara Oswald", "Bill Potts", "Nardole")
TOPICS = ("lunch", "the budget", "garden party", "invoice 2291", "school run", "the lease")
WORDS = [
    "please",
    "let",
    "me",
    "know",
    "if",
    "Thursday",
    "works",
    "for",
    "you",
    "and",
    "whether",
    "we",
    "should",
    "book",
    "a",
    "table",
    "the",
    "numbers",
    "for",
    "the",
    "second",
    "quarter",
    "look",
    "better",
    "than",
    "expected",
    "but",
    "the",
    "rent",
    "went",
    "up",
    "could",
    "you",
    "send",
    "me",
    "the",
    "signed",
    "copy",
    "by",
    "Friday",
    "thanks",
    "again",
    "for",
    "your",
    "help",
    "last",
    "week",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _mail(rng: random.Random, index: int) -> bytes:
    """One generated mail as bytes (written by hand: the generator must be quick)."""
    person = PEOPLE[index % len(PEOPLE)]
    address = person.split()[0].lower().replace("ü", "u") + "@example.org"
    topic = TOPICS[(index // 5) % len(TOPICS)]
    root = (index // 5) * 5
    kind = index % 10
    head = [
        f"From: {person} <{address}>"
        if kind != 3
        else f"From: =?utf-8?q?J=C3=BCrgen?= <{address}>",
        "To: Ada Lovelace <ada@example.org>",
        f"Date: Mon, {1 + index % 28:02d} Apr 2024 {index % 24:02d}:15:00 +0200",
        f"Message-ID: <m{index}@example.org>",
    ]
    head.append(f"Subject: {'Re: ' if index != root else ''}{topic.capitalize()}")
    if index != root:
        head += [f"In-Reply-To: <m{index - 1}@example.org>", f"References: <m{root}@example.org>"]
    body = _text(rng, rng.randint(20, 160))
    if kind == 7:  # a newsletter
        head += ["List-Id: <news.shop.example>", "Content-Type: text/html; charset=utf-8"]
        return ("\n".join(head) + f"\n\n<html><body><p>{body}</p></body></html>\n").encode()
    if kind == 8:  # base64 with an attachment
        attachment = base64.encodebytes(rng.randbytes(3000)).decode()
        encoded = base64.encodebytes(body.encode()).decode()
        parts = (
            'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
            f"{encoded}\n--b1\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: base64\n\n"
            f"{attachment}\n--b1--\n"
        )
        return ("\n".join([*head, "MIME-Version: 1.0", parts])).encode()
    if index % 997 == 5:  # now and then a broken one
        return b"\x00\x01 not a mail \x00" * 10
    head.append("Content-Type: text/plain; charset=utf-8")
    return ("\n".join(head) + f"\n\n{body}\n\n> quoted older text\n").encode()


def make_maildir(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    box = mailbox.Maildir(path, create=True)
    for index in range(count):
        box.add(_mail(rng, index))


def baseline(path: Path) -> float:
    """Seconds for the standard library to read and parse every message."""
    started = time.perf_counter()
    box = mailbox.Maildir(path, create=False)
    for key in box.iterkeys():
        box.get_message(key)
    return time.perf_counter() - started


async def os1_index(path: Path, db_path: Path) -> tuple[float, int, int]:
    db = await Database.open(db_path, migrations=builtin_skills().migrations)
    try:
        store = await db.user("bench")
        started = time.perf_counter()
        report = await index_source(store, MaildirSource(path), frozenset({"ada@example.org"}))
        return time.perf_counter() - started, report.added, len(report.skipped)
    finally:
        await db.aclose()


def report(quick: bool = False) -> dict[str, float]:
    """Index a generated Maildir (3,000 messages quick, else 20,000) and the baseline."""
    count = 3_000 if quick else 20_000
    # the Maildir on tmpfs: creating 20,000 files on this shared disk takes a minute and
    # measures the disk; both sides read the same files, the database stays on disk
    memory = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with (
        tempfile.TemporaryDirectory(prefix="os1-bench-mail-", dir=memory) as mails,
        tempfile.TemporaryDirectory(prefix="os1-bench-mail-db-") as data,
    ):
        make_maildir(Path(mails) / "Maildir", count)
        base_seconds = baseline(Path(mails) / "Maildir")
        seconds, added, skipped = asyncio.run(
            os1_index(Path(mails) / "Maildir", Path(data) / "os1.db")
        )
    figures = {
        "mail_messages": float(count),
        "mail_index_msgs_per_s": count / seconds,
        "mail_baseline_msgs_per_s": count / base_seconds,
        "mail_index_ratio": base_seconds / seconds,
        "mail_indexed": float(added),
        "mail_skipped": float(skipped),
    }
    print(
        f"mail index: {figures['mail_index_msgs_per_s']:,.0f} msgs/s "
        f"({added:,} indexed, {skipped} skipped) vs stdlib mailbox parse only "
        f"{figures['mail_baseline_msgs_per_s']:,.0f} msgs/s "
        f"(ratio {figures['mail_index_ratio']:.2f})"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3,000 messages instead of 20,000")
    report(quick=parser.parse_args().quick)
