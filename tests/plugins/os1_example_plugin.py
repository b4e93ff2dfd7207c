"""A tiny os1 plugin using every hook, as a plugin author starts from (see
``os1.plugins.hookspecs``): a plant diary with a table of its own, a tool that writes to
it and can take it back, and a model backend that answers from a script.

Install a plugin like this by naming the module under the ``os1`` entry-point group::

    [project.entry-points.os1]
    plant-diary = "os1_example_plugin"
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from os1.config import Settings
from os1.models.base import LLM, ChatMessage, GenerationOptions
from os1.models.scripted import ScriptedLLM, example_for
from os1.plugins.hookspecs import hookimpl
from os1.skills.base import Outcome, Plan, ToolContext, args_from_text
from os1.store.driver import sqlite
from os1.store.migrations import run_statements


def _plant_waterings(conn: sqlite.Connection) -> None:
    """Each person's waterings; deleting the person deletes them too."""
    run_statements(
        conn,
        """
        CREATE TABLE plant_waterings (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            plant TEXT NOT NULL,
            watered_at REAL NOT NULL
        );
        CREATE INDEX plant_waterings_user ON plant_waterings(user_id, watered_at)
        """,
    )


class WaterArgs(BaseModel):
    plant: str = Field(min_length=1, max_length=80, description="Which plant, e.g. the fern.")


class WaterPlant:
    name = "water_plant"
    summary = "note in the plant diary that a plant was watered"
    touches = "nothing"
    Args = WaterArgs
    examples = ("I watered the fern", "the basil got water")

    def from_command(self, text: str) -> WaterArgs:
        return args_from_text(self, text)  # type: ignore[return-value]  # Args is WaterArgs

    async def plan(self, ctx: ToolContext, args: WaterArgs) -> Plan:
        """Only reads (here: nothing); the note is written in ``run``, after a yes."""
        return Plan(
            f"Note the {args.plant} watered",
            f"The plant diary will say the {args.plant} was watered now.",
            args.model_dump(),
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        def note(db: Any) -> int:
            db.execute(
                "INSERT INTO plant_waterings (user_id, plant, watered_at)"
                " VALUES (:user_id, :plant, :at)",
                {"plant": args["plant"], "at": time.time()},
            )
            last = "SELECT max(id) AS id FROM plant_waterings WHERE user_id = :user_id"
            return int(db.execute(last)[0]["id"])

        row = await ctx.store.transaction(note)
        return Outcome(f"Noted: the {args['plant']} was watered.", undo={"id": row})

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        await ctx.store.transaction(
            lambda db: db.execute(
                "DELETE FROM plant_waterings WHERE user_id = :user_id AND id = :id",
                {"id": undo["id"]},
            )
        )
        return "Taken out of the plant diary."


async def _diary_model(settings: Settings, progress: Callable[[int, int], None] | None) -> LLM:
    """A backend of the plugin's own (here a scripted one, so it needs no network)."""

    def answer(messages: list[ChatMessage], options: GenerationOptions) -> Any:
        return "Plants fine." if options.json_schema is None else example_for(options.json_schema)

    return ScriptedLLM(n_ctx=settings.n_ctx, fallback=answer)


@hookimpl
def register_tools(register: Callable[[Any], None]) -> None:
    register(WaterPlant())


@hookimpl
def register_migrations(register: Callable[[str, Callable[[Any], None]], None]) -> None:
    register("0001_plant_waterings", _plant_waterings)


@hookimpl
def register_model_backends(register: Callable[[str, Any], None]) -> None:
    register("plant_diary", _diary_model)
