"""Moving a whole store from one engine to another (``os1 migrate``), row for row.

Every table both stores have is copied with its ids, in the order the tables were made
(a table's parents are made before it), in batches of ``batch`` rows, each batch
committed on the target together with how far the copy got. A move that was cut short
(``kill -9``, a lost connection) therefore starts again where its last batch ended, and
a row copied twice is ignored (``ON CONFLICT DO NOTHING``), never doubled.

What each engine derives for itself is not copied: SQLite's text indexes (FTS5, filled
by its triggers as rows arrive) and 1-bit vector indexes (vec0, rebuilt from the kept
vectors by the caller), PostgreSQL's generated ``fts`` columns. A column that points
into its own table (a fact superseded by a newer fact) is filled in a second pass, once
every row it may point to is there.

When the move ends, each table is compared: a digest of every row (order-independent, so
the engines' different sort orders do not matter) on each side must be equal.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from os1.errors import StoreError
from os1.store.base import StoreBase
from os1.store.dialect import is_postgres

BATCH = 2000
PROGRESS = "os1_moving"  # the target's record of how far each table's copy got
_DERIVED_SUFFIXES = ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key (or every column, when it has none)
    self_references: tuple[str, ...]  # columns pointing into this same table


@dataclass(frozen=True)
class Moved:
    table: str
    rows: int
    equal: bool


Progress = Callable[[str, int, int], None]  # table, rows copied so far, rows in all


def _tables(conn: Any) -> list[str]:
    """The store's own tables, in the order they were made, ``users`` first."""
    if is_postgres(conn):
        names = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.oid"
            )
        ]
    else:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY rowid"
            )
        ]
        virtual = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
            )
        ]
        names = [n for n in names if not any(n.startswith(v + "_") for v in virtual)]
    skip = {"schema_migrations", PROGRESS}
    kept = [
        n
        for n in names
        if n not in skip
        and not n.startswith("sqlite_")
        and not n.startswith("vec_")
        and not n.endswith(_DERIVED_SUFFIXES)
    ]
    return sorted(kept, key=lambda n: n != "users")  # stable: the rest keep their order


def _describe(conn: Any, name: str) -> Table:
    if is_postgres(conn):
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                " AND table_schema = current_schema() AND is_generated = 'NEVER'"
                " ORDER BY ordinal_position",
                (name,),
            )
        ]
        key = [
            r[0]
            for r in conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary"
                " ORDER BY array_position(i.indkey, a.attnum)",
                (name,),
            )
        ]
        own = [
            r[0]
            for r in conn.execute(
                "SELECT kcu.column_name FROM information_schema.referential_constraints rc"
                " JOIN information_schema.key_column_usage kcu"
                " ON kcu.constraint_name = rc.constraint_name"
                " JOIN information_schema.constraint_column_usage ccu"
                " ON ccu.constraint_name = rc.unique_constraint_name"
                " WHERE kcu.table_name = ? AND ccu.table_name = ?"
                " AND kcu.table_schema = current_schema()",
                (name, name),
            )
        ]
    else:
        info = list(conn.execute(f'PRAGMA table_xinfo("{name}")'))
        columns = [r[1] for r in info if r[6] == 0]  # hidden 0: an ordinary column
        key = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5] > 0]
        own = [r[3] for r in conn.execute(f'PRAGMA foreign_key_list("{name}")') if r[2] == name]
    return Table(name, tuple(columns), tuple(key or columns), tuple(own))


def _row_digest(row: Any) -> int:
    text = json.dumps(
        [v.hex() if isinstance(v, bytes | memoryview) else v for v in row],
        separators=(",", ":"),
    )
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def _digest(conn: Any, table: Table) -> tuple[int, int]:
    """How many rows ``table`` has, and the sum of their hashes (order does not matter)."""
    names = ", ".join(f'"{c}"' for c in table.columns)
    total, count = 0, 0
    for row in conn.execute(f'SELECT {names} FROM "{table.name}"'):
        total = (total + _row_digest([_plain(v) for v in row])) % (1 << 128)
        count += 1
    return count, total


