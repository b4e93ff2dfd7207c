"""Forgetting with every embedder on: the memory leaves every table and every index, the
float embeddings and the 1-bit vectors included (a forgotten PIN must not linger as a
vector that still finds its neighbours)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from os1.config import load_settings
from os1.memory.episodes import NewEpisode
from os1.memory.store import Memory
from os1.models.embed import EMBEDDERS
from os1.store import Database, Scoped


def _rows_about(db: Scoped, ids: list[int]) -> dict[str, int]:
    """How many rows of every memory table and index still belong to ``ids`` (read
    unscoped on purpose: nothing of them may be left for anyone)."""
    marks = ",".join(map(str, ids))
    counts = {
        "episodes": f"SELECT COUNT(*) FROM episodes WHERE id IN ({marks})",
        "episodes_fts": f"SELECT COUNT(*) FROM episodes_fts WHERE rowid IN ({marks})",
        "embeddings": "SELECT COUNT(*) FROM embeddings WHERE owner = 'episode'"
        f" AND owner_id IN ({marks})",
    }
    tables = db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'vec_episode_%'"
    ).fetchall()
    for (name,) in tables:
        if re.fullmatch(r"vec_episode_[a-z0-9_]+_\d+", name):
            counts[name] = f"SELECT COUNT(*) FROM {name} WHERE rowid IN ({marks})"
    return {name: int(db.conn.execute(sql).fetchone()[0]) for name, sql in counts.items()}


async def test_a_forgotten_memory_leaves_every_table_and_vector_index(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "os1.db")
    store = await db.user("ann")
    environ = {k: v for k, v in os.environ.items() if k != "OS1_HOME"}
    cache = load_settings({"home": tmp_path}, environ=environ).cache_dir  # the machine's
    memory = Memory(list(EMBEDDERS), cache)  # every route: static, MiniLM and MPNet
    await memory.record(
        store,
        [
            NewEpisode("user", "My bank PIN is 4711, keep it safe."),
            NewEpisode("user", "The cat likes the sunny window."),
        ],
    )
    assert await memory.index_pending(store) > 0
    hits = await memory.search(store, "bank PIN number")
    pin = next(h.id for h in hits if "4711" in h.text)
    before = await store.read(lambda d: _rows_about(d, [pin]))
    vector_tables = [name for name in before if name.startswith("vec_")]
    assert len(vector_tables) == len(EMBEDDERS)  # one 1-bit index per route
    assert all(count == 1 for name, count in before.items() if name != "embeddings")
    assert before["embeddings"] == len(EMBEDDERS)  # the float vectors, one per route

    assert await memory.forget(store, "episode", [pin]) == 1

    after = await store.read(lambda d: _rows_about(d, [pin]))
    assert after == dict.fromkeys(before, 0)
    assert not [h for h in await memory.search(store, "bank PIN 4711") if "4711" in h.text]
    kept = await memory.search(store, "cat window")
    assert any("cat" in h.text for h in kept)  # only the forgotten memory went
    await db.aclose()
