"""Moving a home between engines (``os1 migrate``): from SQLite to PostgreSQL and back.

A store is named as ``sqlite:PATH`` (or a path to an ``.db`` file) or by a PostgreSQL URL.
Both are opened with every migration os1 and its plugins have, so their schemas match;
``store.moving`` copies and compares; moving into SQLite makes its 1-bit vector indexes
again from the copied vectors. Nothing is taken from the source: it stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from os1.core.extensions import load_extensions
from os1.errors import InputError
from os1.memory.vectors import rebuild_bit_indexes
from os1.models.minilm import MiniLMEmbedder
from os1.models.mpnet import MPNetEmbedder
from os1.store import StoreBase, open_store
from os1.store.moving import BATCH, Moved, StoreMove
from os1.store.opening import store_place

# each embedder's dimension, for indexes rebuilt without loading the models (the static
# embedder is distilled from MiniLM and keeps its width)
DIMS = {"minilm": MiniLMEmbedder.dim, "static": MiniLMEmbedder.dim, "mpnet": MPNetEmbedder.dim}


@dataclass(frozen=True)
class Place:
    """Where a store is: a SQLite file, or a PostgreSQL database."""

    path: Path | None = None
    url: str | None = None

    def __str__(self) -> str:
        return store_place(self.path or Path(), self.url)


def place(spec: str) -> Place:
    """The store ``spec`` names: ``sqlite:PATH``, ``PATH.db`` or ``postgresql://…``.

    Raises:
        InputError: ``spec`` names neither.
    """
    text = spec.strip()
    if text.startswith(("postgresql://", "postgres://")):
        return Place(url=text)
    if text.startswith("sqlite:"):
        text = text.removeprefix("sqlite:").removeprefix("//")
        if not text:
            raise InputError("store_unnamed", "sqlite: needs a path, e.g. sqlite:~/os1/os1.db.")
        return Place(path=Path(text).expanduser())
    if text.endswith(".db"):
        return Place(path=Path(text).expanduser())
    raise InputError(
        "store_unnamed",
        f"{spec!r} names no store.",
        "Give sqlite:PATH (e.g. sqlite:~/.local/share/os1/os1.db) or a PostgreSQL URL"
        " (postgresql://user@host:5432/os1).",
    )


async def _open(where: Place, must_exist: bool) -> StoreBase:
    if where.path is not None and must_exist and not where.path.is_file():
        raise InputError(
            "store_missing",
            f"There is no SQLite store at {where.path}.",
            "Give the path of os1.db in the data folder (see `os1 doctor`).",
        )
    path = where.path or Path.cwd() / "os1.db"
    return await open_store(path, where.url, migrations=load_extensions().migrations)


async def move_store(
    source: Place,
    target: Place,
    progress: Callable[[str, int, int], None] | None = None,
    batch: int = BATCH,
) -> list[Moved]:
    """Copy every row of ``source`` into ``target`` (empty, or where a cut-short move
    stopped), then compare each table on both sides.

    Raises:
        InputError: the two are the same store, or the source does not exist.
        StoreError: either cannot be opened, their schemas differ, or the target holds
            other data.
    """
    if source == target:
        raise InputError("store_same", "The store to move from and to are the same.")
    here = await _open(source, must_exist=True)
    try:
        there = await _open(target, must_exist=False)
        try:
            return await StoreMove(here, there, batch).run(
                progress, finish=lambda conn: rebuild_bit_indexes(conn, DIMS)
            )
        finally:
            await there.aclose()
    finally:
        await here.aclose()


async def compare_stores(source: Place, target: Place) -> list[Moved]:
    """Whether two stores hold the same rows, table by table."""
    here = await _open(source, must_exist=True)
    try:
        there = await _open(target, must_exist=True)
        try:
            return await StoreMove(here, there).compare()
        finally:
            await there.aclose()
    finally:
        await here.aclose()
