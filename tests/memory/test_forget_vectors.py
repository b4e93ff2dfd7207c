"""Forgetting and correcting with both embedders on, quickly: the embedders come from this
machine's cache (as ``make setup`` leaves it), so these run in a second or two and can
serve ``make mutation``. What is forgotten leaves every table and index, for nobody but
its owner, and what rested only on it goes with it; the rest stays.

``test_forget_everywhere.py`` checks the same promise on embedders built from scratch.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from os1.config import load_settings
from os1.errors import StoreError
from os1.memory.episodes import NewEpisode
from os1.memory.facts import FactBook, NewFact
from os1.memory.store import Memory
from os1.memory.vectors import VectorIndex
from os1.models.embed import EMBEDDERS
from os1.store import Database, Scoped, UserStore

ROUTES = len(EMBEDDERS)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This machine's os1 cache dir (OS1_CACHE_DIR or the XDG default)."""
    environ = {k: v for k, v in os.environ.items() if k != "OS1_HOME"}
    return load_settings({"home": tmp_path_factory.mktemp("home")}, environ=environ).cache_dir


@dataclass
class Place:
    db: Database
    memory: Memory
    ann: UserStore
    bob: UserStore


@pytest.fixture
async def place(tmp_path: Path, cache: Path) -> AsyncIterator[Place]:
    db = await Database.open(tmp_path / "os1.db")
    yield Place(db, Memory(list(EMBEDDERS), cache), await db.user("ann"), await db.user("bob"))
    await db.aclose()


def _left(db: Scoped, kind: str, ids: list[int]) -> dict[str, int]:
    """Rows of every table and index that still hold ``ids``, read unscoped on purpose:
    nothing of a forgotten memory may be left for anyone."""
    marks = ",".join(map(str, ids))
    table = {"episode": "episodes", "fact": "facts"}[kind]
    queries = {
        table: f"SELECT count(*) FROM {table} WHERE id IN ({marks})",
        f"{table}_fts": f"SELECT count(*) FROM {table}_fts WHERE rowid IN ({marks})",
        "embeddings": f"SELECT count(*) FROM embeddings WHERE owner = '{kind}'"
        f" AND owner_id IN ({marks})",
    }
    names = db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?", (f"vec_{kind}_%",)
    ).fetchall()
    for (name,) in names:
        if re.fullmatch(rf"vec_{kind}_[a-z0-9_]+_\d+", name):
            queries[name] = f"SELECT count(*) FROM {name} WHERE rowid IN ({marks})"
    return {name: int(db.conn.execute(sql).fetchone()[0]) for name, sql in queries.items()}


async def _left_of(store: UserStore, kind: str, ids: list[int]) -> dict[str, int]:
    return await store.read(lambda db: _left(db, kind, ids))


def _indexed(counts: dict[str, int], each: int = 1) -> bool:
    """Every table holds ``each`` row per route where it has one per route."""
    vec = [name for name in counts if name.startswith("vec_")]
    per_route = {"embeddings": each * ROUTES}
    return len(vec) == ROUTES and all(n == per_route.get(k, each) for k, n in counts.items())


async def test_a_forgotten_memory_leaves_every_index_for_its_owner_alone(place: Place) -> None:
    memory, ann = place.memory, place.ann
    await memory.record(
        ann,
        [
            NewEpisode("user", "My bank PIN is 4711, keep it safe."),
            NewEpisode("user", "The cat likes the sunny window."),
        ],
    )
    assert await memory.pending(ann) == 2 * ROUTES
    assert await memory.index_pending(ann) == 2 * ROUTES
    assert await memory.pending(ann) == 0
    pin = next(h.id for h in await memory.search(ann, "bank PIN") if "4711" in h.text)
    cat = next(h.id for h in await memory.search(ann, "cat window") if "cat" in h.text)
    assert _indexed(await _left_of(ann, "episode", [pin]))

    assert await memory.forget(place.bob, "episode", [pin, cat]) == 0  # not bob's
    assert _indexed(await _left_of(ann, "episode", [pin, cat]), each=2)
    assert await memory.forget(ann, "episode", []) == 0

    assert await memory.forget(ann, "episode", [pin]) == 1
    left = await _left_of(ann, "episode", [pin])
    assert left == dict.fromkeys(left, 0) and len(left) == 3 + ROUTES
    assert _indexed(await _left_of(ann, "episode", [cat]))
    assert not [h for h in await memory.search(ann, "bank PIN 4711") if "4711" in h.text]
    assert await memory.pending(ann) == 0  # nothing to make again, nothing left over


