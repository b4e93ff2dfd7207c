"""The SQLite store: migrations, WAL, isolation between people, durability, disk trouble."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from os1.errors import StoreError
from os1.store import Database
from os1.store.migrations import MIGRATIONS


async def test_opening_twice_applies_each_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "os1.db"
    for _ in range(2):
        db = await Database.open(path)
        rows = await db.execute("SELECT name FROM schema_migrations ORDER BY name")
        assert [r["name"] for r in rows] == [name for name, _ in MIGRATIONS]
        mode = await db.execute("PRAGMA journal_mode")
        assert mode[0][0] == "wal"
        await db.aclose()


async def test_people_never_see_each_other(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    stores = [await db.user(f"person{i}") for i in range(20)]
    conversations = []
    for i, store in enumerate(stores):
        conv = await store.new_conversation()
        conversations.append(conv)
        await store.add_message(conv, "user", f"secret of person{i}")
        await store.set_setting("companion.identity", {"name": f"Name{i}"})
    for i, store in enumerate(stores):
        assert await store.latest_conversation() == conversations[i]
        for j, other in enumerate(conversations):
            found = [m.content for m in await store.messages(other)]
            assert found == ([f"secret of person{i}"] if i == j else [])
        assert await store.get_setting("companion.identity") == {"name": f"Name{i}"}
    with pytest.raises(StoreError) as caught:
        await stores[0].add_message(conversations[1], "user", "sneaking in")
    assert caught.value.code == "conversation_unknown"
    assert [m.content for m in await stores[1].messages(conversations[1])] == ["secret of person1"]
    await db.aclose()


async def test_a_query_without_user_scope_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    store = await db.user("ann")
    with pytest.raises(StoreError) as caught:
        await store._q("SELECT content FROM messages")
    assert caught.value.code == "unscoped_query"
    await db.aclose()


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "bad\nname"])
async def test_unusable_user_names_are_refused_clearly(tmp_path: Path, name: str) -> None:
    db = await Database.open(tmp_path / "os1.db")
    with pytest.raises(StoreError) as caught:
        await db.user(name)
    assert caught.value.code == "user_invalid" and "--user" in caught.value.hint
    await db.aclose()


def test_acknowledged_messages_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "os1.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from os1.store import Database

        async def main():
            db = await Database.open(Path({str(path)!r}))
            store = await db.user("ann")
            conv = await store.new_conversation()
            i = 0
            while True:
                await store.add_message(conv, "user", f"message {{i}}")
                print(i, flush=True)  # acknowledged only after the commit returned
                i += 1

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 200:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    conn = sqlite3.connect(path)
    count = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert count >= acknowledged + 1


async def test_a_read_only_data_folder_gets_a_clear_error(readonly_dir: Path) -> None:
    with pytest.raises(StoreError) as caught:
        await Database.open(readonly_dir / "home" / "os1.db")
    assert caught.value.code in ("store_unavailable", "store_readonly")
    assert "OS1_HOME" in caught.value.hint


async def test_a_full_disk_gets_a_clear_error_and_keeps_what_was_saved(small_disk: Path) -> None:
    db = await Database.open(small_disk / "os1.db")
    store = await db.user("ann")
    conv = await store.new_conversation()
    saved = 0
    with pytest.raises(StoreError) as caught:
        for i in range(10_000):
            await store.add_message(conv, "user", f"{i} " + "x" * 2000)
            saved += 1
    assert caught.value.code == "disk_full"
    assert "Free some space" in caught.value.hint
    assert len(await store.messages(conv)) == saved
    await db.aclose()


async def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "os1.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError) as caught:
        await Database.open(path)
    assert caught.value.code == "store_corrupt"
    assert str(path) in caught.value.message
