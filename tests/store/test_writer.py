"""Group commit: many writers at once share fsyncs, yet each transaction stays its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from os1.errors import StoreError
from os1.store import Database
from os1.store.driver import sqlite


async def test_concurrent_transactions_commit_together_and_fail_alone(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    await db.execute("CREATE TABLE notes (n INTEGER PRIMARY KEY)", write=True)
    before = db._writer.commits

    def write(n: int) -> int:
        def work(conn: sqlite.Connection) -> int:
            conn.execute("INSERT INTO notes (n) VALUES (?)", (n,))
            if n == 13:
                raise ValueError("unlucky")
            if n == 14:
                conn.execute("INSERT INTO notes (n) VALUES (1)")  # a constraint error
            return n

        return work

    results = await asyncio.gather(
        *(db.transaction(write(n)) for n in range(100)), return_exceptions=True
    )
    assert isinstance(results[13], ValueError)
    assert isinstance(results[14], StoreError)
    assert [r for r in results if isinstance(r, int)] == [
        n for n in range(100) if n not in (13, 14)
    ]
    rows = await db.execute("SELECT n FROM notes ORDER BY n")
    assert [r[0] for r in rows] == [n for n in range(100) if n not in (13, 14)]
    # they shared commits: all 100 share one here; pairs would make 50
    assert db._writer.commits - before <= 10
    await db.aclose()


async def test_closed_store_refuses_writes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    await db.aclose()
    with pytest.raises(StoreError):
        await db.execute("SELECT 1", write=True)
