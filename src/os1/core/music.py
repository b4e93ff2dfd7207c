"""Music for every door: a piece composed from a moment, written out as MIDI, audio,
MusicXML, sheet music and the why.

The model only reads the moment and picks the musical decisions; the notes are made by
code from a seed, and the files appear only when all are made (``score.write_piece``).
The types a door shows are re-exported from here, so a door never imports the skill.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from os1.core.base import Core
from os1.errors import MusicError
from os1.memory.catalog import get_item, parse_ref
from os1.skills.music import shelf, songbook
from os1.skills.music.plan import Lyrics, SongPlan
from os1.skills.music.shelf import Shelved
from os1.skills.music.songbook import KeptSong

if TYPE_CHECKING:  # composing brings music21 (half a second): imported when first used
    from os1.skills.music.compose import Piece
    from os1.skills.music.lyrics import LyricCheck
    from os1.skills.music.moment import Moment
    from os1.skills.music.score import Written
    from os1.skills.music.song import Song

__all__ = ["FILES", "SONG_FILES", "Composed", "KeptSong", "Music", "Shelved", "Sung", "Written"]

# the files of a piece, by kind: what a door may hand out
FILES = {
    "mid": "piece.mid",
    "wav": "piece.wav",
    "ogg": "piece.ogg",
    "musicxml": "piece.musicxml",
    "pdf": "piece.pdf",
    "why": "why.txt",
}


# the files of a song, by kind
SONG_FILES = {
    "txt": "song.txt",
    "svg": "chords.svg",
    "pdf": "lead.pdf",
    "musicxml": "lead.musicxml",
    "mid": "song.mid",
    "wav": "song.wav",
    "ogg": "song.ogg",
    "why": "why.txt",
}


@dataclass(frozen=True)
class Sung:
    id: int  # as kept in the person's songbook
    song: Song
    moment: Moment
    check: LyricCheck
    why: str
    written: Written
    changes: tuple[str, ...] = ()  # what a revision changed, in words
    drafted: LyricCheck | None = None  # how the model's first words scanned, before mending


@dataclass(frozen=True)
class Composed:
    id: int  # as kept on the person's shelf
    piece: Piece
    moment: Moment
    why: str
    written: Written


def _present(folder: Path, files: dict[str, str], want: str) -> Written | None:
    """The files of ``folder`` (kind → name), if the kind wanted is among them."""
    from os1.skills.music.score import Written

    there = {kind: folder / name for kind, name in files.items() if (folder / name).is_file()}
    if want not in there:
        return None
    return Written(there, {kind: "not made" for kind in files if kind not in there})


class Music:
    """Pieces composed from the person's moments."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def moment(
        self, user: str, about: str | None = None, memory: str | None = None
    ) -> Moment:
        """The moment a piece is about: the memory named (``f3``, ``episode:40``), or the
        memories recall finds for ``about``.

        Raises:
            MusicError: neither given, or ``about`` empty or too long.
            InputError: ``memory`` is not a memory ref, or not one of this person's.
        """
        from os1.skills.music.moment import MAX_ABOUT, Moment, Remembered, check_about, read_moment

        store = await self.core.store(user)
        if not memory:
            return await read_moment(store, self.core.memory, about or "")
        kind, item = parse_ref(memory)
        found = await get_item(store, kind, item)
        if found is None:
            raise MusicError(
                "music_memory_unknown",
                f"There is no memory {memory}.",
                "See `os1 memory list` for the memories there are.",
            )
        said = found.text if len(found.text) <= MAX_ABOUT else found.text[: MAX_ABOUT - 1] + "…"
        return Moment(check_about(about or said), (Remembered(found.ref, found.text, found.time),))

    async def compose(
        self,
        user: str,
        out: Path | None = None,
        *,
        about: str | None = None,
        memory: str | None = None,
        seed: int = 0,
        soundfont: Path | None = None,
        ogg: bool = False,
        **override: object,
    ) -> Composed:
        """A piece about a moment, written into the folder ``out`` (by default the
        piece's own folder in the home) as ``piece.mid``, ``.wav``, ``.ogg``,
        ``.musicxml``, ``.pdf`` and ``why.txt`` (and ``.ogg`` if ``ogg``, for a browser),
        and kept on the person's shelf. ``override`` holds
        decisions the person made themselves (``tempo=60``, ``mode="minor"``); they are
        checked before the model is asked anything.

        Raises:
            MusicError: an absurd decision (a tempo of 2,000, 0 bars), nothing to compose
                about, or ``out`` cannot be written.
        """
        from os1.skills.music.compose import compose
        from os1.skills.music.moment import choose, overridden, why
        from os1.skills.music.plan import PiecePlan, checked
        from os1.skills.music.score import write_piece

        override = {name: value for name, value in override.items() if value is not None}
        checked(overridden(PiecePlan(), **override), length="tempo" in override)  # told first
        async with self.core.person_waiting():  # the render has the cores
            moment = await self.moment(user, about, memory)
            plan = checked(overridden(await choose(self.core.llm, moment, seed), **override))
            piece = await asyncio.to_thread(compose, plan, seed)
            reasons = why(piece, moment)
            title = moment.about if len(moment.about) <= 60 else moment.about[:57] + "…"
            store = await self.core.store(user)
            into = out or self._folder(store.user.id, f".new-{secrets.token_hex(6)}")
            written = await asyncio.to_thread(
                write_piece,
                piece,
                into,
                title,
                extra={"why.txt": reasons},
                soundfont=soundfont,
                ogg=ogg,
            )
            kept = await shelf.keep(store, moment, plan, seed, reasons)
            if out is None:
                written = await self._settle(written, into, self._folder(store.user.id, kept.id))
            return Composed(kept.id, piece, moment, reasons, written)

    async def pieces(self, user: str, limit: int = 50) -> list[Shelved]:
        """The person's pieces, newest first."""
        return await shelf.newest(await self.core.store(user), limit)

    async def piece(self, user: str, piece: int) -> Shelved:
        """Raises: MusicError: the person has no such piece."""
        return await shelf.one(await self.core.store(user), piece)

    async def forget(self, user: str, piece: int) -> None:
        """Removes the piece and its files. Raises: MusicError: no such piece."""
        store = await self.core.store(user)
        await shelf.one(store, piece)
        await shelf.discard(store, piece)
        await asyncio.to_thread(shutil.rmtree, self._folder(store.user.id, piece), True)

    @staticmethod
    async def _settle(written: Written, into: Path, final: Path) -> Written:
        """The new work's files, made in ``into``, become its own folder's (``final``)."""
        await asyncio.to_thread(shutil.rmtree, final, True)
        await asyncio.to_thread(into.rename, final)
        return replace(written, files={k: final / p.name for k, p in written.files.items()})

    def _folder(self, user_id: int, piece: int | str) -> Path:
        base = self.core.home or Path(tempfile.gettempdir()) / "os1"
        return base / "music" / str(user_id) / str(piece)

    async def files(self, user: str, piece: int, want: str = "mid") -> Written:
        """The piece's files, written again from its plan and seed if the kind wanted
        (``FILES``) is not in the home's music folder (the same notes: the composing is
        deterministic).

        Raises:
            MusicError: the person has no such piece.
        """
        from os1.skills.music.compose import compose
        from os1.skills.music.score import write_piece

        store = await self.core.store(user)
        kept = await shelf.one(store, piece)
        folder = self._folder(store.user.id, piece)
        if found := _present(folder, FILES, want):
            return found
        notes = await asyncio.to_thread(compose, kept.plan, kept.seed)
        title = kept.moment.about[:60]
        return await asyncio.to_thread(
            write_piece, notes, folder, title, extra={"why.txt": kept.why}, ogg=True
        )

    # -- songs ---------------------------------------------------------------------------

    async def song(
        self,
        user: str,
        out: Path | None = None,
        *,
        about: str | None = None,
        memory: str | None = None,
        seed: int = 0,
        soundfont: Path | None = None,
        ogg: bool = False,
    ) -> Sung:
        """A song written with the person about a moment: the model's lyrics from the
        memories (meter and rhyme checked, and mended where they fail), chords and a
        melody made by code, written into ``out`` (by default the song's own folder in
        the home) as ``song.txt``, ``chords.svg``, ``lead.pdf``, ``song.mid``,
        ``song.wav`` and ``why.txt``, and kept in the person's songbook.

        Raises:
            MusicError: nothing to write about, or ``out`` cannot be written.
        """
        from os1.skills.music.lyrics import write_words
        from os1.skills.music.rhymebook import cache_file

        async with self.core.person_waiting():
            moment = await self.moment(user, about, memory)
            words = await write_words(self.core.llm, moment, cache_file(self.core.home), seed)
            lyrics, plan, drafted, told = words
            sung = await self._sing(user, moment, lyrics, plan, out, soundfont, ogg, None, told)
        return replace(sung, changes=(), drafted=drafted)

    async def revise_song(
        self,
        user: str,
        song: int,
        change: str,
        out: Path | None = None,
        *,
        soundfont: Path | None = None,
        ogg: bool = False,
    ) -> Sung:
        """The song changed as ``change`` says ("in G", "slower", "make the chorus
        happier"), kept as a new song; the one it revised stays.

        Raises:
            MusicError: no such song, or a change that is not understood or cannot be made.
        """
        from os1.skills.music.revise import revised

        kept = await songbook.one(await self.core.store(user), song)
        plan, told = revised(kept.plan, change)
        async with self.core.person_waiting():
            return await self._sing(
                user, kept.moment, kept.lyrics, plan, out, soundfont, ogg, kept.id, tuple(told)
            )

    async def _sing(
        self,
        user: str,
        moment: Moment,
        lyrics: Lyrics,
        plan: SongPlan,
        out: Path | None,
        soundfont: Path | None,
        ogg: bool,
        revised_from: int | None,
        told: tuple[str, ...],
    ) -> Sung:
        from os1.skills.music.leadsheet import write_song
        from os1.skills.music.lyrics import check, song_why
        from os1.skills.music.song import compose_song

        song = await asyncio.to_thread(compose_song, lyrics, plan)
        checked = await asyncio.to_thread(check, lyrics)
        reasons = song_why(song, moment, checked, told)
        store = await self.core.store(user)
        into = out or self._folder(store.user.id, f".new-{secrets.token_hex(6)}")
        written = await asyncio.to_thread(
            write_song, song, into, why=reasons, soundfont=soundfont, ogg=ogg
        )
        kept = await songbook.keep(store, moment, lyrics, plan, reasons, revised_from)
        if out is None:
            final = self._folder(store.user.id, f"song-{kept.id}")
            written = await self._settle(written, into, final)
        return Sung(kept.id, song, moment, checked, reasons, written, told)

    async def songs(self, user: str, limit: int = 50) -> list[KeptSong]:
        """The person's songs, newest first."""
        return await songbook.newest(await self.core.store(user), limit)

    async def kept_song(self, user: str, song: int) -> KeptSong:
        """Raises: MusicError: the person has no such song."""
        return await songbook.one(await self.core.store(user), song)

    async def forget_song(self, user: str, song: int) -> None:
        """Removes the song (not the songs revised from it) and its files.

        Raises:
            MusicError: no such song.
        """
        store = await self.core.store(user)
        await songbook.one(store, song)
        await songbook.discard(store, song)
        await asyncio.to_thread(shutil.rmtree, self._folder(store.user.id, f"song-{song}"), True)

    async def song_files(self, user: str, song: int, want: str = "wav") -> Written:
        """The song's files, written again from its words and plan if the kind wanted
        (``SONG_FILES``) is not in its folder.

        Raises:
            MusicError: the person has no such song.
        """
        from os1.skills.music.leadsheet import write_song
        from os1.skills.music.song import compose_song

        store = await self.core.store(user)
        kept = await songbook.one(store, song)
        folder = self._folder(store.user.id, f"song-{song}")
        if found := _present(folder, SONG_FILES, want):
            return found
        sung = await asyncio.to_thread(compose_song, kept.lyrics, kept.plan)
        return await asyncio.to_thread(write_song, sung, folder, why=kept.why, ogg=True)
