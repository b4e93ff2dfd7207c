"""Keys, passwords, web sessions and one-time codes (``store.accounts``): each lets in only
its own enabled account, stops at once when it is revoked, ended or replaced, tells the
listeners which account it was, and deleting an account leaves nothing of it anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from os1.store import Database
from os1.store.accounts import PERSON_FOLDERS, Account, Accounts, check_password, hash_password
from os1.store.driver import sqlite

PASSWORD = "a long enough password"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "home" / "os1.db", migrations=[("notes", _notes)])
    yield database
    await database.aclose()


def _notes(conn: sqlite.Connection) -> None:
    """A plugin's table that names its people without a foreign key."""
    conn.execute("CREATE TABLE plugin_notes (user_id INTEGER NOT NULL, text TEXT NOT NULL)")


class Told:
    """An ``on_end`` listener that notes which accounts it was told about."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    async def __call__(self, account_id: int) -> None:
        self.ids.append(account_id)


def test_a_stored_password_matches_only_itself_and_only_as_scrypt() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert check_password(PASSWORD, stored)
    assert not check_password("another password", stored)
    _, salt, derived = stored.split("$")
    for odd in (f"pbkdf2${salt}${derived}", "scrypt$only-two", "", f"scrypt$!!$${derived}"):
        assert not check_password(PASSWORD, odd), odd


async def test_a_password_lets_in_only_its_enabled_account(db: Database) -> None:
    accounts = Accounts(db)
    ann, _ = await accounts.add("ann", password=PASSWORD)
    await accounts.add("keyonly")
    assert await accounts.by_password(" ann ", PASSWORD) == ann
    assert await accounts.by_password("ann", "not the password") is None
    assert await accounts.by_password("nobody", PASSWORD) is None
    assert await accounts.by_password("keyonly", PASSWORD) is None
    await accounts.set_disabled("ann", True)
    assert await accounts.by_password("ann", PASSWORD) is None
    await accounts.set_disabled("ann", False)
    assert await accounts.by_password("ann", PASSWORD) == ann


def _name(account: Account | None) -> str | None:
    return account.name if account is not None else None


async def test_a_key_stops_at_once_when_revoked_or_its_account_disabled(db: Database) -> None:
    accounts, told = Accounts(db), Told()
    accounts.on_end(told)
    ann, first = await accounts.add("ann")
    second = await accounts.new_key("ann", "phone")
    _, bobs = await accounts.add("bob")
    for key in (first, second):
        assert _name(await accounts.by_key(key)) == "ann"
    for odd in ("", first[4:], "os1_" + "x" * 200, first + "x"):
        assert await accounts.by_key(odd) is None

    await accounts.set_disabled("ann", True)  # checked a moment ago, stopped now
    assert await accounts.by_key(first) is None and told.ids == [ann.id]
    await accounts.set_disabled("ann", False)
    assert _name(await accounts.by_key(first)) == "ann"
    assert told.ids == [ann.id]  # enabling ends nothing

    assert await accounts.revoke_keys("ann") == 2
    assert await accounts.by_key(second) is None and told.ids == [ann.id, ann.id]
    assert await accounts.revoke_keys("ann") == 0
    assert _name(await accounts.by_key(bobs)) == "bob"


async def test_web_sessions_and_one_time_codes_keep_to_their_kind_and_time(
    db: Database,
) -> None:
    accounts, told = Accounts(db), Told()
    accounts.on_end(told)
    ann, _ = await accounts.add("ann", password=PASSWORD)
    web = await accounts.start_session(ann, "web", 3600)
    code = await accounts.start_session(ann, "signin", 60)
    stale = await accounts.start_session(ann, "web", -1)
    assert len({web, code, stale}) == 3 and min(map(len, (web, code, stale))) >= 40
    assert await accounts.by_session(web) == ann
    for refused in (code, stale, "", web + "x", "w" * 201, "\ud800 from a JSON body"):
        assert await accounts.by_session(refused) is None
    assert await accounts.by_key("os1_\ud800") is None
    assert await accounts.redeem_signin(web) is None  # a web session is not a code
    assert await accounts.by_session(web) == ann

    assert await accounts.redeem_signin(code) == ann
    assert await accounts.redeem_signin(code) is None  # once only
    assert told.ids == []

    await accounts.end_session("no such token")
    assert told.ids == []
    await accounts.end_session(web)
    assert await accounts.by_session(web) is None and told.ids == [ann.id]


async def test_a_new_password_or_disabling_ends_every_web_sign_in(db: Database) -> None:
    accounts, told = Accounts(db), Told()
    accounts.on_end(told)
    ann, _ = await accounts.add("ann", password=PASSWORD)
    bob, _ = await accounts.add("bob", password=PASSWORD)
    sessions = [await accounts.start_session(ann, "web", 3600) for _ in range(2)]
    bobs = await accounts.start_session(bob, "web", 3600)
    await accounts.set_password("ann", "a brand new password")
    assert [await accounts.by_session(s) for s in sessions] == [None, None]
    assert await accounts.by_password("ann", "a brand new password") == ann
    assert await accounts.by_password("ann", PASSWORD) is None
    assert told.ids == [ann.id]
    again = await accounts.start_session(ann, "web", 3600)
    await accounts.set_disabled("ann", True)
    await accounts.set_disabled("ann", False)
    assert await accounts.by_session(again) is None  # ended, not merely paused
    assert await accounts.by_session(bobs) == bob


async def test_deleting_an_account_leaves_nothing_of_it(db: Database) -> None:
    accounts, seen = Accounts(db), []
    ann, ann_key = await accounts.add("ann", password=PASSWORD)
    bob, _ = await accounts.add("bob")

    async def listener(account_id: int) -> None:
        seen.append((account_id, await accounts.by_key(ann_key)))

    accounts.on_end(listener)
    await accounts.start_session(ann, "web", 3600)
    home = db.path.parent
    for account in (ann, bob):
        for kind in PERSON_FOLDERS:
            (home / kind / str(account.id)).mkdir(parents=True)
            (home / kind / str(account.id) / "kept.txt").write_text("mine")
        await db.execute(
            "INSERT INTO plugin_notes (user_id, text) VALUES (?, 'a note')",
            (account.id,),
            write=True,
        )
    deleted = await accounts.delete("ann")
    assert deleted == Account(ann.id, "ann", False, False, ann.created_at, True, 1, "")
    assert seen == [(ann.id, None)]  # told first, with the account already shut
    for kind in PERSON_FOLDERS:
        assert not (home / kind / str(ann.id)).exists()
        assert (home / kind / str(bob.id) / "kept.txt").read_text() == "mine"
    notes = await db.execute("SELECT user_id FROM plugin_notes")
    assert [r[0] for r in notes] == [bob.id]
    assert await accounts.by_key(ann_key) is None
    assert [a.name for a in await accounts.everyone()] == ["bob"]
