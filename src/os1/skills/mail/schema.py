"""The mail index's tables: indexed mails, their text index and per-folder sync state.

Registered as os1's own skill's migration (``skills.builtin``); its name is the one it
shipped with when it was still in the core list, so a database made then is not migrated
twice.
"""

from __future__ import annotations

from os1.store.dialect import is_postgres
from os1.store.driver import sqlite
from os1.store.migrations import Migration, run_statements


def _mail(conn: sqlite.Connection) -> None:
    """The mail index: each person's indexed mails (headers, capped text, thread, flags),
    a text index over them kept in step by triggers, and per-folder sync state (the IMAP
    UIDVALIDITY and last UID) so re-indexing fetches only what is new. On PostgreSQL the
    text index is a generated, weighted ``tsvector`` column (subject first, then the
    people, then the text) with a GIN index."""
    run_statements(
        conn,
        """
        CREATE TABLE mail_messages (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            folder TEXT NOT NULL,
            key TEXT NOT NULL,
            message_id TEXT NOT NULL,
            in_reply_to TEXT NOT NULL DEFAULT '',
            refs TEXT NOT NULL DEFAULT '',
            thread_id TEXT NOT NULL,
            subject_key TEXT NOT NULL DEFAULT '',
            from_name TEXT NOT NULL DEFAULT '',
            from_addr TEXT NOT NULL DEFAULT '',
            to_text TEXT NOT NULL DEFAULT '',
            cc_text TEXT NOT NULL DEFAULT '',
            rcpt TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            date REAL NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            seen INTEGER NOT NULL DEFAULT 0,
            from_me INTEGER NOT NULL DEFAULT 0,
            to_me INTEGER NOT NULL DEFAULT 0,
            is_list INTEGER NOT NULL DEFAULT 0,
            indexed_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX mail_key ON mail_messages(user_id, source, folder, key);
        CREATE INDEX mail_message_id ON mail_messages(user_id, message_id);
        CREATE INDEX mail_thread ON mail_messages(user_id, thread_id, date);
        CREATE INDEX mail_subject ON mail_messages(user_id, subject_key, date);
        CREATE INDEX mail_folder_date ON mail_messages(user_id, folder, date);
        CREATE TABLE mail_sync (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL DEFAULT 0,
            last_uid INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, source, folder)
        )
        """,
    )
    if is_postgres(conn):
        conn.execute(
            "ALTER TABLE mail_messages ADD COLUMN fts tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', subject), 'A')"
            " || setweight(to_tsvector('simple', from_name || ' ' || from_addr), 'B')"
            " || setweight(to_tsvector('simple', to_text), 'C')"
            " || setweight(to_tsvector('simple', body), 'D')) STORED"
        )
        conn.execute("CREATE INDEX mail_fts ON mail_messages USING gin (fts)")
    else:
        run_statements(conn, _FTS5)


# SQLite's text index: FTS5 over the table's own rows, kept in step by triggers
_FTS5 = """
        CREATE VIRTUAL TABLE mail_fts USING fts5(
            subject, from_name, from_addr, to_text, body,
            content='mail_messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER mail_ai AFTER INSERT ON mail_messages BEGIN
            INSERT INTO mail_fts(rowid, subject, from_name, from_addr, to_text, body)
            VALUES (new.id, new.subject, new.from_name, new.from_addr, new.to_text, new.body);
        END;
        CREATE TRIGGER mail_ad AFTER DELETE ON mail_messages BEGIN
            INSERT INTO mail_fts(mail_fts, rowid, subject, from_name, from_addr, to_text, body)
            VALUES ('delete', old.id, old.subject, old.from_name, old.from_addr, old.to_text,
                    old.body);
        END
"""


MIGRATIONS: list[Migration] = [("0009_mail", _mail)]