async def test_facts_resting_only_on_forgotten_words_go_with_them(place: Place) -> None:
    memory, ann = place.memory, place.ann
    moved = await memory.note(ann, "I moved to Lisbon in May.")
    home = await memory.note(ann, "Lisbon is home now.")
    sister = await memory.note(ann, "My sister is called Ottoline.")
    lisbon, ottoline = await FactBook(ann).add(
        [
            NewFact("person", "user", "lives_in", "Lisbon", "Ann lives in Lisbon.",
                    episode_ids=(moved, home)),
            NewFact("relation", "Ottoline", "relation", "sister", "Ottoline is Ann's sister.",
                    episode_ids=(sister,)),
        ]
    )  # fmt: skip
    assert await memory.index_pending(ann) == 5 * ROUTES
    assert _indexed(await _left_of(ann, "fact", [lisbon, ottoline]), each=2)

    assert await memory.forget(ann, "episode", [sister]) == 2  # the words and the fact
    left = await _left_of(ann, "fact", [ottoline])
    assert left == dict.fromkeys(left, 0) and len(left) == 3 + ROUTES
    assert await memory.forget(ann, "episode", [moved]) == 1  # "home" still bears it out
    kept = await FactBook(ann).get(lisbon)
    assert kept is not None and kept.source_episode_ids == (home,)
    assert _indexed(await _left_of(ann, "fact", [lisbon]))

    assert await memory.forget(ann, "fact", [lisbon]) == 1
    left = await _left_of(ann, "fact", [lisbon])
    assert left == dict.fromkeys(left, 0)
    assert _indexed(await _left_of(ann, "episode", [home]))  # its evidence stays


async def test_corrected_words_lose_their_old_vectors_and_get_new_ones(place: Place) -> None:
    memory, ann = place.memory, place.ann
    await memory.record(
        ann,
        [
            NewEpisode("user", "I park on level 3.", source="chat", source_id="t1:user"),
            NewEpisode("assistant", "Noted, level 3 it is.", source="chat", source_id="t1:reply"),
        ],
    )
    await memory.index_pending(ann)
    parked = next(h.id for h in await memory.search(ann, "park level") if "park" in h.text)
    reply = next(h.id for h in await memory.search(ann, "Noted level") if "Noted" in h.text)

    assert not await memory.edit(place.bob, "episode", parked, "I park on level 9.")
    assert _indexed(await _left_of(ann, "episode", [parked]))
    with pytest.raises(StoreError) as empty:
        await memory.edit(ann, "episode", parked, "  ")
    assert (empty.value.code, empty.value.message, empty.value.hint) == (
        "memory_empty",
        "A memory cannot be empty.",
        "Use forget instead.",
    )
    assert not await memory.edit(ann, "episode", 10_000, "I park on level 9.")

    assert await memory.edit(ann, "episode", parked, " I park on level 9. ")
    assert [e.text for e in await memory.episodes(ann).get([parked])] == ["I park on level 9."]
    assert (await _left_of(ann, "episode", [parked]))["embeddings"] == 0
    assert await memory.pending(ann) == ROUTES
    assert await memory.index_pending(ann) == ROUTES
    assert _indexed(await _left_of(ann, "episode", [parked]))

    assert not await memory.revise(place.bob, "chat", "t1:reply", "Noted.")
    assert not await memory.revise(ann, "chat", "t9:reply", "Noted.")
    assert await memory.revise(ann, "chat", "t1:reply", "Noted, level")
    assert (await _left_of(ann, "episode", [reply]))["embeddings"] == 0
    assert (await _left_of(ann, "episode", [parked]))["embeddings"] == ROUTES
    assert await memory.index_pending(ann) == ROUTES


async def test_a_corrected_fact_loses_its_old_vectors(place: Place) -> None:
    memory, ann = place.memory, place.ann
    (job,) = await FactBook(ann).add(
        [NewFact("person", "user", "job", "nurse", "Ann works as a nurse.")]
    )
    assert await memory.index_pending(ann) == ROUTES
    assert await memory.edit(ann, "fact", job, " Ann works as a midwife. ")
    corrected = await FactBook(ann).get(job)
    assert corrected is not None and corrected.text == "Ann works as a midwife."
    assert (await _left_of(ann, "fact", [job]))["embeddings"] == 0
    assert await memory.pending(ann) == ROUTES


