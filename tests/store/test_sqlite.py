"""The SQLite store: migrations, WAL, isolation between people, durability, disk trouble."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from conftest import run_cli
from os1.errors import StoreError
from os1.store import Database
from os1.store.migrations import MIGRATIONS
from store.killing import acknowledged_then_killed


async def test_opening_twice_applies_each_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "os1.db"
    for _ in range(2):
        db = await Database.open(path)
        rows = await db.execute("SELECT name FROM schema_migrations ORDER BY name")
        assert [r["name"] for r in rows] == [name for name, _ in MIGRATIONS]
        mode = await db.execute("PRAGMA journal_mode")
        assert mode[0][0] == "wal"
        await db.aclose()


async def test_a_database_a_newer_os1_migrated_is_refused_and_left_as_it_is(
    tmp_path: Path,
) -> None:
    path = tmp_path / "home" / "os1.db"
    db = await Database.open(path)
    await db.execute(
        "INSERT INTO schema_migrations (name, applied_at) VALUES ('9001_from_the_future', 0),"
        " ('someplugin:9999_its_own', 0)",
        write=True,
    )
    await db.aclose()
    with pytest.raises(StoreError) as refused:
        await Database.open(path)
    assert refused.value.code == "schema_ahead"
    assert "9001_from_the_future" in refused.value.message
    assert MIGRATIONS[-1][0] in refused.value.message and "Update os1" in refused.value.hint
    with sqlite3.connect(path) as conn:  # nothing was changed
        names = {n for (n,) in conn.execute("SELECT name FROM schema_migrations")}
    assert "9001_from_the_future" in names and len(names) == len(MIGRATIONS) + 2
    # through the command line: the message and what to do, no traceback
    said = await asyncio.to_thread(run_cli, tmp_path / "home", "memory", "list")
    assert said.exit_code != 0 and "newer os1" in " ".join(said.output.split())
    assert "Traceback" not in said.output


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
    acknowledged = acknowledged_then_killed(f"Database.open(Path({str(path)!r}))")
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


async def test_a_deleted_persons_id_is_never_given_again(tmp_path: Path) -> None:
    """A session, socket or journal entry that names an old id must never reach a
    newcomer of the same name: ids are never reused, even the largest one."""
    from os1.store.accounts import Accounts

    db = await Database.open(tmp_path / "os1.db")
    accounts = Accounts(db)
    first, _ = await accounts.add("bob")
    await accounts.delete("bob")
    again, _ = await accounts.add("bob")
    assert again.id > first.id
    await db.aclose()
    reopened = await Database.open(tmp_path / "os1.db")  # the counter survives a restart
    await Accounts(reopened).delete("bob")
    third, _ = await Accounts(reopened).add("bob")
    assert third.id > again.id
    await reopened.aclose()


def test_upgrading_keeps_every_row_and_every_link(tmp_path: Path) -> None:
    """The users table is rebuilt (AUTOINCREMENT) under everyone's data: rows survive,
    foreign keys still point at it, and deleting a person still cascades."""
    from os1.store import migrations
    from os1.store.driver import connect

    conn = connect(tmp_path / "old.db")
    conn.execute("PRAGMA foreign_keys=ON")
    before = [m for m in MIGRATIONS if m[0] < "0010"]
    migrations.MIGRATIONS, saved = before, migrations.MIGRATIONS
    try:
        migrations.apply_migrations(conn)
    finally:
        migrations.MIGRATIONS = saved
    conn.execute("INSERT INTO users (name, created_at, is_admin) VALUES ('me', 1, 1), ('al', 2, 0)")
    conn.execute("INSERT INTO conversations (user_id, started_at) VALUES (2, 0)")
    conn.execute("INSERT INTO settings (user_id, key, value, updated_at) VALUES (2, 'k', '1', 0)")
    assert migrations.apply_migrations(conn) == [n for n, _ in MIGRATIONS if n >= "0010"]
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("SELECT id, name, files FROM users ORDER BY id").fetchall() == [
        (1, "me", "*"),  # an admin made before keeps what they could do
        (2, "al", ""),
    ]
    conn.execute("DELETE FROM users WHERE id = 2")
    assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 0
    conn.execute("INSERT INTO users (name, created_at) VALUES ('al', 3)")
    assert conn.execute("SELECT id FROM users WHERE name = 'al'").fetchone()[0] == 3
    conn.close()


async def test_the_data_folder_and_database_are_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    db = await Database.open(home / "os1.db")
    store = await db.user("ann")
    await store.set_setting("k", 1)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in home.iterdir()}
    await db.aclose()
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    assert modes["os1.db"] == "0o600"
    assert modes.get("os1.db-wal", "0o600") == "0o600", modes
