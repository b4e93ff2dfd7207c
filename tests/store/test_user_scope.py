"""One person's slice of the store (``UserStore``), operation by operation: each reads and
writes the person's own rows only, in the order and number the caller asked for; and
``Database.user``, the one way to such a slice. Each runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import open_like
from os1.errors import StoreError
from os1.store import Database, Scoped, UserStore
from os1.store.accounts import Accounts
from os1.store.base import StoreBase
from os1.store.postgres import PostgresDatabase
from os1.store.sqlite import usable_user_name
from os1.store.user import Conversation, OnboardingAnswer, Summary


@pytest.fixture
def db(either_db: StoreBase) -> StoreBase:
    return either_db


def _engine(db: StoreBase) -> str:
    return "postgresql" if isinstance(db, PostgresDatabase) else "sqlite"


async def _said(store: UserStore, conversation: int, *texts: str) -> list[int]:
    return [await store.add_message(conversation, "user", text) for text in texts]


async def test_conversations_count_only_their_owners_messages(db: Database) -> None:
    ann, bob = await db.user("ann"), await db.user("bob")
    assert await ann.latest_conversation() is None and await ann.conversations() == []
    first = await ann.new_conversation("Plums")
    second = await ann.new_conversation()
    await _said(ann, first, "one", "two")
    await _said(ann, second, "three")
    await _said(bob, await bob.new_conversation("Bob's"), "four", "five", "six")
    found = await ann.conversations()
    assert [(c.id, c.title, c.message_count) for c in found] == [
        (second, "", 1),
        (first, "Plums", 2),
    ]
    assert all(isinstance(c, Conversation) and c.started_at > 0 for c in found)
    assert [c.id for c in await ann.conversations(limit=1)] == [second]
    assert await ann.latest_conversation() == second
    assert [c.title for c in await bob.conversations()] == ["Bob's"]
    for _ in range(50):
        await bob.new_conversation()
    assert len(await bob.conversations()) == 50  # the newest 50 unless asked for more
    assert len(await bob.conversations(limit=60)) == 51


async def test_messages_come_oldest_first_after_a_mark_and_newest_within_a_limit(
    db: Database,
) -> None:
    ann = await db.user("ann")
    conversation = await ann.new_conversation()
    ids = await _said(ann, conversation, "a", "b", "c", "d")
    found = await ann.messages(conversation)
    assert [(m.content, m.role, m.status, m.turn_id) for m in found] == [
        (text, "user", "complete", "") for text in "abcd"
    ]
    assert [m.content for m in await ann.messages(conversation, after_id=ids[1])] == ["c", "d"]
    assert [m.content for m in await ann.messages(conversation, limit=3)] == ["b", "c", "d"]
    reply = await ann.add_message(conversation, "assistant", "e", "interrupted", "turn-9")
    last = (await ann.messages(conversation, limit=1))[0]
    assert (last.id, last.conversation_id, last.role, last.content, last.status, last.turn_id) == (
        reply,
        conversation,
        "assistant",
        "e",
        "interrupted",
        "turn-9",
    )
    assert last.created_at > 0
    with pytest.raises(StoreError) as unknown:
        await ann.add_message(conversation + 100, "user", "nowhere")
    assert unknown.value.message == f"No conversation {conversation + 100}."


async def test_a_message_is_changed_only_by_its_owner(db: Database) -> None:
    ann, bob = await db.user("ann"), await db.user("bob")
    conversation = await ann.new_conversation()
    (mid,) = await _said(ann, conversation, "draft")
    await bob.update_message(mid, "taken over", "complete")
    assert [(m.content, m.status) for m in await ann.messages(conversation)] == [
        ("draft", "complete")
    ]
    await ann.update_message(mid, "final words", "interrupted")
    assert [(m.content, m.status) for m in await ann.messages(conversation)] == [
        ("final words", "interrupted")
    ]


async def test_the_newest_summary_of_a_conversation_is_its_owners(db: Database) -> None:
    ann, bob = await db.user("ann"), await db.user("bob")
    conversation, other = await ann.new_conversation(), await ann.new_conversation()
    assert await ann.latest_summary(conversation) is None
    await ann.save_summary(conversation, 4, "They talked about plums.")
    await ann.save_summary(conversation, 9, "Plums, then pears.")
    await ann.save_summary(other, 12, "Another talk.")
    assert await ann.latest_summary(conversation) == Summary(9, "Plums, then pears.")
    assert await bob.latest_summary(conversation) is None


async def test_onboarding_answers_are_kept_in_order_for_their_owner(db: Database) -> None:
    ann, bob = await db.user("ann"), await db.user("bob")
    (said,) = await _said(ann, await ann.new_conversation(), "Ann")
    await ann.add_onboarding_answer("name", "What should I call you?", "Ann", said)
    await ann.add_onboarding_answer("work", "What do you do?", "I bake.", None)
    await bob.add_onboarding_answer("name", "What should I call you?", "Bob", None)
    assert await ann.onboarding_answers() == [
        OnboardingAnswer("name", "What should I call you?", "Ann", said),
        OnboardingAnswer("work", "What do you do?", "I bake.", None),
    ]
    assert [a.answer for a in await bob.onboarding_answers()] == ["Bob"]


async def test_settings_are_each_persons_own_and_seen_by_another_process(
    db: Database, request: pytest.FixtureRequest, home: Path
) -> None:
    ann, bob = await db.user("ann"), await db.user("bob")
    assert await ann.get_setting("theme", "light") == "light"
    await ann.set_setting("theme", {"name": "dark", "size": 2})
    await ann.set_setting("theme", {"name": "dusk", "size": 3})
    assert await ann.get_setting("theme") == {"name": "dusk", "size": 3}
    assert await bob.get_setting("theme") is None
    other = await open_like(_engine(db), request, home)  # another process on the same store
    assert await (await other.user("ann")).get_setting("theme") == {"name": "dusk", "size": 3}
    await (await other.user("ann")).set_setting("theme", "plain")
    db.forget_user(" ann ")  # as when the account changed elsewhere: read afresh
    assert await (await db.user("ann")).get_setting("theme") == "plain"
    await other.aclose()


async def test_a_persons_file_reach_is_read_afresh_and_gone_with_them(db: Database) -> None:
    accounts = Accounts(db)
    await accounts.add("ann")
    ann = await db.user("ann")
    assert await ann.file_reach() == ""
    await accounts.set_files("ann", "*")
    assert await ann.file_reach() == "*"
    await accounts.delete("ann")
    assert await ann.file_reach() is None


async def test_statements_must_name_the_person_and_see_only_their_rows(db: Database) -> None:
    ann, bob = await db.user("ann"), await db.user("bob")
    rows = [{"k": f"key{i}", "v": '"x"'} for i in range(3)]
    insert = "INSERT INTO settings (user_id, key, value, updated_at) VALUES (:user_id, :k, :v, 0)"
    assert await ann.transaction(lambda s: s.executemany(insert, rows)) == 3
    assert (
        await bob.read(lambda s: s.execute("SELECT key FROM settings WHERE user_id = :user_id"))
        == []
    )
    mine = await ann.read(
        lambda s: s.execute("SELECT key FROM settings WHERE user_id = :user_id ORDER BY key")
    )
    assert [r[0] for r in mine] == ["key0", "key1", "key2"]

    def unscoped(s: Scoped) -> object:
        return s.execute("SELECT key FROM settings")

    def unscoped_many(s: Scoped) -> object:
        return s.executemany("DELETE FROM settings WHERE key = :k", rows)

    for work in (unscoped, unscoped_many):
        with pytest.raises(StoreError) as refused:
            await ann.transaction(work)
        assert refused.value.code == "unscoped_query"
        assert refused.value.message == "Refusing a query that is not scoped to a user."
    assert len(await ann.read(lambda s: s.execute(
        "SELECT key FROM settings WHERE user_id = :user_id"))) == 3  # fmt: skip


async def test_a_statement_that_fails_says_so_as_a_store_error(db: Database) -> None:
    ann = await db.user("ann")
    for run in (ann.read, ann.transaction):
        with pytest.raises(StoreError) as failed:
            await run(lambda s: s.execute("SELECT nope FROM settings WHERE user_id = :user_id"))
        assert failed.value.code == "store_failed"
        said = {
            "sqlite": "The database failed: no such column: nope.",
            "postgresql": 'The database failed: column "nope" does not exist',
        }[_engine(db)]
        assert failed.value.message.startswith(said)


async def test_a_person_is_found_by_their_trimmed_name_or_made_once(db: Database) -> None:
    with pytest.raises(StoreError) as unknown:
        await db.user("nobody", create=False)
    assert (unknown.value.code, unknown.value.message) == (
        "user_unknown",
        "There is no user called 'nobody'.",
    )
    ann = await db.user("  ann ")
    assert (ann.user.name, ann.user.id) == ("ann", (await db.user("ann", create=False)).user.id)
    assert (await db.user("ann")).user == ann.user
    assert (await db.user("bob")).user.id != ann.user.id
    assert usable_user_name("x" * 64) == "x" * 64
    for bad in ("x" * 65, "tab\there", "\x1f", " "):
        with pytest.raises(StoreError) as refused:
            usable_user_name(bad)
        assert refused.value.message == f"{bad!r} is not a usable user name."
        assert refused.value.hint == "Use 1-64 printable characters, e.g. --user alice."


async def test_a_closed_store_refuses_to_read_and_write(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    ann = await db.user("ann")
    await ann.set_setting("theme", "dark")
    await db.aclose()
    for call in (
        ann.new_conversation,
        lambda: ann.set_setting("theme", "light"),
        ann.conversations,
        lambda: ann.get_setting("theme"),
        lambda: db.user("bob"),
    ):
        with pytest.raises(StoreError) as closed:
            await call()
        assert (closed.value.code, closed.value.message) == (
            "store_closed",
            "The database is closed.",
        )