class StoreMove:
    """One move from ``source`` to ``target``, both open and migrated alike."""

    def __init__(self, source: StoreBase, target: StoreBase, batch: int = BATCH) -> None:
        self.source = source
        self.target = target
        self.batch = batch

    async def run(
        self, progress: Progress | None = None, finish: Callable[[Any], object] | None = None
    ) -> list[Moved]:
        """Copy every table not yet copied, then compare each. When all are equal,
        ``finish(conn)`` runs in the target's last transaction (indexes the engine derives,
        made again), which also ends the record of the move's progress.

        Raises:
            StoreError: the two stores' schemas differ, or the target already holds
                someone's data that no earlier move put there.
        """
        tables = await self._plan()
        for table in tables:
            await self._copy(table, progress)
        for table in tables:
            await self._second_pass(table)
        marks = await self.source.read(functools.partial(_high_waters, tables=tables))
        await self.target.transaction(functools.partial(_sequences, marks=marks))
        moved = await self.compare(tables)
        if all(m.equal for m in moved):

            def done(conn: Any) -> None:
                if finish is not None:
                    finish(conn)
                conn.execute(f"DROP TABLE IF EXISTS {PROGRESS}")

            await self.target.transaction(done)
        return moved

    async def compare(self, tables: list[Table] | None = None) -> list[Moved]:
        """Each table's rows, and whether both stores hold exactly the same ones."""
        tables = tables if tables is not None else await self._plan(starting=False)
        moved = []
        for table in tables:
            digest = functools.partial(_digest, table=table)
            here = await self.source.read(digest)
            there = await self.target.read(digest)
            moved.append(Moved(table.name, here[0], here == there))
        return moved

    async def _plan(self, starting: bool = True) -> list[Table]:
        def describe(conn: Any) -> tuple[list[Table], set[str]]:
            done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
            return [_describe(conn, n) for n in _tables(conn)], done

        mine, mine_done = await self.source.read(describe)
        theirs, theirs_done = await self.target.read(describe)
        if mine_done != theirs_done:
            missing = sorted(mine_done ^ theirs_done)
            raise StoreError(
                "schema_differs",
                f"The two stores' schemas differ ({', '.join(missing[:3])}).",
                "Open each with the same os1 and the same plugins (e.g. `os1 doctor`),"
                " then move again.",
            )
        by_name = {t.name: t for t in theirs}
        plan = []
        for table in mine:
            other = by_name.get(table.name)
            if other is None:
                continue
            columns = tuple(c for c in table.columns if c in other.columns)
            plan.append(Table(table.name, columns, table.key, table.self_references))
        if starting:
            await self.target.transaction(self._begin)
        return plan

    def _begin(self, conn: Any) -> None:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {PROGRESS} (name TEXT PRIMARY KEY, done INTEGER NOT NULL)"
        )
        started = conn.execute(f"SELECT count(*) FROM {PROGRESS}").fetchone()[0]
        people = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        if people and not started:
            raise StoreError(
                "target_not_empty",
                f"The store to move into already holds {people}"
                f" {'person' if people == 1 else 'people'}.",
                "Move into a new, empty database (createdb os1), or remove its data first.",
            )

    async def _copy(self, table: Table, progress: Progress | None) -> None:
        names = ", ".join(f'"{c}"' for c in table.columns)
        order = ", ".join(f'"{c}"' for c in table.key)
        nulled = set(table.self_references)
        values = ", ".join("NULL" if c in nulled else "?" for c in table.columns)
        insert = f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) ON CONFLICT DO NOTHING'
        total = (await self.source.execute(f'SELECT count(*) FROM "{table.name}"'))[0][0]
        done = await self.target.read(lambda conn: _done(conn, table.name))
        keep = [i for i, c in enumerate(table.columns) if c not in nulled]
        while done < total:
            rows = await self.source.execute(
                f'SELECT {names} FROM "{table.name}" ORDER BY {order} LIMIT ? OFFSET ?',
                (self.batch, done),
            )
            if not rows:
                break
            batch = [tuple(_plain(row[i]) for i in keep) for row in rows]
            reached = done + len(rows)

            def write(conn: Any, batch: list[Any] = batch, reached: int = reached) -> None:
                conn.executemany(insert, batch)
                conn.execute(
                    f"INSERT INTO {PROGRESS} (name, done) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET done = excluded.done",
                    (table.name, reached),
                )

            await self.target.transaction(write)
            done = reached
            if progress is not None:
                progress(table.name, done, total)
        if progress is not None and total == 0:
            progress(table.name, 0, 0)

    async def _second_pass(self, table: Table) -> None:
        """Fill the columns that point into their own table, now every row is there."""
        for column in table.self_references:
            key = table.key[0]
            rows = await self.source.execute(
                f'SELECT "{key}", "{column}" FROM "{table.name}" WHERE "{column}" IS NOT NULL'
            )
            pairs = [(r[1], r[0]) for r in rows]
            update = f'UPDATE "{table.name}" SET "{column}" = ? WHERE "{key}" = ?'
            if pairs:
                await self.target.transaction(functools.partial(_many, sql=update, rows=pairs))


def _many(conn: Any, sql: str, rows: list[Any]) -> None:
    conn.executemany(sql, rows)


def _done(conn: Any, name: str) -> int:
    row = conn.execute(f"SELECT done FROM {PROGRESS} WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _high_waters(conn: Any, tables: list[Table]) -> dict[str, int]:
    """The largest id each table has handed out, deleted rows' included (an id is never
    given twice: ``users.id`` is AUTOINCREMENT on SQLite, an identity on PostgreSQL)."""
    marks: dict[str, int] = {}
    for table in tables:
        if table.key != ("id",):
            continue
        (largest,) = conn.execute(f'SELECT coalesce(max(id), 0) FROM "{table.name}"').fetchone()
        marks[table.name] = int(largest)
        if is_postgres(conn):
            row = conn.execute(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(?, 'id'))", (table.name,)
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)
            ).fetchone()
        if row and row[0] is not None:
            marks[table.name] = max(marks[table.name], int(row[0]))
    return marks


def _sequences(conn: Any, marks: dict[str, int]) -> None:
    """Ids go on after the largest the source ever handed out, so the next row gets a new
    one: PostgreSQL's sequences are set to it, and SQLite's AUTOINCREMENT counter."""
    for name, mark in marks.items():
        if not mark:
            continue
        if is_postgres(conn):
            (sequence,) = conn.execute("SELECT pg_get_serial_sequence(?, 'id')", (name,)).fetchone()
            if sequence:
                conn.execute("SELECT setval(?, ?)", (sequence, mark))
            continue
        counted = conn.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (name,)).fetchone()
        if counted:
            conn.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (mark, name)
            )
        elif conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%AUTOINCREMENT%'", (name,)
        ).fetchone():
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, mark))