async def test_vectors_catch_up_route_by_route_from_the_speakers_words(
    place: Place, cache: Path
) -> None:
    memory, ann = place.memory, place.ann
    assert await Memory([], cache).index_pending(ann) == 0  # words and time only: no vectors
    await memory.record(
        ann,
        [
            NewEpisode("Caroline", "I went to the support group."),
            NewEpisode("user", "The kettle is broken."),
        ],
    )
    seen: list[tuple[int, int]] = []
    total = 2 * ROUTES
    assert await memory.index_pending(ann, lambda done, total: seen.append((done, total))) == total
    assert seen == [(2 * n, total) for n in range(1, ROUTES + 1)]  # one batch per route
    said = ["Caroline: I went to the support group.", "The kettle is broken."]
    for route in await memory.routes():
        rows = await ann.read(
            lambda db, model=route.index.model: db.execute(
                "SELECT vec FROM embeddings WHERE user_id = :user_id AND owner = 'episode'"
                " AND model = :model ORDER BY owner_id",
                {"model": model},
            )
        )
        stored = np.stack([np.frombuffer(r[0], dtype=np.float16) for r in rows])  # half size
        np.testing.assert_allclose(stored, route.embedder.embed(said), atol=1e-3)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


async def test_the_index_finds_the_nearest_first_and_only_the_persons_own(
    place: Place,
) -> None:
    index = VectorIndex("Test Model/v2", 16)
    assert index.table("episode") == "vec_episode_test_model_v2_16"
    assert VectorIndex("  MiniLM L6!", 8).table("fact") == "vec_fact_minilm_l6_8"
    with pytest.raises(ValueError) as odd:
        VectorIndex("odd", 12)
    assert str(odd.value) == "the dimension must be a multiple of 8 for bit codes"
    ann, bob = place.ann, place.bob
    assert await ann.read(lambda db: index.search(db, "episode", np.ones(16))) == []  # no table

    await ann.transaction(index.ensure)
    tables = await ann.read(
        lambda db: db.conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'vec_%'")
    )
    assert {"vec_episode_test_model_v2_16", "vec_fact_test_model_v2_16"} <= {r[0] for r in tables}
    rng = np.random.default_rng(7)
    vectors = _unit(rng.normal(size=(130, 16)))
    ids = list(range(1, 131))
    await ann.transaction(lambda db: index.add(db, "episode", ids, vectors))
    await bob.transaction(lambda db: index.add(db, "episode", [500], vectors[:1]))

    found = await ann.read(lambda db: index.search(db, "episode", vectors[99], k=3, coarse=20))
    assert found[0][0] == 100 and found[0][1] == pytest.approx(1.0, abs=2e-3)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert len(await ann.read(lambda db: index.search(db, "episode", vectors[0]))) == 50
    wide = await ann.read(lambda db: index.search(db, "episode", vectors[0], k=500))
    assert len(wide) == 120  # the coarse pass keeps 120 candidates
    assert 500 not in {i for i, _ in wide}
    assert [i for i, _ in await bob.read(lambda db: index.search(db, "episode", vectors[0]))] == [
        500
    ]


async def test_vectors_kept_at_half_size_rank_as_full_ones_and_old_full_ones_still_count(
    place: Place,
) -> None:
    """The kept vectors are float16 (half the store); the nearest memories come in the
    order float32 gives them, and vectors stored as float32 before are read as they are,
    not embedded again."""
    index = VectorIndex("halves", 384)
    ann = place.ann
    await ann.transaction(index.ensure)
    rng = np.random.default_rng(11)
    vectors = _unit(rng.normal(size=(2000, 384)))
    ids = list(range(1, 2001))
    await ann.transaction(lambda db: index.add(db, "episode", ids, vectors))
    sizes = await ann.read(
        lambda db: db.execute(
            "SELECT DISTINCT length(vec) FROM embeddings WHERE user_id = :user_id"
        )
    )
    assert [r[0] for r in sizes] == [2 * 384]
    agree = 0
    for n in range(0, 2000, 40):
        query = _unit(vectors[n : n + 1] + rng.normal(scale=0.9, size=(1, 384)))[0]
        exact = [i + 1 for i in np.argsort(-(vectors @ query))[:10]]
        ranked = await ann.read(lambda db, q=query, e=exact: index.rerank(db, "episode", e, q))
        agree += [i for i, _ in ranked] == exact
    assert agree >= 48  # of 50: ties closer than 1e-3 may swap, nothing else

    await ann.transaction(  # as an older os1 kept them
        lambda db: db.execute(
            "UPDATE embeddings SET vec = :v WHERE user_id = :user_id AND owner_id = 7",
            {"v": vectors[6].astype(np.float32).tobytes()},
        )
    )
    top = await ann.read(lambda db: index.rerank(db, "episode", [7, 8], vectors[6]))
    assert top[0][0] == 7 and top[0][1] == pytest.approx(1.0, abs=1e-6)
