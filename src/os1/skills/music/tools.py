"""The music tools of a chat: ``compose_music`` ("write us a piece about this
morning") and ``write_song`` ("let's write a song about the summers at the lake").

Each plan reads the moment (the memories recall finds, as data) and does the work: the
model chooses the music, or writes the words, and code composes; the plan shows the
piece's why, or the song's words with their chords; nothing is kept yet. Confirming
keeps it (plan and seed, or words and plan) among the person's music, where the Music
page and ``os1 music play`` write it out and play it; undo takes it out again.
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
from os1.skills.music import shelf, songbook
from os1.skills.music.moment import MAX_ABOUT, Moment, Remembered, choose, read_moment, why
from os1.skills.music.plan import Lyrics, PiecePlan, SongPlan

# "/compose_music this morning at the beach with Lena"
_ABOUT = re.compile(r"^\s*(?:about\s+)?(?P<about>\S.*)$", re.I | re.S)


class MusicArgs(BaseModel):
    about: str = Field(
        min_length=1, max_length=MAX_ABOUT,
        description="The moment the piece is about, in the person's own words, e.g. "
        "this morning at the beach with Lena.",
    )  # fmt: skip


def _moment_command(tool: ComposeMusic | WriteSong, text: str) -> MusicArgs:
    found = _ABOUT.match(text)
    if not found:
        raise InputError(
            "missing_arguments",
            "Say the moment it is about.",
            f"For example: /{tool.name} {tool.examples[0]}",
        )
    checked = validate_args(tool, {"about": found["about"].strip()})
    assert isinstance(checked, MusicArgs)
    return checked


def _moment_of(args: dict[str, Any]) -> Moment:
    return Moment(args["about"], tuple(Remembered(**m) for m in args["memories"]))


async def _forget_folder(ctx: ToolContext, name: str) -> None:
    """The files of a piece or song taken out again, if they were written since."""
    if ctx.home is not None:
        folder = ctx.home / "music" / str(ctx.store.user.id) / name
        await asyncio.to_thread(shutil.rmtree, folder, True)


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
        return _moment_command(self, text)

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
        kept = await shelf.keep(
            ctx.store, _moment_of(args), PiecePlan(**args["plan"]), 0, args["why"]
        )
        return Outcome(
            f"Composed piece {kept.id}. Hear it and read its score on the Music page, or"
            f" play it with `os1 music play {kept.id}`.",
            {"piece": kept.id},
        )

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        piece = int(undo["piece"])
        await shelf.discard(ctx.store, piece)
        await _forget_folder(ctx, str(piece))
        return f"Piece {piece} is gone."


class WriteSong:
    name = "write_song"
    touches = "own_data"
    summary = (
        "write a song together with the person about a moment they shared: lyrics from"
        " their memories, chords with ukulele diagrams and a tune to sing"
    )
    hints = ("song", "lyrics", "sing")
    cues: ClassVar[tuple[str, ...]] = ("song", "lyrics", "sing", "verse", "chorus")
    Args = MusicArgs
    examples = (
        "the summers at the lake with Lena",
        "let's write a song about our trip to Porto",
        "write us a song about the first snow in Oslo",
    )

    def from_command(self, text: str) -> MusicArgs:
        return _moment_command(self, text)

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        from os1.skills.music.leadsheet import words_with_chords
        from os1.skills.music.lyrics import check, song_why, write_words
        from os1.skills.music.rhymebook import cache_file
        from os1.skills.music.song import compose_song

        asked = args if isinstance(args, MusicArgs) else validate_args(self, args)
        assert isinstance(asked, MusicArgs)
        if ctx.llm is None:
            return "I need my language model to write a song, and it is not loaded."
        try:
            moment = await read_moment(ctx.store, ctx.memory, asked.about)
            lyrics, plan, _, told = await write_words(ctx.llm, moment, cache_file(ctx.home))
            song = await asyncio.to_thread(compose_song, lyrics, plan)
            checked = await asyncio.to_thread(check, lyrics)
        except MusicError as exc:
            return str(exc)
        reasons = song_why(song, moment, checked, told)
        return Plan(
            title=f"Keep the song {lyrics.title}",
            preview=words_with_chords(song)
            + "\n"
            + reasons
            + "\nConfirm to keep it among your songs, with its lead sheet and guide track.",
            args={
                "about": moment.about,
                "memories": [asdict(m) for m in moment.memories],
                "lyrics": asdict(lyrics),
                "plan": asdict(plan),
                "why": reasons,
            },
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        lyrics = Lyrics.from_data(args["lyrics"])
        kept = await songbook.keep(
            ctx.store, _moment_of(args), lyrics, SongPlan(**args["plan"]), args["why"]
        )
        return Outcome(
            f"Kept the song {lyrics.title} as song s{kept.id}. Sing along on the Music page,"
            f" or play its guide track with `os1 music play s{kept.id}`.",
            {"song": kept.id},
        )

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        song = int(undo["song"])
        await songbook.discard(ctx.store, song)
        await _forget_folder(ctx, f"song-{song}")
        return f"Song s{song} is gone."
