"""Named schema migrations, applied in order and recorded (no ORM).

Append new migrations to ``MIGRATIONS``; never edit one that has shipped. Every table that
holds a person's data has a ``user_id`` column, which ``UserStore`` always filters on.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

Migration = tuple[str, Callable[[sqlite3.Connection], None]]


def _run_statements(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the caller's transaction (``executescript`` would
    commit first and break the migration's atomicity)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _initial(conn: sqlite3.Connection) -> None:
    _run_statements(
        conn,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        CREATE TABLE settings (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            started_at REAL NOT NULL,
            title TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX conversations_user ON conversations(user_id, id);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
            content TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'complete'
                CHECK (status IN ('complete', 'interrupted', 'streaming', 'failed')),
            turn_id TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL
        );
        CREATE INDEX messages_conversation ON messages(user_id, conversation_id, id);
        CREATE TABLE summaries (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            upto_message_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX summaries_conversation ON summaries(user_id, conversation_id, id);
        CREATE TABLE onboarding_answers (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX onboarding_user ON onboarding_answers(user_id, id);
        """,
    )


MIGRATIONS: list[Migration] = [
    ("0001_initial", _initial),
]


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; each in its own transaction.

    The connection must be in autocommit mode (``isolation_level=None``).

    Returns:
        The names of the migrations applied now.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    applied = []
    for name, migrate in MIGRATIONS:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            migrate(conn)
            conn.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                (name, time.time()),
            )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(name)
    return applied
