"""Whether a live connection's account and credential still stand (``store.standing``), and
the account changes that tell the server to re-check (``Accounts.on_end``), on a real
store (SQLite and PostgreSQL), with changes made through a second connection as another
process makes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import open_like
from os1.store import Database
from os1.store.accounts import Account, Accounts
from os1.store.standing import Credential, lapsed


@dataclass(frozen=True)
class Held:
    account: Account
    credential: Credential | None = None


@pytest.fixture(params=["sqlite", "postgresql"])
async def dbs(
    request: pytest.FixtureRequest, home: Path
) -> AsyncIterator[tuple[Database, Database]]:
    """The server's connection and another process's, on one store (each engine)."""
    here = await open_like(request.param, request, home)
    there = await open_like(request.param, request, home)
    yield here, there
    await there.aclose()
    await here.aclose()


async def test_what_still_stands(dbs: tuple[Database, Database]) -> None:
    here, there = dbs
    accounts, other = Accounts(here), Accounts(there)
    bob, bob_key = await accounts.add("bob", password="bob's long password")
    ann, ann_key = await accounts.add("ann")
    web = await accounts.start_session(bob, "web", 3600)
    brief = await accounts.start_session(bob, "web", -1)  # expired already
    held = {
        "bob": Held(bob),
        "bob by key": Held(bob, Credential.key(bob_key)),
        "bob by web": Held(bob, Credential.session(web)),
        "bob by an expired sign-in": Held(bob, Credential.session(brief)),
        "bob by ann's key": Held(bob, Credential.key(ann_key)),
        "bob by a made-up key": Held(bob, Credential.key("os1_nothing")),
        "ann by key": Held(ann, Credential.key(ann_key)),
    }
    names = list(held)

    async def gone() -> list[str]:
        found = await lapsed(here, list(held.values()))
        return [names[list(held.values()).index(h)] for h in found]

    assert await gone() == [
        "bob by an expired sign-in",
        "bob by ann's key",
        "bob by a made-up key",
    ]
    await other.revoke_keys("ann")
    assert "ann by key" in await gone()
    await other.set_password("bob", "another long password")  # ends web sign-ins
    assert "bob by web" in await gone() and "bob" not in await gone()
    await other.set_disabled("bob", True)
    assert {"bob", "bob by key"} <= set(await gone())
    assert await lapsed(here, []) == []


async def test_a_name_given_to_someone_new_is_not_the_old_person(
    dbs: tuple[Database, Database],
) -> None:
    here, there = dbs
    accounts, other = Accounts(here), Accounts(there)
    old, _ = await accounts.add("bob")
    assert (await here.user("bob")).user.id == old.id  # the server now knows "bob"
    await other.delete("bob")
    new, key = await other.add("bob")
    assert new.id != old.id  # ids are never reused
    assert await lapsed(here, [Held(old), Held(new)]) == [Held(old)]
    # as the new bob signs in, the server's store stops resolving "bob" to the old id
    assert await accounts.by_key(key) == new
    assert (await here.user("bob")).user.id == new.id


async def test_a_second_person_of_the_same_id_and_name_is_told_apart(
    dbs: tuple[Database, Database],
) -> None:
    here, _ = dbs
    bob, _ = await Accounts(here).add("bob")
    twin = Account(bob.id, bob.name, created_at=bob.created_at + 1)  # were an id reused
    assert await lapsed(here, [Held(bob), Held(twin)]) == [Held(twin)]


async def test_changes_that_narrow_access_tell_the_listeners(
    dbs: tuple[Database, Database],
) -> None:
    here, _ = dbs
    accounts = Accounts(here)
    told: list[int] = []

    async def listener(account_id: int) -> None:
        told.append(account_id)

    accounts.on_end(listener)
    bob, _ = await accounts.add("bob", password="bob's long password")
    await accounts.set_admin("bob", True)
    await accounts.set_disabled("bob", False)
    assert told == []  # nothing narrowed
    web = await accounts.start_session(bob, "web", 3600)
    await accounts.end_session(web)
    await accounts.end_session(web)  # already gone: nothing to tell
    await accounts.revoke_keys("bob")
    await accounts.set_password("bob", "another long password")
    await accounts.set_disabled("bob", True)
    await accounts.delete("bob")
    assert told == [bob.id] * 5


async def test_a_new_password_ends_every_web_sign_in(dbs: tuple[Database, Database]) -> None:
    here, there = dbs
    accounts = Accounts(here)
    bob, key = await accounts.add("bob", password="bob's long password")
    sessions = [await accounts.start_session(bob, "web", 3600) for _ in range(2)]
    await Accounts(there).set_password("bob", "another long password")
    assert [await accounts.by_session(s) for s in sessions] == [None, None]
    assert await accounts.by_key(key) is not None  # a key is not a password
    assert await accounts.by_password("bob", "another long password") is not None
