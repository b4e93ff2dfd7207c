"""Named schema migrations, applied in order and recorded (no ORM).

Append new migrations to ``MIGRATIONS``; never edit one that has shipped. Every table that
holds a person's data has a ``user_id`` column, which ``UserStore`` always filters on.

These are the core's tables. A skill's own tables are its package's (the calendar's in
``skills.calendar.schema``, the mail index's in ``skills.mail.schema``), registered like a
plugin's through the ``register_migrations`` hook and applied after these, in the order the
plugins load (``Database.open(path, migrations=...)``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from os1.errors import StoreError
from os1.store.dialect import is_postgres
from os1.store.driver import sqlite

Migration = tuple[str, Callable[[sqlite.Connection], None]]
_OWN = re.compile(r"\d{4}_[a-z0-9_]+")  # os1's own numbering; a plugin's has its name first


def run_statements(conn: sqlite.Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the caller's transaction (``executescript`` would
    commit first and break the migration's atomicity). Trigger bodies hold ``;`` too, so
    pieces are joined until SQLite says the statement is complete."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite.complete_statement(pending):
            if pending.strip(" \n;"):
                conn.execute(pending)
            pending = ""
    if pending.strip(" \n;"):
        conn.execute(pending)


def _initial(conn: sqlite.Connection) -> None:
    run_statements(
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


_MEMORY_TABLES = """
        CREATE TABLE episodes (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            source_id TEXT NOT NULL DEFAULT '',
            session TEXT NOT NULL DEFAULT '',
            speaker TEXT NOT NULL,
            text TEXT NOT NULL,
            time REAL NOT NULL,
            created_at REAL NOT NULL,
            importance REAL NOT NULL DEFAULT 0.5,
            embedded INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX episodes_user_time ON episodes(user_id, time);
        CREATE INDEX episodes_unembedded ON episodes(user_id, id) WHERE embedded = 0;
        CREATE UNIQUE INDEX episodes_source ON episodes(user_id, source, source_id)
            WHERE source_id != '';
        CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            attribute TEXT NOT NULL,
            value TEXT NOT NULL,
            text TEXT NOT NULL,
            valid_at REAL,
            confidence REAL NOT NULL DEFAULT 0.7,
            importance REAL NOT NULL DEFAULT 0.5,
            superseded_by INTEGER REFERENCES facts(id) ON DELETE SET NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            embedded INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX facts_user_slot ON facts(user_id, subject, attribute);
        CREATE TABLE fact_sources (
            fact_id INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
            episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            PRIMARY KEY (fact_id, episode_id)
        );
        CREATE INDEX fact_sources_episode ON fact_sources(episode_id);
        CREATE TABLE embeddings (
            owner TEXT NOT NULL CHECK (owner IN ('episode', 'fact')),
            owner_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vec BLOB NOT NULL,
            PRIMARY KEY (owner, model, owner_id)
        );
        CREATE TABLE imports (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, path)
        )
"""


def _fts5(table: str) -> str:
    """SQLite's text index over ``table``'s own ``text`` rows (FTS5, external content),
    kept in step by triggers."""
    return f"""
        CREATE VIRTUAL TABLE {table}_fts USING fts5(
            text, content='{table}', content_rowid='id', tokenize='porter unicode61'
        );
        CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN
            INSERT INTO {table}_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER {table}_au AFTER UPDATE OF text ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO {table}_fts(rowid, text) VALUES (new.id, new.text);
        END;
