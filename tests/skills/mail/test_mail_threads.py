"""Threads, search, inbox triage and the tone learned from sent mail, on a real index."""

from __future__ import annotations

import mailbox
import time
from pathlib import Path

from mail_servers import ME, make_mail, store_fixture  # noqa: F401

from os1.skills.mail import query
from os1.skills.mail.index import index_source
from os1.skills.mail.sources import MaildirSource
from os1.skills.mail.text import is_reply_subject, subject_key
from os1.skills.mail.tone import learn_tone, load_tone
from os1.skills.mail.triage import render, triage_inbox
from os1.store import UserStore

DAY = 86400.0
NOW = time.time()


async def _index(path: Path, store: UserStore, inbox: list[bytes], sent: list[bytes]) -> None:
    box = mailbox.Maildir(path, create=True)
    for raw in inbox:
        box.add(raw)
    folder = box.add_folder("Sent")
    for raw in sent:
        folder.add(raw)
    report = await index_source(store, MaildirSource(path), frozenset({ME}))
    assert not report.skipped


async def test_threads_by_references_reply_to_and_subject(tmp_path: Path, store: UserStore) -> None:
    # the reply arrives (is indexed) before the mail it answers: threads must not care
    await _index(
        tmp_path / "Mail",
        store,
        [
            make_mail(
                subject="Re: Garden party",
                message_id="<c@x>",
                references="<a@x> <b@x>",
                in_reply_to="<b@x>",
                body="Count me in.",
            ),
            make_mail(subject="Garden party", message_id="<a@x>", body="Party on Saturday!"),
            make_mail(subject="Re: Garden party", message_id="<b@x>", in_reply_to="<a@x>"),
            make_mail(subject="Budget 2025", message_id="<d@x>", when=NOW - 2 * DAY),
            make_mail(subject="AW: Budget 2025", message_id="<e@x>", body="no headers, same topic"),
            make_mail(subject="Something else", message_id="<f@x>"),
            make_mail(
                sender="Zed <zed@example.net>", subject="Re: Budget 2025", message_id="<z@x>"
            ),
        ],
        [],
    )
    party = await query.find_one(store, "<c@x>")
    assert party is not None
    assert {m.message_id for m in await query.thread(store, party.thread_id)} == {
        "<a@x>",
        "<b@x>",
        "<c@x>",
    }
    budget = await query.find_one(store, "e@x")
    assert budget is not None
    assert {m.message_id for m in await query.thread(store, budget.thread_id)} == {"<d@x>", "<e@x>"}
    stranger = await query.find_one(store, "<z@x>")  # same subject, nobody in common
    assert stranger is not None and stranger.thread_id not in (budget.thread_id, party.thread_id)
    other = await query.find_one(store, "<f@x>")
    assert other is not None and len(await query.thread(store, other.thread_id)) == 1


def test_subject_key_strips_every_reply_prefix_and_list_tag() -> None:
    same = [
        "Garden party",
        "Re: Garden party",
        "RE:Garden  party",
        "Fwd: Re[2]: garden party",
        "[friends] AW: WG: Garden party",
        "Re: [friends] Re: [friends] SV:  Garden Party ",
        "Re: " * 5000 + "Garden party",
    ]
    assert {subject_key(s) for s in same} == {"garden party"}
    assert subject_key("Regarding: the garden") == "regarding: the garden"  # a word, not Re:
    assert subject_key("[a list tag that goes on for far too long to be one] x").startswith("[")
    assert subject_key("Re: ") == ""
    assert is_reply_subject(" Fwd: x") and not is_reply_subject("Reply needed")


async def test_find_matches_sender_subject_and_text(tmp_path: Path, store: UserStore) -> None:
    await _index(
        tmp_path / "Mail",
        store,
        [
            make_mail(
                sender="Plumber Joe <joe@pipes.example>",
                subject="Invoice 2291",
                body="Please pay the invoice for the boiler repair.",
            ),
            make_mail(sender="Amy <amy@example.org>", subject="Lunch", body="Thai or pizza?"),
        ],
        [],
    )
    assert [m.subject for m in await query.search(store, "boiler")] == ["Invoice 2291"]
    assert [m.subject for m in await query.search(store, "joe invoice")] == ["Invoice 2291"]
    assert [m.subject for m in await query.search(store, "piz")] == ["Lunch"]  # prefixes
    assert await query.search(store, 'NEAR("x" OR) *:') == []  # syntax is just words


