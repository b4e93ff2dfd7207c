"""The fact book: supersession with history, merging repeats, multi-valued slots,
corrections, forgetting from every index, and isolation between people."""

from __future__ import annotations

import datetime as dt

import pytest

from os1.errors import StoreError
from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.memory.facts import FactBook, NewFact, is_single_valued
from os1.store import Database, UserStore
from os1.store.postgres import PostgresDatabase
from os1.store.user import Scoped

MARCH_3 = dt.datetime(2026, 3, 3, 18, 0).timestamp()
DAY = 86400.0


@pytest.fixture
def db(either_db: Database) -> Database:
    return either_db  # every test here runs on SQLite and on PostgreSQL


@pytest.fixture
async def store(db: Database) -> UserStore:
    return await db.user("maya")


async def said(store: UserStore, text: str, when: float = MARCH_3) -> int:
    return await EpisodeLog(store).add(NewEpisode("user", text, time=when))


def lives_in(city: str, *episode_ids: int) -> NewFact:
    return NewFact("person", "user", "lives_in", city, f"Maya lives in {city}.",
                   episode_ids=episode_ids)  # fmt: skip


async def fts(store: UserStore, words: str) -> list[int]:
    """The facts the text index finds for ``words`` (each engine's own index)."""
    sql = (
        "SELECT f.id FROM facts_fts JOIN facts f ON f.id = facts_fts.rowid"
        " WHERE facts_fts MATCH :q AND f.user_id = :user_id"
    )
    if isinstance(store.db, PostgresDatabase):
        sql = (
            "SELECT id FROM facts WHERE fts @@ plainto_tsquery('english', :q)"
            " AND user_id = :user_id"
        )
    rows = await store.read(lambda db: db.execute(sql, {"q": words}))
    return [int(r[0]) for r in rows]


async def test_a_new_value_supersedes_the_old_and_history_keeps_both(store: UserStore) -> None:
    book = FactBook(store)
    porto_said = await said(store, "I live in Porto.", MARCH_3 - 30 * DAY)
    lisbon_said = await said(store, "We moved, I live in Lisbon now.")
    [porto] = await book.add([lives_in("Porto", porto_said)])
    [lisbon] = await book.add([lives_in("Lisbon", lisbon_said)])

    assert [(f.id, f.value) for f in await book.current()] == [(lisbon, "Lisbon")]
    history = await book.history("user", "lives_in")
    assert [(f.id, f.value, f.superseded_by) for f in history] == [
        (porto, "Porto", lisbon),
        (lisbon, "Lisbon", None),
    ]
    assert [f.source_episode_ids for f in history] == [(porto_said,), (lisbon_said,)]


async def test_later_facts_in_one_batch_win_their_slot(store: UserStore) -> None:
    book = FactBook(store)
    porto, lisbon = await book.add([lives_in("Porto"), lives_in("Lisbon")])
    assert [f.id for f in await book.current()] == [lisbon]
    assert (await book.get(porto)).superseded_by == lisbon  # type: ignore[union-attr]


async def test_old_evidence_arriving_late_does_not_overwrite_newer(store: UserStore) -> None:
    book = FactBook(store)
    recent = await said(store, "I live in Lisbon.")
    imported = await said(store, "I live in Porto.", MARCH_3 - 400 * DAY)  # an old chat import
    [lisbon] = await book.add([lives_in("Lisbon", recent)])
    [porto] = await book.add([lives_in("Porto", imported)])

    assert [f.value for f in await book.current()] == ["Lisbon"]
    assert (await book.get(porto)).superseded_by == lisbon  # type: ignore[union-attr]


async def test_the_same_fact_again_adds_evidence_not_a_duplicate(store: UserStore) -> None:
    book = FactBook(store)
    first, second = await said(store, "I live in Lisbon."), await said(store, "Lisbon is home.")
    [one] = await book.add([lives_in("Lisbon", first)])
    [again] = await book.add([lives_in("  lisbon ", second, first)])

    assert again == one
    [fact] = await book.current()
    assert fact.source_episode_ids == (first, second)
    assert fact.confidence == pytest.approx(0.8)  # 0.7, seen again
    assert fact.value == "Lisbon"  # the first wording stays


async def test_multi_valued_slots_keep_every_value(store: UserStore) -> None:
    book = FactBook(store)
    source = await said(store, "I like tea and jazz, and I'm nervous and excited.")
    await book.add(
        [
            NewFact("preference", "user", "likes", "tea", "Maya likes tea.", episode_ids=(source,)),
            NewFact("preference", "user", "likes", "jazz", "Maya likes jazz."),
            NewFact("preference", "user", "Likes", "Tea", "Maya likes tea."),  # a repeat
            NewFact("feeling", "user", "feels", "nervous", "Maya feels nervous."),
            NewFact("feeling", "user", "feels", "excited", "Maya feels excited."),
        ]
    )
    current = {(f.attribute, f.value) for f in await book.current()}
    assert current == {("likes", "tea"), ("likes", "jazz"), ("feels", "nervous"),
                       ("feels", "excited")}  # fmt: skip
    assert all(f.superseded_by is None for f in await book.history("user", "likes"))
    assert not is_single_valued("allergic_to") and not is_single_valued("plans")
    assert is_single_valued("favourite_colour") and is_single_valued("Occupation")


def about(attribute: str, value: str, *episode_ids: int) -> NewFact:
    return NewFact("person", "user", attribute, value, f"{attribute}: {value}.",
                   episode_ids=episode_ids)  # fmt: skip