"""


def _memory(conn: sqlite.Connection) -> None:
    """Episodes (verbatim, with their own time), facts with provenance, and text indexes.

    The FTS tables index external content and are kept in step by triggers, so a memory is
    searchable by text the instant its row commits, and forgetting the row forgets it.
    On PostgreSQL the text index is a generated ``tsvector`` column with a GIN index,
    kept in step by the engine itself.
    """
    run_statements(conn, _MEMORY_TABLES)
    if not is_postgres(conn):
        run_statements(conn, _fts5("episodes") + _fts5("facts"))
        return
    for table in ("episodes", "facts"):
        conn.execute(
            f"ALTER TABLE {table} ADD COLUMN fts tsvector"
            " GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        conn.execute(f"CREATE INDEX {table}_fts ON {table} USING gin (fts)")


def _learning_queue(conn: sqlite.Connection) -> None:
    """Which chat episodes still wait for fact extraction, so a process that quits before
    learning from a conversation learns from it next time instead of never."""
    conn.execute("ALTER TABLE episodes ADD COLUMN learned INTEGER NOT NULL DEFAULT 1")
    conn.execute("CREATE INDEX episodes_unlearned ON episodes(user_id, id) WHERE learned = 0")


def _drop_embedded_flags(conn: sqlite.Connection) -> None:
    """Which memories a route has embedded is read from ``embeddings`` itself (a flag
    per row cannot say which of several routes covered it), so the flags go."""
    conn.execute("DROP INDEX episodes_unembedded")
    conn.execute("ALTER TABLE episodes DROP COLUMN embedded")
    conn.execute("ALTER TABLE facts DROP COLUMN embedded")


def _accounts(conn: sqlite.Connection) -> None:
    """Sign-in for a shared server: passwords and API keys (stored only as hashes), web
    sessions and one-time sign-in codes, admins, and disabled accounts."""
    run_statements(
        conn,
        """
        ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            last_used_at REAL,
            revoked INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX api_keys_user ON api_keys(user_id);
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('web', 'signin')),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        );
        CREATE INDEX sessions_user ON sessions(user_id)
        """,
    )


def _actions(conn: sqlite.Connection) -> None:
    """The action journal: proposals, what the person decided, results and undo data."""
    run_statements(
        conn,
        """
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            tool TEXT NOT NULL,
            title TEXT NOT NULL,
            preview TEXT NOT NULL,
            args TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN
                ('proposed', 'running', 'done', 'declined', 'failed', 'undone')),
            undoable INTEGER NOT NULL DEFAULT 1,
            result TEXT NOT NULL DEFAULT '',
            undo TEXT NOT NULL DEFAULT '',
            turn_id TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            decided_at REAL
        );
        CREATE INDEX actions_user ON actions(user_id, id)
        """,
    )


def _action_reasons(conn: sqlite.Connection) -> None:
    """Why each action was proposed: the person's own words that asked for it."""
    conn.execute("ALTER TABLE actions ADD COLUMN why TEXT NOT NULL DEFAULT ''")


def _user_ids_never_reused(conn: sqlite.Connection) -> None:
    """A deleted person's id is never given to anyone again: ``users.id`` becomes
    AUTOINCREMENT (SQLite otherwise reuses the largest id once its row is gone), so a
    session, socket or journal entry that names an old id can never reach a newcomer of
    the same name. SQLite cannot add AUTOINCREMENT to a table, so the table is rebuilt;
    ``apply_migrations`` runs this with foreign keys off, as SQLite's own recipe for
    rebuilding a parent table requires, and checks them before committing. PostgreSQL's
    identity column never reuses an id and its table already has every column, so there
    it has nothing to do."""
    if is_postgres(conn):
        return
    run_statements(
        conn,
        """
        CREATE TABLE users_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            password_hash TEXT NOT NULL DEFAULT '',
            is_admin INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO users_new (id, name, created_at, password_hash, is_admin, disabled)
            SELECT id, name, created_at, password_hash, is_admin, disabled FROM users;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users
        """,
    )


def _file_reach(conn: sqlite.Connection) -> None:
    """Which of the server's files each person's tools may reach (``skills.reach``):
    '' their own folder under os1's data (the default), '*' anywhere (the owner), or a
    folder the admin gave them. The files a proposal will touch are journaled with it,
    so confirming and undoing check them again against the person's reach at that time.
    Admins made before keep what they could do (the owner is the admin ``os1 serve``
    makes); every other account starts confined to its own folder."""
    run_statements(
        conn,
        """
        ALTER TABLE users ADD COLUMN files TEXT NOT NULL DEFAULT '';
        UPDATE users SET files = '*' WHERE is_admin = 1;
        ALTER TABLE actions ADD COLUMN paths TEXT NOT NULL DEFAULT '[]'
        """,
    )


def _episode_neighbours(conn: sqlite.Connection) -> None:
    """Recall finds the turns just before and after a match in the same conversation,
    and the speakers a question names: these indexes make each a seek rather than a
    walk through a person's whole history."""
    conn.execute("CREATE INDEX episodes_user_session ON episodes(user_id, session, time)")
    conn.execute("CREATE INDEX episodes_user_speaker ON episodes(user_id, speaker)")


def _introductions(conn: sqlite.Connection) -> None:
    """Introductions between people who both consented (``core.introductions``): one
    row per side, each owned by its person; ``card`` is what the other chose to share,
    ``answer`` this side's alone. ``introduction_lines`` is the thread once both said
    yes, a copy per side, so each person's rows stay theirs to read and to delete."""
    run_statements(
        conn,
        """
        CREATE TABLE introductions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            other_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            card TEXT NOT NULL,
            reasons TEXT NOT NULL,
            answer TEXT CHECK (answer IN ('yes', 'no')),
            opened_at REAL,
            created_at REAL NOT NULL,
            UNIQUE (user_id, other_id)
        );
        CREATE INDEX introductions_other ON introductions(other_id);
        CREATE TABLE introduction_lines (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            introduction_id INTEGER NOT NULL REFERENCES introductions(id) ON DELETE CASCADE,
            sender TEXT NOT NULL CHECK (sender IN ('companion', 'me', 'them')),
            text TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX introduction_lines_thread ON introduction_lines(user_id, introduction_id, id)
        """,
    )