async def test_triage_sorts_the_inbox_with_reasons(tmp_path: Path, store: UserStore) -> None:
    await _index(
        tmp_path / "Mail",
        store,
        [
            make_mail(
                sender="Amy Pond <amy@example.org>",
                subject="Contract",
                body="Hi Ada,\n\nCould you sign the contract by Friday?\n\nAmy",
                message_id="<q@x>",
                when=NOW - 1 * DAY,
            ),
            make_mail(
                sender="News <news@shop.example>",
                subject="Big sale",
                body="50% off everything!",
                headers={"List-Unsubscribe": "<mailto:u@x>"},
            ),
            make_mail(
                sender="Rory <rory@example.org>",
                to="team@example.org",
                cc=ME,
                subject="Minutes",
                body="Here are the minutes of today.",
            ),
            make_mail(
                sender="Bob <bob@example.org>",
                subject="Old note",
                body="Just so you know, the shed is painted.",
                when=NOW - 30 * DAY,
            ),
            make_mail(
                sender="Amy Pond <amy@example.org>",
                subject="Dinner",
                body="Are you free tonight?",
                message_id="<dn@x>",
                when=NOW - 3 * DAY,
            ),
        ],
        [
            make_mail(
                sender=f"Ada <{ME}>",
                to="Amy Pond <amy@example.org>",
                subject="Re: Dinner",
                body="Yes!",
                in_reply_to="<dn@x>",
                references="<dn@x>",
                when=NOW - 2 * DAY,
            ),
        ],
    )
    # the old note was read long ago
    triage = await triage_inbox(store, NOW)
    buckets = {t.subject: t.bucket for t in triage.threads}
    assert buckets == {
        "Contract": "needs_reply",
        "Big sale": "newsletters",
        "Minutes": "fyi",
        "Old note": "fyi",  # unread, so it is still news
        "Dinner": "can_wait",
    }
    contract = triage.bucket("needs_reply")[0]
    assert "whom you write to" in " ".join(contract.reasons)
    assert 'deadline: "by Friday"' in " ".join(contract.reasons)
    dinner = next(t for t in triage.threads if t.subject == "Dinner")
    assert "you replied on" in " ".join(dinner.reasons)
    text = render(triage)
    assert text.index("Needs a reply") < text.index("For your information")
    assert "Contract" in text and "Big sale" in text


async def test_tone_is_learned_from_sent_mail(tmp_path: Path, store: UserStore) -> None:
    sent = [
        make_mail(
            sender=f"Ada <{ME}>",
            to=f"{name} <{name.lower()}@example.org>",
            subject=f"Re: {topic}",
            body=f"Hi {name},\n\nSounds good to me. {extra}\n\nCheers,\nAda\n\n"
            f"> On Monday {name} wrote:\n> Dear Ada, kindly reply.",
        )
        for name, topic, extra in [
            ("Amy", "Lunch", "Thursday works, I'll bring snacks."),
            ("Bob", "Shed", "Let me know when you're done!"),
            ("Carl", "Trip", "I'm in, sounds good to me as well."),
            ("Dee", "Books", "Thanks for the tip."),
        ]
    ]
    await _index(tmp_path / "Mail", store, [make_mail()], sent)
    profile = await learn_tone(store)
    assert profile is not None and profile.samples == 4
    assert profile.greeting == "Hi {name},"
    assert profile.sign_off == "Cheers,\nAda"
    assert profile.formality == "casual"  # "kindly" in the quoted text is not theirs
    assert "sounds good to me" in " ".join(profile.phrases) or "sounds good" in profile.phrases
    assert 5 <= profile.words <= 20
    assert await load_tone(store) == profile  # kept in the person's settings
