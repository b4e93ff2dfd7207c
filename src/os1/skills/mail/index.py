"""Indexing: raw mails from a source into the person's ``mail_messages`` table.

A worker thread reads a batch of mails, the parsing pool (a separate process, see
``os1.parsing_pool``) parses it, then the store's writer commits it. Parsing is where a
hostile mail would spend its time, and in a thread it would hold the GIL that the server
answering everyone needs; in the pool it costs one worker at most, for a bounded time.
A batch goes to the pool in parts of at most ``PART_MAILS`` mails or ``PART_BYTES``
bytes, each with a budget; a part that overruns is parsed again mail by mail, and a
mail that overruns alone is skipped and named in the report. Each batch and its sync
state (keys known, last IMAP UID) commit in one transaction, so an interrupted run loses
nothing and the next one continues where it stopped.

Threads (after JWZ's threading idea, much reduced): a mail joins the thread of any mail
it names in References / In-Reply-To that is already indexed, else the root of its
References chain; a mail that names none joins a recent mail with the same subject once
the Re:/Fwd:/AW: prefixes are stripped, when either of them is a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from os1.errors import Os1Error
from os1.parsing_pool import ParsingError, parse_bulk
from os1.skills.mail.account import MailAccount
from os1.skills.mail.parse import TIMED_OUT, Malformed, ParsedMail, parse_many
from os1.skills.mail.sources import (
    Batch,
    FolderState,
    ImapSource,
    Issue,
    MaildirSource,
    MboxSource,
    RawMail,
    is_sent_folder,
)
from os1.skills.mail.text import is_reply_subject, subject_key
from os1.store import UserStore
from os1.store.user import Scoped

log = logging.getLogger(__name__)
SUBJECT_WINDOW = 60 * 86400.0  # a subject-only match joins a thread this recent
PART_MAILS = 250  # mails sent to the parsing pool at once (pickling is per part)
PART_BYTES = 8_000_000  # and at most this many bytes of them
Progress = Callable[[int, int | None], None]


class Source(Protocol):
    name: str

    def read(self, states: dict[str, FolderState]) -> Generator[Batch, None, None]: ...


@dataclass
class IndexReport:
    """What one indexing run did: mails added, and each mail skipped or repaired."""

    added: int = 0
    issues: list[Issue] = field(default_factory=list)
    seconds: float = 0.0
    sources: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> list[Issue]:
        return [i for i in self.issues if i.action == "skipped"]

    @property
    def repaired(self) -> list[Issue]:
        return [i for i in self.issues if i.action == "repaired"]


@dataclass(frozen=True)
class _Ready:
    """A batch parsed and ready to insert."""

    batch: Batch
    rows: list[tuple[RawMail, ParsedMail]]


def sources_of(account: MailAccount) -> list[Source]:
    from pathlib import Path

    found: list[Source] = []
    if account.maildir:
        found.append(MaildirSource(Path(account.maildir)))
    if account.mbox:
        found.append(MboxSource(Path(account.mbox)))
    if account.imap.configured:
        found.append(ImapSource(account.imap, account.sent_folder))
    return found


def _label(raw: bytes) -> str:
    """The subject of a mail that could not be read, if a line says it, for the report."""
    head = raw[:8192]
    start = head.lower().find(b"\nsubject:")
    if start < 0:
        return ""
    line = head[start + 9 :].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return f' "{line[:60]}"' if line else ""


def _parts(mails: list[RawMail]) -> Generator[list[RawMail], None, None]:
    part: list[RawMail] = []
    size = 0
    for mail in mails:
        if part and (len(part) >= PART_MAILS or size + len(mail.raw) > PART_BYTES):
            yield part
            part, size = [], 0
        part.append(mail)
        size += len(mail.raw)
    if part:
        yield part


def _budget(part: list[RawMail]) -> float:
    """Seconds a part may take in the pool: generous for linear work on a slow, shared
    machine (parsing runs at about 10 MB/s), never hours."""
    return 10.0 + 2.0 * sum(len(m.raw) for m in part) / 1_000_000


async def _parse_part(part: list[RawMail]) -> list[ParsedMail | Malformed]:
    """The mails of ``part`` parsed in the pool; on overrun, each again on its own."""
    try:
        return await parse_bulk(_budget(part), parse_many, [(m.raw, m.received) for m in part])
    except ParsingError as exc:
        if exc.code == "parse_unavailable":
            raise  # no worker at all: one by one would fail the same way, slowly
        if len(part) == 1:
            timed_out = exc.code == "parse_timeout"
            return [Malformed(TIMED_OUT if timed_out else f"it stopped the reader: {exc.message}")]
        log.warning("mail index: a part of %d mails overran; parsing them one by one", len(part))
        return [found for mail in part for found in await _parse_part([mail])]


async def _parse_batch(batch: Batch) -> _Ready:
    rows = []
    for part in _parts(batch.mails):
        for mail, parsed in zip(part, await _parse_part(part), strict=True):
            where = f"{mail.folder}/{mail.key}"
            if isinstance(parsed, Malformed):
                batch.issues.append(Issue(where + _label(mail.raw), "skipped", str(parsed)))
                continue
            if parsed.repairs:
                batch.issues.append(Issue(where, "repaired", "; ".join(parsed.repairs)))
            rows.append((mail, parsed))
    return _Ready(batch, rows)


def _lookup_thread(db: Scoped, message_id: str) -> str | None:
    rows = db.execute(
        "SELECT thread_id FROM mail_messages WHERE user_id = :user_id AND message_id = :m LIMIT 1",
        {"m": message_id},
    )
    return str(rows[0][0]) if rows else None


def _subject_thread(db: Scoped, mail: ParsedMail, key: str, own: frozenset[str]) -> str | None:
    """A thread for a mail that names no other: a recent mail with the same subject and
    someone in common besides the person. A reply ("Re: x") joins it; an original ("x")
    joins only a reply that itself names nothing (it was waiting for this original)."""
    reply = is_reply_subject(mail.subject)
    people = {mail.from_addr, *mail.to, *mail.cc} - own - {""}
    rows = db.execute(
        "SELECT thread_id, subject, refs, in_reply_to, from_addr, rcpt FROM mail_messages"
        " WHERE user_id = :user_id AND subject_key = :k AND date BETWEEN :lo AND :hi"
        " ORDER BY date DESC LIMIT 20",
        {"k": key, "lo": mail.date - SUBJECT_WINDOW, "hi": mail.date + SUBJECT_WINDOW},
    )
    for thread, subject, refs, in_reply_to, sender, rcpt in rows:
        if not people & {sender, *str(rcpt).split()}:
            continue
        if reply or (is_reply_subject(subject) and not refs and not in_reply_to):
            return str(thread)
    return None


def thread_for(
    db: Scoped, mail: ParsedMail, fresh: dict[str, str], own: frozenset[str] = frozenset()
) -> str:
    """The thread ``mail`` belongs to (``fresh``: threads of this batch, not yet stored)."""
    named = [*mail.references, mail.in_reply_to] if mail.in_reply_to else [*mail.references]
    for message_id in named:
        found = fresh.get(message_id) or _lookup_thread(db, message_id)
        if found:
            return found
    if named:
        return named[0]
    key = subject_key(mail.subject)
    if len(key) >= 3:
        found = _subject_thread(db, mail, key, own)
        if found:
            return found
    return mail.message_id


INSERT_MAIL = (
    "INSERT OR IGNORE INTO mail_messages (user_id, source, folder, key, message_id,"
    " in_reply_to, refs, thread_id, subject_key, from_name, from_addr, to_text, cc_text,"
    " rcpt, subject, date, body, seen, from_me, to_me, is_list, indexed_at) VALUES"
    " (:user_id, :source, :folder, :key, :message_id, :in_reply_to, :refs, :thread_id,"
    " :subject_key, :from_name, :from_addr, :to_text, :cc_text, :rcpt, :subject, :date,"
    " :body, :seen, :from_me, :to_me, :is_list, :now)"
)


def row_values(
    db: Scoped,
    source: str,
    mail: RawMail,
    parsed: ParsedMail,
    own: frozenset[str],
    fresh: dict[str, str],
) -> dict[str, Any]:
    """The row for one mail (its thread found against the store and ``fresh``)."""
    thread = thread_for(db, parsed, fresh, own)
    fresh.setdefault(parsed.message_id, thread)
    from_me = parsed.from_addr in own or is_sent_folder(mail.folder)
    return {
        "source": source,
        "folder": mail.folder,
        "key": mail.key,
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "refs": " ".join(parsed.references),
        "thread_id": thread,
        "subject_key": subject_key(parsed.subject),
        "from_name": parsed.from_name,
        "from_addr": parsed.from_addr,
        "to_text": parsed.to_text,
        "cc_text": parsed.cc_text,
        "rcpt": " ".join((*parsed.to, *parsed.cc)),
        "subject": parsed.subject,
        "date": parsed.date,
        "body": parsed.body,
        "seen": int(mail.seen or from_me),
        "from_me": int(from_me),
        "to_me": int(any(a in own for a in parsed.to)),
        "is_list": int(parsed.is_list),
        "now": time.time(),
    }


def _store_batch(db: Scoped, source: str, ready: _Ready, own: frozenset[str]) -> int:
    batch = ready.batch
    if batch.reset:
        db.execute(
            "DELETE FROM mail_messages WHERE user_id = :user_id AND source = :s AND folder = :f",
            {"s": source, "f": batch.folder},
        )
    # one row at a time: each mail's thread lookups see the mails before it in the batch
    fresh: dict[str, str] = {}
    added = 0
    for mail, parsed in ready.rows:
        values = row_values(db, source, mail, parsed, own, fresh)
        added += len(db.execute(INSERT_MAIL + " RETURNING id", values))
    if batch.uidvalidity or batch.last_uid:
        db.execute(
            "INSERT INTO mail_sync (user_id, source, folder, uidvalidity, last_uid, updated_at)"
            " VALUES (:user_id, :s, :f, :v, :u, :now) ON CONFLICT (user_id, source, folder)"
            " DO UPDATE SET uidvalidity = excluded.uidvalidity,"
            " last_uid = MAX(excluded.last_uid, CASE WHEN mail_sync.uidvalidity ="
            " excluded.uidvalidity THEN mail_sync.last_uid ELSE 0 END),"
            " updated_at = excluded.updated_at",
            {
                "s": source,
                "f": batch.folder,
                "v": batch.uidvalidity,
                "u": batch.last_uid,
                "now": time.time(),
            },
        )
    return max(added, 0)


def _states(db: Scoped, source: str) -> dict[str, FolderState]:
    states: dict[str, FolderState] = {}
    for row in db.execute(
        "SELECT folder, key FROM mail_messages WHERE user_id = :user_id AND source = :s",
        {"s": source},
    ):
        states.setdefault(row[0], FolderState()).known.add(row[1])
    for row in db.execute(
        "SELECT folder, uidvalidity, last_uid FROM mail_sync WHERE user_id = :user_id"
        " AND source = :s",
        {"s": source},
    ):
        state = states.setdefault(row[0], FolderState())
        state.uidvalidity, state.last_uid = int(row[1]), int(row[2])
    return states


async def index_source(
    store: UserStore,
    source: Source,
    own: frozenset[str],
    progress: Progress | None = None,
    report: IndexReport | None = None,
) -> IndexReport:
    """Index what ``source`` has that the store does not.

    Raises:
        InputError: the source cannot be read (no such folder, IMAP login refused, ...).
    """
    report = report or IndexReport()
    started = time.perf_counter()
    states = await store.read(lambda db: _states(db, source.name))
    batches = source.read(states)

    def step() -> Batch | None:
        return next(batches, None)

    async def parsed(batch: Batch | None) -> _Ready | None:
        return None if batch is None else await _parse_batch(batch)

    done, total = 0, 0
    # the pool parses the next batch while this process writes the last one (they share no
    # GIL); reading stays in turn, so the source is never read from two threads at once
    parsing = asyncio.ensure_future(parsed(await asyncio.to_thread(step)))
    try:
        while (ready := await parsing) is not None:
            parsing = asyncio.ensure_future(parsed(await asyncio.to_thread(step)))
            if ready.batch.total is not None:
                total += ready.batch.total
            store_it = partial(_store_batch, source=source.name, ready=ready, own=own)
            report.added += await store.transaction(store_it)
            report.issues.extend(ready.batch.issues)
            done += len(ready.batch.mails)
            if progress is not None:
                progress(done, total)
    finally:
        if not parsing.done():  # given up on: the pool abandons the work
            parsing.cancel()
        with contextlib.suppress(asyncio.CancelledError, Os1Error):
            await parsing
        await asyncio.to_thread(batches.close)  # an IMAP logout, off the event loop
    report.seconds += time.perf_counter() - started
    report.sources.append(source.name)
    return report


async def index_account(
    store: UserStore, account: MailAccount, progress: Progress | None = None
) -> IndexReport:
    """Index every source of the account (Maildir, mbox, IMAP) incrementally."""
    report = IndexReport()
    for source in sources_of(account):
        await index_source(store, source, account.own_addresses, progress, report)
    log.info("mail index: %d added, %d issues", report.added, len(report.issues))
    return report
