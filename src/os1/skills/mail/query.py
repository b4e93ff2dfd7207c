"""Reading the mail index: search, threads, the inbox, the person's own sent mail.

Every statement names ``:user_id`` (the store refuses any that does not), so one
person's mail can never appear in another's answers. The same mail may be indexed from
two sources (IMAP and a Maildir copy, or INBOX and Sent); answers show it once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from os1.skills.mail.text import snippet
from os1.store import UserStore
from os1.store.dialect import is_postgres
from os1.store.driver import sqlite
from os1.store.user import Scoped

_COLUMNS = (
    "id, source, folder, message_id, in_reply_to, refs, thread_id, from_name, from_addr,"
    " to_text, cc_text, rcpt, subject, date, body, seen, from_me, to_me, is_list"
)
_WORD = re.compile(r"[\w@.+'-]+", re.UNICODE)


@dataclass(frozen=True)
class MailRow:
    id: int
    source: str
    folder: str
    message_id: str
    in_reply_to: str
    refs: str
    thread_id: str
    from_name: str
    from_addr: str
    to_text: str
    cc_text: str
    rcpt: str
    subject: str
    date: float
    body: str
    seen: bool
    from_me: bool
    to_me: bool
    is_list: bool

    @property
    def sender(self) -> str:
        if self.from_name and self.from_addr:
            return f"{self.from_name} <{self.from_addr}>"
        return self.from_name or self.from_addr or "(unknown sender)"

    @property
    def day(self) -> str:
        """The date as a person says it: "3 March 2024"."""
        if not self.date:
            return "an unknown date"
        when = dt.datetime.fromtimestamp(self.date)
        return f"{when.day} {when:%B %Y}"

    def snippet(self, limit: int = 160) -> str:
        """The start of the text on one line, for a list of mails."""
        return snippet(self.body, limit)


def _row(row: sqlite.Row) -> MailRow:
    values = tuple(row)
    flags = [bool(v) for v in values[15:19]]
    return MailRow(*values[:15], *flags)


def _unique(rows: list[sqlite.Row]) -> list[MailRow]:
    seen: set[str] = set()
    out = []
    for row in rows:
        mail = _row(row)
        if mail.message_id in seen:
            continue
        seen.add(mail.message_id)
        out.append(mail)
    return out


def fts_query(text: str) -> str:
    """The person's words as an FTS5 query: every word must match (as a prefix), and no
    character of theirs can be read as FTS syntax."""
    words = [w.strip(".'-") for w in _WORD.findall(text)]
    return " ".join(f'"{w}"*' for w in words if w)


async def search(store: UserStore, query: str, limit: int = 10) -> list[MailRow]:
    """Mails matching every word of ``query`` (subject, people, text), best first."""
    match = fts_query(query)
    if not match:
        return []

    columns = ", ".join("m." + c.strip() for c in _COLUMNS.split(","))

    def work(db: Scoped) -> list[MailRow]:
        if is_postgres(db.conn):
            # every word as a prefix, as the FTS5 query asks; only word characters reach
            # the tsquery, so nothing of the person's can be read as its syntax
            words = re.findall(r"\w+", " ".join(re.findall(r'"([^"]*)"', match)))
            rows = db.execute(
                f"SELECT {columns} FROM mail_messages m,"
                " (SELECT to_tsquery('simple', :q) AS q) q WHERE m.fts @@ q.q"
                " AND m.user_id = :user_id ORDER BY ts_rank(m.fts, q.q) DESC, m.date DESC"
                " LIMIT :n",
                {"q": " & ".join(f"{w}:*" for w in words), "n": limit * 3},
            )
            return _unique(rows)[:limit]
        rows = db.execute(
            f"SELECT {columns}"
            " FROM mail_fts JOIN mail_messages m ON m.id = mail_fts.rowid"
            " WHERE mail_fts MATCH :q AND m.user_id = :user_id"
            " ORDER BY bm25(mail_fts, 4.0, 3.0, 3.0, 1.0, 1.0), m.date DESC LIMIT :n",
            {"q": match, "n": limit * 3},
        )
        return _unique(rows)[:limit]

    return await store.read(work)


async def get(store: UserStore, mail_id: int) -> MailRow | None:
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM mail_messages WHERE user_id = :user_id AND id = :id",
            {"id": mail_id},
        )
    )
    return _row(rows[0]) if rows else None


async def by_message_id(store: UserStore, message_id: str) -> MailRow | None:
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM mail_messages WHERE user_id = :user_id"
            " AND message_id = :m ORDER BY from_me, id LIMIT 1",
            {"m": message_id.strip()},
        )
    )
    return _row(rows[0]) if rows else None


async def find_one(store: UserStore, ref: str) -> MailRow | None:
    """A mail named by its index number ("42" or "#42") or its Message-ID."""
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        return await get(store, int(ref.lstrip("#")))
    if ref:
        return await by_message_id(store, ref if ref.startswith("<") else f"<{ref}>")
    return None


async def thread(store: UserStore, thread_id: str, limit: int = 200) -> list[MailRow]:
    """A thread's mails, oldest first."""
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM mail_messages WHERE user_id = :user_id"
            " AND thread_id = :t ORDER BY date, id LIMIT :n",
            {"t": thread_id, "n": limit},
        )
    )
    return _unique(rows)


