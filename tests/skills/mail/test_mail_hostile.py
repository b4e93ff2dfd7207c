"""Mail built to be slow or to break the reader (issue 24): HTML is read by a real parser
in linear time, with the text the index expects; headers that made the standard
library's parsers recurse or rescan are read or skipped; and indexing a Maildir holding
such mails finishes in seconds, with everything else indexed."""

from __future__ import annotations

import mailbox
import time
from pathlib import Path

from mail_servers import ME, make_mail, store_fixture  # noqa: F401

from os1.skills.mail import query
from os1.skills.mail.index import index_source
from os1.skills.mail.parse import BODY_CAP, parse_mail
from os1.skills.mail.sources import MaildirSource
from os1.skills.mail.text import html_to_text
from os1.store import UserStore

OWN = frozenset({ME})


def hostile_html(size: int) -> bytes:
    """An HTML mail whose body is ``<!--`` repeated to ``size`` bytes, with a line of
    real text before it (the mail of the issue: 120 KB of it took 25 s)."""
    head = (
        "From: Mallory <mallory@example.org>\nTo: ada@example.org\nSubject: Open me\n"
        f"Message-ID: <bomb-{size}@example.org>\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n"
        "Content-Type: text/html; charset=utf-8\n\n<p>Before the comments</p>"
    )
    return head.encode() + b"<!--" * (size // 4)


def test_html_becomes_the_text_a_person_reads() -> None:
    markup = (
        "<html><head><title>News</title><style>p{color:red}</style></head><body>"
        "<script>alert('x')</script><!-- tracking --><h1>Hello&nbsp;Ada</h1>"
        "<p>Dinner at <b>eight</b> &amp; drinks<br>after</p><div>Bye</div>"
        "<table><tr><td>a</td><td>b</td></tr></table></body></html>"
    )
    text = html_to_text(markup)
    assert "alert" not in text and "tracking" not in text and "color" not in text
    assert "News" not in text  # the title is not part of the mail's text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == ["Hello\xa0Ada", "Dinner at eight & drinks", "after", "Bye", "a b"]


def test_tag_soup_never_raises_and_deep_nesting_keeps_its_text() -> None:
    for soup in ("<", "<!--", "<![", "</>", "&#", "<a b='", "<x" * 1000, "\x00<p>\x00"):
        assert isinstance(html_to_text(soup * 50), str)
    assert html_to_text("<b>" * 5000 + "deep down") == "deep down"
    assert html_to_text("<div>x" * 5000).count("x") == 5000
    assert len(html_to_text("<p>word</p>" * 50_000, limit=1000)) == 1000


def test_the_hostile_mail_is_read_in_linear_time() -> None:
    started = time.process_time()
    small = parse_mail(hostile_html(120_000))
    took = time.process_time() - started
    assert took < 1.0  # it took 25 s before
    assert small.body == "Before the comments"
    started = time.process_time()
    big = parse_mail(hostile_html(4_000_000))  # the parse cap
    assert time.process_time() - started < 10 * max(took, 0.05)
    assert big.body == "Before the comments"


def test_headers_that_made_the_standard_library_recurse_or_rescan() -> None:
    nested = make_mail(sender="Amy <amy@example.org>").replace(
        b"From: Amy <amy@example.org>", b"From: " + b"(" * 20_000 + b"amy@example.org"
    )
    parsed = parse_mail(nested)  # getaddresses recursed once per "(" and raised
    assert parsed.subject == "Lunch?" and any("From header" in r for r in parsed.repairs)
    # a name, 15,000 spaces, and an address not closed: every split of the spaces was tried
    spaced = make_mail().replace(
        b"From: Amy Pond <amy@example.org>", b"From: Amy" + b" " * 15_000 + b"x <amy@example.org"
    )
    started = time.process_time()
    parse_mail(spaced)
    assert time.process_time() - started < 0.3  # 0.6 s on the old pattern, growing squared
    encoded = make_mail(subject="=?utf-8?q?" * 20_000)
    assert len(parse_mail(encoded).subject) <= 502  # 500 and " …"


def test_a_long_plain_body_is_cut_before_it_is_tidied() -> None:
    parsed = parse_mail(make_mail(body="word " * 1_000_000))
    assert len(parsed.body) <= BODY_CAP + 2
    assert any(f"first {BODY_CAP:,} characters" in r for r in parsed.repairs)


async def test_indexing_a_maildir_with_hostile_mails_takes_seconds(
    tmp_path: Path, store: UserStore
) -> None:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    for index in range(20):
        box.add(make_mail(subject=f"Note {index}", message_id=f"<note{index}@example.org>"))
    box.add(hostile_html(120_000))
    box.add(hostile_html(4_000_000))
    started = time.monotonic()
    report = await index_source(store, MaildirSource(tmp_path / "Mail"), OWN)
    assert time.monotonic() - started < 20  # hours before, for the 4 MB one
    assert report.added == 22 and not report.skipped
    found = await query.search(store, "comments")
    assert {m.subject for m in found} == {"Open me"}
