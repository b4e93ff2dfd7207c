"""Triage: which inbox threads need a reply, which are for information, which are
newsletters, and which can wait, each with the reasons in plain words.

The sorting is rules, not the model, so it is fast, explainable and cannot be talked
into anything by a mail: who wrote (someone the person writes to?), how (directly, in
copy, or to a list: List-Id, List-Unsubscribe, Precedence, no-reply senders), what
(a question to them, a deadline or date), and how long it has waited unread. With a
model, the threads worth reading get a one- or two-sentence summary; the mail goes into
the prompt fenced as quoted data, and the summary is only ever shown, never acted on.
The rules run in the parsing pool (``assess_all``): a full inbox of long mails is half a
second of pattern matching that would otherwise hold up everyone the server answers.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Literal

from os1.errors import ModelError
from os1.models.base import LLM, ChatMessage, GenerationOptions, complete_json
from os1.parsing_pool import parse
from os1.skills.mail import query
from os1.skills.mail.fence import Fence, thread_text
from os1.skills.mail.query import MailRow
from os1.skills.mail.text import own_words
from os1.store import UserStore

log = logging.getLogger(__name__)
Bucket = Literal["needs_reply", "fyi", "newsletters", "can_wait"]
BUCKETS: tuple[tuple[Bucket, str], ...] = (
    ("needs_reply", "Needs a reply"),
    ("fyi", "For your information"),
    ("newsletters", "Newsletters and lists"),
    ("can_wait", "Can wait"),
)
DAY = 86400.0
TRIAGE_SECONDS = 30.0  # assessing the inbox's threads in the parsing pool
_QUESTION = re.compile(
    r"\?|\b(could|can|would|will) you\b|\bplease\b|\blet me know\b|\bwhat do you think\b"
    r"|\b(do|are|have) you\b|\bkönntest du\b|\bkönnen sie\b|\bbitte\b",
    re.I,
)
_DEADLINE = re.compile(
    r"\b(deadline|due (on|by|date)|asap|urgent|end of (the )?(day|week|month)|eod|eow"
    r"|by (today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|next week|noon|\d{1,2}(st|nd|rd|th)?\b|the \d{1,2}(st|nd|rd|th)?\b)"
    r"|before (monday|tuesday|wednesday|thursday|friday|saturday|sunday|the \d)"
    r"|\d{1,2}[./]\d{1,2}([./]\d{2,4})?"
    r"|\d{1,2}(st|nd|rd|th)? (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}(st|nd|rd|th)?\b)",
    re.I,
)
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string", "minLength": 1, "maxLength": 300}},
    "required": ["summary"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class ThreadTriage:
    thread_id: str
    subject: str
    last: MailRow  # the latest mail from someone else
    count: int
    bucket: Bucket
    reasons: tuple[str, ...]
    score: float
    summary: str = ""


@dataclass
class InboxTriage:
    threads: list[ThreadTriage] = field(default_factory=list)

    def bucket(self, name: Bucket) -> list[ThreadTriage]:
        return [t for t in self.threads if t.bucket == name]


def _first_name(mail: MailRow) -> str:
    name = mail.from_name.strip().strip('"')
    if "," in name:  # "Pond, Amy"
        return name.split(",", 1)[1].split()[0] if name.split(",", 1)[1].split() else name
    return name.split()[0] if name else mail.from_addr


def assess(thread: list[MailRow], now: float, people: set[str]) -> ThreadTriage | None:
    """The bucket and reasons for one thread (oldest mail first); None if nobody else
    wrote in it."""
    incoming = [m for m in thread if not m.from_me]
    if not incoming:
        return None
    last = incoming[-1]
    replied = [m for m in thread if m.from_me and m.date >= last.date]
    words = own_words(last.body)
    age = max(0.0, (now - last.date) / DAY) if last.date else 0.0
    who = _first_name(last)
    reasons: list[str] = []
    score = 0.0
    known = last.from_addr in people
    if known:
        reasons.append(f"from {who}, whom you write to")
        score += 2
    question = bool(_QUESTION.search(words))
    deadline = _DEADLINE.search(words) or _DEADLINE.search(last.subject)
    if last.is_list:
        bucket: Bucket = "newsletters"
        reasons.append("a mailing list, newsletter or automatic message")
    elif replied:
        bucket = "can_wait"
        reasons.append(f"you replied on {replied[-1].day}")
    else:
        reasons.append("sent to you directly" if last.to_me else "you are in copy or Bcc")
        if question:
            reasons.append("asks you something")
            score += 1
        if deadline:
            reasons.append(f'mentions a date or deadline: "{deadline[0]}"')
            score += 2
        if not last.seen:
            reasons.append(f"unread for {age:.0f} day{'s' if round(age) != 1 else ''}")
            score += 1 + min(age, 14.0) / 7
        asked = question and (last.to_me or known)
        if asked or (deadline and last.to_me):
            bucket = "needs_reply"
        elif not last.seen or age < 3:
            bucket = "fyi"
        else:
            bucket = "can_wait"
    score += 1 if last.to_me else 0
    return ThreadTriage(
        last.thread_id,
        last.subject or "(no subject)",
        last,
        len(thread),
        bucket,
        tuple(reasons),
        score,
    )


def assess_all(
    threads: list[list[MailRow]], now: float, people: set[str]
) -> list[ThreadTriage | None]:
    """``assess`` each thread (run in the parsing pool)."""
    return [assess(mails, now, people) for mails in threads]


async def summarize(llm: LLM, thread: list[MailRow], person: str) -> str:
    """One or two sentences on what the thread wants from the person, from the model.

    Raises:
        ModelError: the model failed or returned no usable JSON.
    """
    fence = Fence()
    system = (
        f"You summarize an email thread for {person or 'the person you help'}. "
        f"{fence.rules} Answer with one or two plain sentences: who wants what from "
        "the person, and by when. JSON only."
    )
    messages = [
        ChatMessage("system", system),
        ChatMessage("user", "Summarize this thread:\n" + fence.wrap(thread_text(thread))),
    ]
    options = GenerationOptions(max_tokens=160, temperature=0.0)
    result = await complete_json(llm, messages, SUMMARY_SCHEMA, options)
    text = " ".join(str(result.get("summary", "")).split())[:300]
    # shown to the person only; never let it look like a command a door might run
    return text.lstrip("/!") if text else ""


async def triage_inbox(
    store: UserStore,
    now: float,
    llm: LLM | None = None,
    *,
    limit: int = 200,
    summaries: int = 5,
    person: str = "",
) -> InboxTriage:
    """Sort the most recent inbox threads into buckets, best first; with ``llm``, the
    first ``summaries`` threads that need a reply or are for information get a summary."""
    people = await query.correspondents(store)
    threads = await query.inbox_threads(store, limit)
    # in the parsing pool: 200 threads of long mails are half a second of patterns
    assessed = await parse(TRIAGE_SECONDS, assess_all, threads, now, people)
    sorted_threads = [(found, m) for found, m in zip(assessed, threads, strict=True) if found]
    sorted_threads.sort(key=lambda pair: (-pair[0].score, -pair[0].last.date))
    result = InboxTriage()
    budget = summaries if llm is not None else 0
    for found, mails in sorted_threads:
        if budget and found.bucket in ("needs_reply", "fyi") and llm is not None:
            budget -= 1
            try:
                found = replace(found, summary=await summarize(llm, mails, person))
            except ModelError as exc:
                log.warning("mail summary failed: %s", exc.code)
        result.threads.append(found)
    return result


def render(triage: InboxTriage, per_bucket: int = 8) -> str:
    """The triage as text for the person: buckets, threads, reasons, summaries."""
    if not triage.threads:
        return "Your inbox has no mail from others in the index."
    lines: list[str] = []
    for name, title in BUCKETS:
        threads = triage.bucket(name)
        if not threads:
            continue
        lines.append(f"{title} ({len(threads)}):")
        for item in threads[:per_bucket]:
            mail = item.last
            lines.append(f"- #{mail.id} {mail.sender}: {item.subject} ({mail.day})")
            if item.summary:
                lines.append(f"  Summary of their mail: {item.summary}")
            lines.append(f"  Why: {'; '.join(item.reasons)}")
        if len(threads) > per_bucket:
            lines.append(f"  … and {len(threads) - per_bucket} more")
    return "\n".join(lines)