def _leases(conn: sqlite.Connection) -> None:
    """Work one process at a time does for a person (learning facts), fenced across every
    process sharing the store: a row held ``until`` a time, taken over once it passed."""
    run_statements(
        conn,
        """
        CREATE TABLE leases (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            holder TEXT NOT NULL,
            until REAL NOT NULL,
            PRIMARY KEY (user_id, name)
        ) WITHOUT ROWID
        """,
    )


MIGRATIONS: list[Migration] = [
    ("0001_initial", _initial),
    ("0002_memory", _memory),
    ("0003_learning_queue", _learning_queue),
    ("0004_drop_embedded_flags", _drop_embedded_flags),
    ("0005_accounts", _accounts),
    ("0006_actions", _actions),
    ("0007_action_reasons", _action_reasons),
    ("0010_user_ids_never_reused", _user_ids_never_reused),
    ("0011_file_reach", _file_reach),
    ("0012_episode_neighbours", _episode_neighbours),
    ("0013_introductions", _introductions),
    ("0014_leases", _leases),
]


def apply_migrations(conn: sqlite.Connection, extra: Sequence[Migration] = ()) -> list[str]:
    """Apply every migration not yet recorded, the core's then ``extra`` (the skills' and
    plugins' tables), each in its own transaction.

    The connection must be in autocommit mode (``isolation_level=None``). Foreign keys
    are off while a migration runs (a rebuilt parent table must not cascade its delete
    into every child table) and checked before it commits; their setting is restored.

    Returns:
        The names of the migrations applied now.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    _refuse_a_newer_schema(done, [name for name, _ in [*MIGRATIONS, *extra]])
    applied = []
    keys = "ON" if conn.execute("PRAGMA foreign_keys").fetchone()[0] else "OFF"
    for name, migrate in [*MIGRATIONS, *extra]:
        if name in done:
            continue
        conn.execute("PRAGMA foreign_keys=OFF")  # takes effect only outside a transaction
        try:
            _apply_one(conn, name, migrate)
        finally:
            conn.execute(f"PRAGMA foreign_keys={keys}")
        applied.append(name)
    return applied


def _refuse_a_newer_schema(done: set[str], known: list[str]) -> None:
    """A database a newer os1 has migrated is not this code's to write: os1's own
    migrations (and its skills', a plugin's are ``PLUGIN:name``) share one numbering, so
    a number past this code's newest means a newer os1.

    Raises:
        StoreError: the database holds a migration numbered past this code's newest.
    """
    newest = max((name for name in known if _OWN.fullmatch(name)), default="")
    ahead = sorted(name for name in done if _OWN.fullmatch(name) and name[:4] > newest[:4])
    if ahead:
        raise StoreError(
            "schema_ahead",
            f"This database was last opened by a newer os1: its schema has {ahead[-1]},"
            f" and this os1 knows up to {newest}.",
            "Update os1 (git pull, then make setup), or set OS1_HOME to another folder;"
            " this os1 leaves a newer database as it is.",
        )


def _apply_one(
    conn: sqlite.Connection, name: str, migrate: Callable[[sqlite.Connection], None]
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrate(conn)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise sqlite.IntegrityError(
                f"migration {name} left {len(broken)} rows pointing nowhere (in {broken[0][0]})"
            )
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
        )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def apply_migrations_postgres(conn: Any, extra: Sequence[Migration] = ()) -> list[str]:
    """``apply_migrations`` for PostgreSQL: the same migrations, each in its own
    transaction, on an autocommit ``PgConnection``. Processes starting together take an
    advisory lock, so one of them migrates and the others find the work done.

    Returns:
        The names of the migrations applied now.
    """
    conn.execute("SELECT pg_advisory_lock(7301)")  # os1's migrations; any fixed number would do
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        _refuse_a_newer_schema(done, [name for name, _ in [*MIGRATIONS, *extra]])
        applied = []
        for name, migrate in [*MIGRATIONS, *extra]:
            if name in done:
                continue
            with conn.raw.transaction():
                migrate(conn)
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, time.time()),
                )
            applied.append(name)
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(7301)")
