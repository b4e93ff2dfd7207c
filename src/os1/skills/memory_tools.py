"""The first skills: the person asks the companion to remember or to forget something.

They act on the person's own memory, which makes them a fair first test of the proposal
machinery: ``/forget`` shows exactly which memories would go (and says it cannot be
undone, since forgetting must really forget); ``/remember`` keeps a note, and undoing
it forgets the note again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from os1.skills.base import (
    MemoryAccess,
    Outcome,
    Plan,
    ToolContext,
    args_from_text,
    one_line,
)

MAX_NOTE = 4000
FORGET_AT_MOST = 5


def _memory(ctx: ToolContext) -> MemoryAccess:
    if ctx.memory is None:
        raise LookupError("memory is switched off")
    return ctx.memory


class NoteArgs(BaseModel):
    text: str = Field(description="What to remember, in the person's words.")


class ForgetArgs(BaseModel):
    query: str = Field(description="Words naming what to forget.")


class RememberNote:
    name = "remember"
    touches = "own_data"
    summary = "keep a note the person explicitly asks to be remembered"
    hints = (
        *("remember", "keep in mind", "bear in mind", "note", "don't forget", "do not forget"),
        *("write down", "write that down", "write this down", "jot", "save", "memori", "store"),
        "keep track",
    )
    Args = NoteArgs
    examples = ("Amy's birthday is 3 May", "remember that my locker code is 4711")

    def from_command(self, text: str) -> BaseModel:
        return args_from_text(self, text)

    async def plan(self, ctx: ToolContext, args: NoteArgs) -> Plan | str:
        text = args.text.strip()
        if not text:
            return "Tell me what to remember, e.g. /remember Amy's birthday is 3 May."
        if ctx.memory is None:
            return "My memory is switched off, so I cannot keep notes."
        if len(text) > MAX_NOTE:
            return f"That is too long to keep as one note (over {MAX_NOTE:,} characters)."
        return Plan(
            title="Remember a note",
            preview=f'I will remember: "{one_line(text, 400)}"',
            args={"text": text},
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        episode = await _memory(ctx).note(ctx.store, str(args["text"]), source="note")
        return Outcome("Noted; I will remember it.", {"episode_id": episode})

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        await _memory(ctx).forget(ctx.store, "episode", [int(undo["episode_id"])])
        return "Forgot that note again."


class ForgetMemories:
    name = "forget"
    touches = "own_data"
    summary = "forget memories that match what the person names"
    hints = ("forget", "erase", "delete", "remove", "wipe", "unlearn", "stop remembering")
    Args = ForgetArgs
    examples = ("my old address", "forget what I told you about Tom")

    def from_command(self, text: str) -> BaseModel:
        return args_from_text(self, text)

    async def plan(self, ctx: ToolContext, args: ForgetArgs) -> Plan | str:
        query = args.query.strip()
        if not query:
            return "Tell me what to forget, e.g. /forget my old address."
        if ctx.memory is None:
            return "My memory is switched off; there is nothing to forget."
        # words only: a near miss by meaning could forget the wrong thing
        hits = await ctx.memory.search(ctx.store, query, FORGET_AT_MOST, by_meaning=False)
        if not hits:
            return f'I found nothing matching "{one_line(query)}" to forget.'
        lines = [
            f'- {dt.datetime.fromtimestamp(h.time):%Y-%m-%d}: "{one_line(h.text)}"' for h in hits
        ]
        count = len(hits)
        return Plan(
            title=f"Forget {count} memor{'y' if count == 1 else 'ies'}",
            preview="\n".join(["I will forget everywhere (this cannot be undone):", *lines]),
            args={"items": [[str(h.kind), int(h.id)] for h in hits]},
            undoable=False,
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        memory = _memory(ctx)
        removed = 0
        for kind in ("fact", "episode"):
            ids = [int(i) for k, i in args["items"] if k == kind]
            removed += await memory.forget(ctx.store, kind, ids)
        return Outcome(f"Forgotten ({removed} item{'s' if removed != 1 else ''} removed).")

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        raise LookupError("forgetting cannot be undone")
