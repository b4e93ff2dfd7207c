"""Accounts in bulk: many people seeded at once can each sign in with their own key."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.errors import StoreError
from os1.store import Database
from os1.store.accounts import Accounts


async def test_add_many_gives_each_person_a_working_key_of_their_own(either_db: Database) -> None:
    db = either_db
    accounts = Accounts(db)
    names = [f"person{i}" for i in range(1200)]  # more than one batch of the read-back
    added = await accounts.add_many(names)
    assert [account.name for account, _ in added] == names
    assert len({key for _, key in added}) == len(names)
    for account, key in added[::97] + added[-1:]:
        assert account.keys == 1 and not account.is_admin and not account.has_password
        found = await accounts.by_key(key)
        assert found is not None and found.name == account.name
    assert len(await accounts.everyone()) == len(names)


async def test_add_many_takes_over_a_terminal_user_but_adds_nobody_if_a_name_is_taken(
    either_db: Database,
) -> None:
    db = either_db
    accounts = Accounts(db)
    await db.user("local")  # chatted in the terminal; nobody can sign in as them yet
    ((local, key),) = await accounts.add_many(["local"])
    assert local.keys == 1 and (await accounts.by_key(key)) == local
    with pytest.raises(StoreError) as caught:
        await accounts.add_many(["fresh", "local"])
    assert caught.value.code == "user_exists"
    assert [a.name for a in await accounts.everyone()] == ["local"]
    for bad in (["twin", "twin"], ["ok", " "], ["x" * 65]):
        with pytest.raises(StoreError):
            await accounts.add_many(bad)
    assert [a.name for a in await accounts.everyone()] == ["local"]


async def test_deleting_a_person_removes_every_row_of_theirs_and_nothing_else(
    tmp_path: Path,
) -> None:
    import numpy as np

    from os1.memory.store import Memory
    from os1.memory.vectors import VectorIndex

    db = await Database.open(tmp_path / "os1.db")
    accounts = Accounts(db)
    memory = Memory([], tmp_path)
    index = VectorIndex("test-route", 16)
    for name in ("gone", "stays"):
        await accounts.add(name, password="long enough")
        store = await db.user(name)
        conversation = await store.new_conversation()
        await store.add_message(conversation, "user", f"{name} likes quinces")
        episode = await memory.note(store, f"{name} keeps bees")
        vectors = np.ones((1, 16), dtype=np.float32) / 4
        await store.transaction(lambda s, e=episode, v=vectors: _index(index, s, e, v))
    gone = (await accounts.get("gone")).id
    await accounts.delete("gone")

    def count(table: str, user_id: int) -> int:
        assert db._conn is not None
        query = f'SELECT count(*) FROM "{table}" WHERE user_id = ?'
        return int(db._conn.execute(query, (user_id,)).fetchone()[0])

    conn = db._conn
    assert conn is not None
    virtual = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'")
    ]
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if "user_id" in {c[1] for c in conn.execute(f'PRAGMA table_info("{name}")')}
        and not any(name.startswith(f"{v}_") for v in virtual)
    ]
    assert {"messages", "episodes", "api_keys", "settings", index.table("episode")} <= set(tables)
    stays = (await db.user("stays")).user.id
    assert tables and all(count(t, gone) == 0 for t in tables), tables
    assert count("episodes", stays) == 1 and count(index.table("episode"), stays) == 1
    found = await memory.search(await db.user("stays"), "bees", 5, by_meaning=False)
    assert [h.text for h in found] == ["stays keeps bees"]
    with pytest.raises(StoreError):
        await accounts.get("gone")
    await db.aclose()


def _index(index: object, store: object, episode: int, vectors: object) -> None:
    index.ensure(store)  # type: ignore[attr-defined]
    index.add(store, "episode", [episode], vectors)  # type: ignore[attr-defined]
