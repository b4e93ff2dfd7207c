"""The mail tools the companion (and ``os1 mail``) uses.

Three only read and answer from ``plan``: ``check_mail`` (triage of the inbox),
``find_mail`` and ``draft_reply`` (a draft to read; nothing is sent). ``send_mail`` is
the one with a side effect: its plan shows the full message as it will go out (From,
To, Subject, threading headers, the body, and that sending cannot be undone), and only
the person's confirmation runs it. Nothing a mail says can reach ``send_mail``: triage
and drafts return text, and a proposal comes only from the person's own request.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
from typing import Annotated, Any

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from os1.errors import InputError, LetterError
from os1.skills.base import Outcome, Plan, ReadOnly, ToolContext, args_from_text
from os1.skills.letters.attach import as_data, attached_pdf, letter_attachment
from os1.skills.letters.hands import DEFAULT_HAND
from os1.skills.mail import query
from os1.skills.mail.account import MailAccount, load_account, require_account
from os1.skills.mail.draft import draft_answer
from os1.skills.mail.index import index_account
from os1.skills.mail.send import (
    compose,
    imap_append,
    keep_sent,
    new_message_id,
    recipients,
    smtp_send,
)
from os1.skills.mail.triage import render, triage_inbox

log = logging.getLogger(__name__)
CONNECT_HINT = (
    "Connect your mail first: `os1 mail connect --maildir PATH` (or --mbox, --imap-host)."
)


def _person(ctx: ToolContext, account: MailAccount) -> str:
    return account.name or ctx.store.user.name


# the model's choice of a mail tool stands only if the message says one of these
# (skills.choose: a small model sends some world questions to the mail search)
MAIL_CUES = ("mail", "inbox", "wrote", "reply", "respond", "send", "@")
# Words that suggest a message is about mail (``skills.gate``): more than the cues, which
# a mail request must hold.
MAIL_HINTS = (*MAIL_CUES, "email", "e-mail", "message", "letter", "draft", "answer", "forward")


class CheckArgs(BaseModel):
    focus: str = Field(
        "", max_length=200, description="Optional: whose or which mail to look at, e.g. 'Amy'."
    )


class CheckMail(ReadOnly):
    name = "check_mail"
    touches = "account"
    cues = MAIL_CUES
    hints = MAIL_HINTS
    summary = "check the mail inbox: what needs a reply, what is FYI, newsletters, what can wait"
    Args = CheckArgs
    examples = ("what's in my inbox", "any mail from Amy?", "check my email")

    def from_command(self, text: str) -> CheckArgs:
        return CheckArgs(focus=text.strip()[:200])

    async def plan(self, ctx: ToolContext, args: CheckArgs) -> Plan | str:
        account = await load_account(ctx.store)
        if account is None:
            return "No mail account is connected yet. " + CONNECT_HINT
        note = ""
        if await query.count(ctx.store) and account.can_read:
            try:  # fetch what is new (the index is a local copy: reading, not acting)
                await index_account(ctx.store, account)
            except InputError as exc:
                note = f"\n(I could not fetch new mail: {exc.message} Showing what I had.)"
        else:
            return "No mail is indexed yet. Run `os1 mail index` once (it shows progress)."
        triage = await triage_inbox(ctx.store, ctx.now(), ctx.llm, person=_person(ctx, account))
        focus = args.focus.strip().lower()
        if focus:
            words = re.findall(r"\w+", focus)
            triage.threads = [
                t
                for t in triage.threads
                if any(w in f"{t.last.sender} {t.subject}".lower() for w in words)
            ] or triage.threads
        return render(triage) + note


class FindArgs(BaseModel):
    query: str = Field(
        max_length=300, description="Words to look for: a sender, a subject, what it said."
    )


class FindMail(ReadOnly):
    name = "find_mail"
    touches = "account"
    cues = MAIL_CUES
    hints = MAIL_HINTS
    summary = "search the person's mail by sender, subject or words in it"
    Args = FindArgs
    examples = ("the invoice from the plumber", "mail from Amy about lunch", "lease contract")

    def from_command(self, text: str) -> FindArgs:
        return FindArgs.model_validate(args_from_text(self, text).model_dump())

    async def plan(self, ctx: ToolContext, args: FindArgs) -> Plan | str:
        hits = await query.search(ctx.store, args.query, limit=10)
        if not hits:
            return f'I found no mail matching "{args.query.strip()}".'
        lines = [f'Mail matching "{args.query.strip()}":']
        for mail in hits:
            lines.append(
                f"- #{mail.id} {mail.day}, {mail.sender}: {mail.subject or '(no subject)'}"
            )
            lines.append(f"  {mail.snippet(140)}")
        return "\n".join(lines)


class DraftArgs(BaseModel):
    to_whom_or_subject: str = Field(
        max_length=300, description="Whose mail or which subject to answer, or #number."
    )
    points: str = Field("", max_length=4000, description="What the person wants to say.")
    firm: bool = Field(False, description="A firm, factual reply citing the thread.")


class DraftReply(ReadOnly):
    name = "draft_reply"
    touches = "account"
    cues = MAIL_CUES
    hints = MAIL_HINTS
    summary = (
        "draft a reply to a mail in the person's own tone (firm for hard letters); sends nothing"
    )
    Args = DraftArgs
    examples = (
        "Amy: yes to lunch on Thursday",
        "reply to the landlord about the deposit",
        "a firm answer to the lawyers' letter",
    )

    def from_command(self, text: str) -> DraftArgs:
        """``whom or subject[: what to say] [--firm]``, e.g. ``Amy: yes to lunch``."""
        firm = "--firm" in text
        whom, _, points = text.replace("--firm", " ").partition(":")
        base = DraftArgs.model_validate(args_from_text(self, whom).model_dump())
        return DraftArgs(
            to_whom_or_subject=base.to_whom_or_subject, points=points.strip(), firm=firm
        )

    async def plan(self, ctx: ToolContext, args: DraftArgs) -> Plan | str:
        account = await load_account(ctx.store)
        try:
            draft = await draft_answer(
                ctx.store,
                args.to_whom_or_subject,
                args.points,
                firm=args.firm,
                llm=ctx.llm,
                person=_person(ctx, account) if account else ctx.store.user.name,
            )
        except ValueError:
            return "That thread has only your own mails; there is nothing to reply to."
        if draft is None:
            return f'I found no mail matching "{args.to_whom_or_subject.strip()}" to reply to.'
        lines = [
            f"Draft reply to #{draft.reply_to_id} (nothing is sent):",
            f"To: {draft.to}",
            f"Subject: {draft.subject}",
            "",
            draft.body,
        ]
        if draft.warnings:
            lines += ["", *(f"Check: {w}" for w in draft.warnings)]
        lines += [
            "",
            f"To send it, ask me to send it, or run: os1 mail draft {draft.reply_to_id} --send",
        ]
        return "\n".join(lines)


class SendArgs(BaseModel):
    to: str = Field(max_length=2000, description="Recipient addresses, or a name you mailed.")
    subject: str = Field(max_length=500, description="The subject line.")
    body: str = Field(max_length=100_000, description="The text of the mail.")
    in_reply_to: str = Field(
        "", max_length=1000, description="The mail being answered: #number or Message-ID."
    )
    # A kept letter to attach as a PDF written by hand, named by a door (the Letters page,
    # `os1 letters send`); the model never sees these.
    letter: Annotated[SkipJsonSchema[int], Field(ge=0, le=2**62)] = 0
    hand: Annotated[SkipJsonSchema[str], Field(max_length=40)] = DEFAULT_HAND


_LABELS = re.compile(r"\b(subject|body):\s*", re.I)


class SendMail:
    name = "send_mail"
    touches = "account"
    cues = MAIL_CUES
    hints = MAIL_HINTS
    summary = "send an email the person wrote or approved (shows the exact mail first)"
    Args = SendArgs
    examples = (
        "amy@example.org subject: Lunch body: Thursday at one works for me.",
        "send Amy a mail saying I'm running late",
        "send the draft to the landlord",
    )

    def from_command(self, text: str) -> SendArgs:
        """``to subject: ... body: ...``."""
        parts = _LABELS.split(text.strip())
        fields: dict[str, str] = {"to": parts[0].strip()}
        for label, value in zip(parts[1::2], parts[2::2], strict=False):
            fields[label.lower()] = value.strip()
        if not fields["to"]:
            return SendArgs.model_validate(args_from_text(self, "").model_dump())
        return SendArgs(
            to=fields["to"],
            subject=fields.get("subject", ""),
            body=fields.get("body", ""),
            in_reply_to="",
        )

    async def _resolve(self, ctx: ToolContext, to: str) -> list[str]:
        if "@" in to:
            return recipients(to)
        address = await query.address_of(ctx.store, to)
        if address is None:
            raise InputError("mail_unknown_person", f"I do not know an address for {to!r}.")
        return [address]

    async def plan(self, ctx: ToolContext, args: SendArgs) -> Plan | str:
        account = await load_account(ctx.store)
        if account is None or not account.smtp.configured or not account.address:
            return (
                "Sending needs an SMTP server and your address: run"
                " `os1 mail connect --smtp-host HOST --address YOU@EXAMPLE.ORG`."
            )
        try:
            to = await self._resolve(ctx, args.to)
        except InputError as exc:
            return str(exc)
        if not args.body.strip():
            return "What should the mail say? Nothing is sent without its text."
        subject, in_reply_to, references = args.subject.strip(), "", ""
        if args.in_reply_to.strip():
            original = await query.find_one(ctx.store, args.in_reply_to)
            if original is None:
                return f"I cannot find the mail {args.in_reply_to.strip()!r} to reply to."
            in_reply_to = original.message_id
            references = " ".join([*original.refs.split()[-20:], original.message_id])
            if not subject:
                subject = (
                    original.subject
                    if original.subject.lower().startswith("re:")
                    else f"Re: {original.subject}"
                )
        if "\n" in subject or "\r" in subject:
            return "A subject must be one line."
        sender = email.utils.formataddr((account.name, account.address))
        data: dict[str, Any] = {
            "from": sender,
            "to": to,
            "subject": subject,
            "body": args.body.strip() + "\n",
            "message_id": new_message_id(account),
            "in_reply_to": in_reply_to,
            "references": references,
        }
        headers = [f"From: {sender}", f"To: {', '.join(to)}", f"Subject: {subject}"]
        if in_reply_to:
            headers.append(f"In-Reply-To: {in_reply_to}")
        if args.letter:
            try:
                attachment = await letter_attachment(ctx.store, args.letter, args.hand)
            except LetterError as exc:
                return str(exc)
            data["attach"] = as_data(attachment)
            headers.append(f"Attached: {attachment.describe()}")
        preview = "\n".join([*headers, "", data["body"].rstrip(), "", "Sending cannot be undone."])
        return Plan(
            title=f"Send mail to {', '.join(to)}: {subject or '(no subject)'}",
            preview=preview,
            args=data,
            undoable=False,
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        account = await require_account(ctx.store)
        msg = compose(args)
        if args.get("attach"):
            filename, pdf = await attached_pdf(ctx.store, args["attach"])
            msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
        refused = await asyncio.to_thread(smtp_send, account.smtp, msg)
        raw = msg.as_bytes()
        notes = []
        if refused:
            notes.append(f"The server refused: {', '.join(refused)}.")
        await keep_sent(ctx.store, account, raw)
        if account.imap.configured:
            try:
                await asyncio.to_thread(imap_append, account.imap, account.sent_folder, raw)
            except InputError as exc:
                notes.append(
                    f"It was sent, but no copy went to your IMAP Sent folder: {exc.message}"
                )
        accepted = [a for a in args["to"] if a not in refused]
        message = f"Sent to {', '.join(accepted)}. " + " ".join(notes)
        return Outcome(message.strip())

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        raise LookupError("a sent mail cannot be called back")


MAIL_TOOLS = (CheckMail, FindMail, DraftReply, SendMail)