async def test_synonyms_fill_one_slot_and_a_move_replaces_the_old_home(store: UserStore) -> None:
    book = FactBook(store)
    leeds = await said(store, "I teach in Leeds.", MARCH_3 - 7 * DAY)
    york = await said(store, "We moved to York last weekend, and I'm head teacher now.")
    await book.add([about("Location", "Leeds", leeds), about("occupation", "teacher", leeds)])
    await book.add([about("resides_in", "York", york), about("profession", "head teacher", york)])
    assert sorted((f.attribute, f.value) for f in await book.current()) == [
        ("job", "head teacher"),
        ("lives_in", "York"),
    ]


async def test_two_values_from_one_message_both_stand(store: UserStore) -> None:
    book = FactBook(store)
    line = await said(store, "I'm a nurse on the night shift.")
    await book.add([about("job", "nurse", line), about("job", "night shift", line)])
    assert sorted(f.value for f in await book.current()) == ["night shift", "nurse"]


async def test_slots_not_known_to_hold_one_value_accumulate(store: UserStore) -> None:
    book = FactBook(store)
    await book.add([NewFact("plan", "user", "plans", "visit Ottoline", "Theo will visit.")])
    await book.add([NewFact("plan", "user", "plans", "Raj's wedding", "Theo goes to a wedding.")])
    assert sorted(f.value for f in await book.current()) == ["Raj's wedding", "visit Ottoline"]


async def test_slots_match_whatever_the_spelling(store: UserStore) -> None:
    book = FactBook(store)
    await book.add([NewFact("person", "User", "Lives In", "Porto", "Maya lives in Porto.")])
    await book.add([NewFact("person", "ottoline", "lives_in", "Lisbon", "Ottoline: Lisbon.")])
    await book.add([NewFact("person", "user", "lives-in", "Faro", "Maya lives in Faro.")])
    await book.add([NewFact("person", "Ottoline", "lives_in", "Rome", "Ottoline: Rome.")])
    assert sorted((f.subject.lower(), f.value) for f in await book.current()) == [
        ("ottoline", "Rome"),
        ("user", "Faro"),
    ]


async def test_a_bad_fact_stores_nothing_of_its_batch(store: UserStore) -> None:
    book = FactBook(store)
    with pytest.raises(StoreError) as caught:
        await book.add([lives_in("Lisbon"), lives_in("  ")])
    assert caught.value.code == "fact_invalid"
    assert await book.current() == []


async def test_editing_corrects_the_fact_and_its_text_index(store: UserStore) -> None:
    book = FactBook(store)
    [fact_id] = await book.add([lives_in("Lisbom")])
    fact = await book.edit(fact_id, text="Maya lives in Lisbon.", value="Lisbon")

    assert (fact.value, fact.text, fact.confidence) == ("Lisbon", "Maya lives in Lisbon.", 1.0)
    assert await fts(store, "Lisbon") == [fact_id]
    assert await fts(store, "Lisbom") == []
    with pytest.raises(StoreError) as caught:
        await book.edit(fact_id + 100, text="nothing")
    assert caught.value.code == "fact_unknown"


async def test_forgetting_removes_fact_sources_words_and_vectors(store: UserStore) -> None:
    book = FactBook(store)
    source = await said(store, "My sister Ottoline lives in Lisbon.")
    text = "Ottoline lives in Lisbon."
    [fact_id] = await book.add([NewFact("person", "Ottoline", "lives_in", "Lisbon", text,
                                        episode_ids=(source,))])  # fmt: skip

    def embed(db: Scoped) -> None:
        db.execute(
            "INSERT INTO embeddings (owner, owner_id, user_id, model, vec)"
            " VALUES ('fact', :id, :user_id, 'test-model', :vec)",
            {"id": fact_id, "vec": b"\x00"},
        )

    await store.transaction(embed)
    assert await fts(store, "Ottoline") == [fact_id]

    assert await book.forget([fact_id, fact_id + 50]) == 1

    def left(db: Scoped) -> list[int]:
        return [
            int(db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = :user_id")[0][0])
            for table in ("facts", "fact_sources", "embeddings")
        ]

    assert await store.read(left) == [0, 0, 0]
    assert await fts(store, "Ottoline") == []
    assert await book.get(fact_id) is None
    assert [e.id for e in await EpisodeLog(store).get([source])] == [source]  # evidence stays
    assert await book.forget([]) == 0


async def test_forgetting_the_newest_value_lets_the_previous_stand(store: UserStore) -> None:
    book = FactBook(store)
    [porto] = await book.add([lives_in("Porto")])
    [lisbon] = await book.add([lives_in("Lisbon")])
    await book.forget([lisbon])
    assert [f.id for f in await book.current()] == [porto]


async def test_one_persons_facts_are_invisible_to_another(db: Database, store: UserStore) -> None:
    maya, bob = FactBook(store), FactBook(await db.user("bob"))
    source = await said(store, "I live in Lisbon.")
    [fact_id] = await maya.add([lives_in("Lisbon", source)])

    assert await bob.current() == []
    assert await bob.get(fact_id) is None
    assert await bob.history("user", "lives_in") == []
    assert await bob.forget([fact_id]) == 0
    with pytest.raises(StoreError):
        await bob.edit(fact_id, text="Bob was here.")
    # Bob's fact cannot borrow Maya's episode as its evidence
    [bobs] = await bob.add([lives_in("Oslo", source)])
    assert (await bob.get(bobs)).source_episode_ids == ()  # type: ignore[union-attr]
    assert [(f.value, f.text) for f in await maya.current()] == [
        ("Lisbon", "Maya lives in Lisbon.")
    ]
