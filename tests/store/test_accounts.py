"""Accounts in bulk: many people seeded at once can each sign in with their own key."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.errors import StoreError
from os1.store import Database
from os1.store.accounts import Accounts


async def test_add_many_gives_each_person_a_working_key_of_their_own(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
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
    await db.aclose()


async def test_add_many_takes_over_a_terminal_user_but_adds_nobody_if_a_name_is_taken(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "os1.db")
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
    await db.aclose()
