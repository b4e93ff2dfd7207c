"""Drafting replies: in the person's tone, and firm and factual for hard letters, citing
the thread by date and flagging any quote that is not in it."""

from __future__ import annotations

import mailbox
import time
from pathlib import Path

from mail_servers import ME, make_mail, store_fixture  # noqa: F401

from os1.models.scripted import ScriptedLLM
from os1.skills.base import ToolContext
from os1.skills.mail.account import MailAccount, save_account
from os1.skills.mail.draft import draft_reply, find_thread
from os1.skills.mail.index import index_source
from os1.skills.mail.sources import MaildirSource
from os1.skills.mail.tone import learn_tone
from os1.skills.mail.tools import DraftArgs, DraftReply
from os1.store import UserStore

DAY = 86400.0
MARCH_3 = time.mktime((2025, 3, 3, 12, 0, 0, 0, 0, -1))
LAWYERS = "Crane & Partners <crane@lawyers.example>"


async def _index(tmp_path: Path, store: UserStore) -> None:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add(
        make_mail(
            sender=LAWYERS,
            subject="Custody arrangement",
            message_id="<c1@lawyers.example>",
            when=MARCH_3,
            body="Dear Ms Lovelace,\n\nOur client will not agree to alternate weekends. "
            "Our client proposes one weekend per month.\n\nRegards,\nCrane",
        )
    )
    box.add(
        make_mail(
            sender=LAWYERS,
            subject="Re: Custody arrangement",
            message_id="<c2@lawyers.example>",
            in_reply_to="<c1@lawyers.example>",
            references="<c1@lawyers.example>",
            when=MARCH_3 + 7 * DAY,
            body="We expect your answer by 20 March.\n\nRegards,\nCrane",
        )
    )
    sent = box.add_folder("Sent")
    for name in ("Amy", "Bob", "Carl"):
        sent.add(
            make_mail(
                sender=f"Ada <{ME}>",
                to=f"{name} <{name.lower()}@example.org>",
                body=f"Hey {name},\n\nSounds great, see you there!\n\nCheers,\nAda",
            )
        )
    await index_source(store, MaildirSource(tmp_path / "Mail"), frozenset({ME}))
    await save_account(store, MailAccount(address=ME, name="Ada", maildir=str(tmp_path / "Mail")))


async def test_firm_draft_cites_the_thread_and_adds_no_facts(
    tmp_path: Path, store: UserStore
) -> None:
    await _index(tmp_path, store)
    thread = await find_thread(store, "custody")
    assert len(thread) == 2
    draft = await draft_reply(thread, "We agreed on alternate weekends in January.", firm=True)
    assert draft.to == "crane@lawyers.example"
    assert draft.subject == "Re: Custody arrangement"
    assert draft.in_reply_to == "<c2@lawyers.example>"
    assert 'On 3 March 2025 you wrote: "Our client will not agree to alternate weekends."' in (
        draft.body
    )
    assert "We agreed on alternate weekends in January." in draft.body
    assert draft.warnings == ()


async def test_a_quote_the_model_made_up_is_flagged(tmp_path: Path, store: UserStore) -> None:
    await _index(tmp_path, store)
    llm = ScriptedLLM()
    llm.enqueue(
        'Dear Crane,\n\nOn 3 March you wrote: "Our client will pay all school fees." '
        "We reject your proposal.\n\nKind regards,\nAda"
    )
    thread = await find_thread(store, "custody")
    draft = await draft_reply(thread, "Reject it.", firm=True, llm=llm)
    assert draft.warnings == (
        'This quote is not in the thread or your points: "Our client will pay all school fees."',
    )
    prompt = llm.requests[0].messages
    assert "calm, factual and firm" in prompt[0].content
    assert "Our client will not agree to alternate weekends." in prompt[0].content  # the quotes
    assert "Reject it." in prompt[1].content


async def test_ordinary_draft_uses_the_persons_tone(tmp_path: Path, store: UserStore) -> None:
    await _index(tmp_path, store)
    tone = await learn_tone(store)
    assert tone is not None and tone.greeting == "Hey {name},"
    thread = await find_thread(store, "custody")
    draft = await draft_reply(thread, "Thanks, I will answer next week.", tone=tone)
    assert draft.body.startswith("Hey Crane,")
    assert draft.body.endswith("Cheers,\nAda")

    llm = ScriptedLLM()
    answer = await DraftReply().plan(
        ToolContext(store, llm=llm), DraftArgs(to_whom_or_subject="Crane", points="Say thanks.")
    )
    assert isinstance(answer, str) and "nothing is sent" in answer
    assert "To: crane@lawyers.example" in answer
    assert "'Hey {name},'" in llm.requests[0].messages[0].content  # the tone reached the model


async def test_the_slash_command_takes_whom_what_and_firm(tmp_path: Path, store: UserStore) -> None:
    await _index(tmp_path, store)
    tool = DraftReply()
    args = tool.from_command("custody: We agreed on alternate weekends in January. --firm")
    assert (args.to_whom_or_subject, args.firm) == ("custody", True)
    answer = await tool.plan(ToolContext(store), args)
    assert isinstance(answer, str)
    assert 'you wrote: "Our client will not agree to alternate weekends."' in answer
    assert "We agreed on alternate weekends in January." in answer
