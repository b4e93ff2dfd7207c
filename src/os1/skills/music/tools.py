"""The ``compose_music`` tool: "write us a piece about this morning" in a chat.

The plan reads the moment (the memories recall finds, as data), lets the model choose
the music and composes it, then shows why it sounds as it does; nothing is kept yet.
Confirming keeps that piece (its plan and seed) among the person's pieces, where the
Music page and ``os1 music play`` write it out and play it; undo takes it out again.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import asdict
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from os1.errors import InputError, MusicError
from os1.skills.base import Outcome, Plan, ToolContext, validate_args
from os1.skills.music import shelf
from os1.skills.music.moment import MAX_ABOUT, Moment, Remembered, choose, read_moment, why
from os1.skills.music.plan import PiecePlan

# "/compose_music this morning at the beach with Lena"
_ABOUT = re.compile(r"^\s*(?:about\s+)?(?P<about>\S.*)$", re.I | re.S)


class MusicArgs(BaseModel):
    about: str = Field(
        min_length=1, max_length=MAX_ABOUT,
        description="The moment the piece is about, in the person's own words, e.g. "
        "this morning at the beach with Lena.",
    )  # fmt: skip


class ComposeMusic:
    name = "compose_music"
    touches = "own_data"
    summary = (
        "compose a piece of music as a photograph of a moment the person shared, from"
        " their memories of it"
    )
    # few and specific: each one sends a message through the tool choice, a model call
    hints = ("compose", "piece of music", "piece about", "music about", "melody about")
    cues: ClassVar[tuple[str, ...]] = ("compose", "piece", "music", "melody", "tune")
    Args = MusicArgs
    examples = (
        "this morning at the beach with Lena",
        "compose a piece about our last evening at grandmother's house",
        "write us some music about the first snow in Oslo",
    )

    def from_command(self, text: str) -> MusicArgs:
        found = _ABOUT.match(text)
        if not found:
            raise InputError(
                "missing_arguments",
                "Say the moment the piece is about.",
                f"For example: /{self.name} {self.examples[0]}",
            )
        checked = validate_args(self, {"about": found["about"].strip()})
        assert isinstance(checked, MusicArgs)
        return checked

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        from os1.skills.music.compose import compose

        asked = args if isinstance(args, MusicArgs) else validate_args(self, args)
        assert isinstance(asked, MusicArgs)
        if ctx.llm is None:
            return "I need my language model to compose, and it is not loaded."
        try:
            moment = await read_moment(ctx.store, ctx.memory, asked.about)
            chosen = await choose(ctx.llm, moment)
            piece = await asyncio.to_thread(compose, chosen, 0)
        except MusicError as exc:
            return str(exc)
        reasons = why(piece, moment)
        return Plan(
            title=f"Compose a piece about {moment.about[:60]}",
            preview=reasons + "\nConfirm to keep it among your pieces, to hear and read.",
            args={
                "about": moment.about,
                "memories": [asdict(m) for m in moment.memories],
                "plan": asdict(piece.plan),
                "why": reasons,
            },
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        moment = Moment(args["about"], tuple(Remembered(**m) for m in args["memories"]))
        kept = await shelf.keep(ctx.store, moment, PiecePlan(**args["plan"]), 0, args["why"])
        return Outcome(
            f"Composed piece {kept.id}. Hear it and read its score on the Music page, or"
            f" play it with `os1 music play {kept.id}`.",
            {"piece": kept.id},
        )

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        piece = int(undo["piece"])
        await shelf.discard(ctx.store, piece)
        if ctx.home is not None:  # its files, if they were written since
            folder = ctx.home / "music" / str(ctx.store.user.id) / str(piece)
            await asyncio.to_thread(shutil.rmtree, folder, True)
        return f"Piece {piece} is gone."