async def inbox_threads(store: UserStore, limit: int = 200) -> list[list[MailRow]]:
    """The most recently active threads that have mail in the inbox, each oldest first."""

    def work(db: Scoped) -> list[list[MailRow]]:
        ids = db.execute(
            "SELECT thread_id, MAX(date) AS last FROM mail_messages WHERE user_id = :user_id"
            " AND folder = 'INBOX' AND from_me = 0 GROUP BY thread_id ORDER BY last DESC"
            " LIMIT :n",
            {"n": limit},
        )
        threads: list[list[MailRow]] = []
        for row in ids:
            mails = db.execute(
                f"SELECT {_COLUMNS} FROM mail_messages WHERE user_id = :user_id"
                " AND thread_id = :t ORDER BY date, id",
                {"t": row[0]},
            )
            threads.append(_unique(mails))
        return threads

    return await store.read(work)


async def sent(store: UserStore, limit: int = 300) -> list[MailRow]:
    """The person's own mails, newest first."""
    rows = await store.read(
        lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM mail_messages WHERE user_id = :user_id AND from_me = 1"
            " ORDER BY date DESC LIMIT :n",
            {"n": limit},
        )
    )
    return _unique(rows)


async def correspondents(store: UserStore) -> set[str]:
    """Addresses the person has written to: the people who matter to them."""
    rows = await store.read(
        lambda db: db.execute(
            "SELECT rcpt FROM mail_messages WHERE user_id = :user_id AND from_me = 1"
            " ORDER BY date DESC LIMIT 5000"
        )
    )
    return {addr for row in rows for addr in str(row[0]).split()}


async def count(store: UserStore) -> int:
    rows = await store.read(
        lambda db: db.execute("SELECT COUNT(*) FROM mail_messages WHERE user_id = :user_id")
    )
    return int(rows[0][0])


async def address_of(store: UserStore, name: str) -> str | None:
    """The address of someone the person has mail from, named by their name ("Amy")."""
    words = name.strip().lower()
    if len(words) < 2:
        return None
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await store.read(
        lambda db: db.execute(
            "SELECT from_addr FROM mail_messages WHERE user_id = :user_id AND from_me = 0"
            " AND from_addr != '' AND (lower(from_name) LIKE :p ESCAPE '\\'"
            " OR from_addr LIKE :p ESCAPE '\\') ORDER BY date DESC LIMIT 1",
            {"p": pattern},
        )
    )
    return str(rows[0][0]) if rows else None
