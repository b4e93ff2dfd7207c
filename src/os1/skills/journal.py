"""The action journal: every proposal, what became of it, and how to undo it.

A proposal is written before it is shown, so a crash between showing and confirming
loses nothing; confirming claims the row atomically (``proposed`` → ``running``), so a
double click or two open tabs can never run one action twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from os1.store import UserStore
from os1.store.driver import sqlite
from os1.store.user import Scoped

Status = Literal["proposed", "running", "done", "declined", "failed", "undone"]


@dataclass(frozen=True)
class Action:
    id: int
    tool: str
    title: str
    preview: str
    args: dict[str, Any]
    status: Status
    undoable: bool
    result: str
    undo: dict[str, Any] | None
    turn_id: str
    why: str
    created_at: float
    decided_at: float | None
    paths: tuple[str, ...] = ()  # the server files its run and undo touch (skills.reach)

    @property
    def can_undo(self) -> bool:
        """Done, by a tool that can take it back, with what it needs to do so."""
        return self.status == "done" and self.undoable and self.undo is not None


def _action(row: sqlite.Row) -> Action:
    return Action(
        id=row["id"],
        tool=row["tool"],
        title=row["title"],
        preview=row["preview"],
        args=json.loads(row["args"]),
        status=row["status"],
        undoable=bool(row["undoable"]),
        result=row["result"],
        undo=json.loads(row["undo"]) if row["undo"] else None,
        turn_id=row["turn_id"],
        why=row["why"],
        created_at=row["created_at"],
        decided_at=row["decided_at"],
        paths=tuple(json.loads(row["paths"])),
    )


class Journal:
    """One person's actions."""

    def __init__(self, store: UserStore) -> None:
        self.store = store

    async def propose(
        self,
        tool: str,
        title: str,
        preview: str,
        args: dict[str, Any],
        *,
        undoable: bool,
        turn_id: str = "",
        why: str = "",
        paths: tuple[str, ...] = (),
    ) -> Action:
        def work(db: Scoped) -> int:
            rows = db.execute(
                "INSERT INTO actions (user_id, tool, title, preview, args, undoable, turn_id,"
                " why, paths, created_at) VALUES (:user_id, :tool, :title, :preview, :args,"
                " :undoable, :turn_id, :why, :paths, :now) RETURNING id",
                {
                    "paths": json.dumps(list(paths)),
                    "tool": tool,
                    "title": title,
                    "preview": preview,
                    "args": json.dumps(args),
                    "undoable": int(undoable),
                    "turn_id": turn_id,
                    "why": why[:2000],
                    "now": time.time(),
                },
            )
            return int(rows[0][0])

        found = await self.get(await self.store.transaction(work))
        assert found is not None
        return found

    async def get(self, action_id: int) -> Action | None:
        rows = await self.store.read(
            lambda db: db.execute(
                "SELECT * FROM actions WHERE user_id = :user_id AND id = :id", {"id": action_id}
            )
        )
        return _action(rows[0]) if rows else None

    async def recent(self, limit: int = 20) -> list[Action]:
        rows = await self.store.read(
            lambda db: db.execute(
                "SELECT * FROM actions WHERE user_id = :user_id ORDER BY id DESC LIMIT :n",
                {"n": limit},
            )
        )
        return [_action(r) for r in rows]

    async def claim(self, action_id: int, frm: Status, to: Status) -> bool:
        """Move the action from ``frm`` to ``to``; False if it was not in ``frm``."""
        rows = await self.store.transaction(
            lambda db: db.execute(
                "UPDATE actions SET status = :to, decided_at = :now WHERE user_id = :user_id"
                " AND id = :id AND status = :frm RETURNING id",
                {"id": action_id, "frm": frm, "to": to, "now": time.time()},
            )
        )
        return bool(rows)

    async def settle(
        self, action_id: int, status: Status, result: str, undo: dict[str, Any] | None = None
    ) -> None:
        await self.store.transaction(
            lambda db: db.execute(
                "UPDATE actions SET status = :status, result = :result, undo = :undo"
                " WHERE user_id = :user_id AND id = :id",
                {
                    "id": action_id,
                    "status": status,
                    "result": result,
                    "undo": json.dumps(undo) if undo is not None else "",
                },
            )
        )
