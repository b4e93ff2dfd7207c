"""A person's songs over HTTP: write one together about a moment, revise it in plain
words, list them, and download or play their files.

- ``POST /api/songs`` with ``{"about"?, "memory"?, "seed"?}`` -> 201 and the ``Song``:
  ``{id, about, memories, title, key, chorus_mode, tempo, lyrics: {verse 1, chorus,
  verse 2}, revised_from, changes, why, files, created_at}``. The model writes the
  words, so it is a model turn (the person's turn rate and place in the line).
- ``POST /api/songs/ID/revisions`` with ``{"change": "in G"}`` -> 201 and the new
  ``Song`` (the one revised stays). A change that is not understood: 422 with examples.
- ``GET /api/songs`` -> ``{songs: [Song]}``, newest first; ``GET /api/songs/ID``.
- ``GET /api/songs/ID/FILE`` with FILE one of ``song.txt`` (words with chords over
  them), ``chords.svg`` (ukulele diagrams), ``lead.pdf`` (lead sheet),
  ``lead.musicxml``, ``song.mid``, ``song.wav``, ``song.ogg`` (the guide track),
  ``why.txt``:
  written again from the song's words and plan if they are gone.
- ``DELETE /api/songs/ID`` -> 204.

A song that is not the caller's is 404, as one that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from os1.core.music import SONG_FILES, KeptSong
from os1.server.auth import Caller, Svc
from os1.server.music_api import RememberedOut, music_file
from os1.server.problems import HttpProblem
from os1.server.schemas import Strict
from os1.server.turns import model_turn

router = APIRouter(prefix="/api", tags=["music"])
SongId = PathParam(ge=1, le=2**62, description="The song's id (from the list).")


class SongOut(BaseModel):
    id: int
    about: str
    memories: list[RememberedOut]
    title: str
    key: str
    chorus_mode: str
    tempo: int
    lyrics: dict[str, list[str]] = Field(description="verse 1, chorus, verse 2: four lines each")
    revised_from: int | None
    changes: list[str] = Field(default_factory=list, description="What a revision changed")
    why: str
    files: list[str]
    created_at: float


class SongList(BaseModel):
    songs: list[SongOut]


class SongIn(Strict):
    about: str | None = Field(None, min_length=1, max_length=500, description="The moment.")
    memory: str | None = Field(None, max_length=40, description="A memory ref: f3, e40.")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class RevisionIn(Strict):
    change: str = Field(..., min_length=1, max_length=200, description='"in G", "slower".')


def _out(kept: KeptSong, changes: tuple[str, ...] = ()) -> SongOut:
    plan = kept.plan
    return SongOut(
        id=kept.id,
        about=kept.moment.about,
        memories=[RememberedOut(ref=m.ref, text=m.text, when=m.when) for m in kept.moment.memories],
        title=kept.lyrics.title,
        key=f"{plan.tonic} {plan.mode}",
        chorus_mode=plan.chorus,
        tempo=plan.tempo,
        lyrics={label.lower(): list(lines) for label, lines in kept.lyrics.sections()[:3]},
        revised_from=kept.revised_from,
        changes=list(changes),
        why=kept.why,
        files=list(SONG_FILES.values()),
        created_at=kept.created_at,
    )


@router.post("/songs", response_model=SongOut, status_code=201)
async def write_song(body: SongIn, account: Caller, svc: Svc) -> SongOut:
    """Write a song together about a moment (your words, or one of your memories)."""
    if not body.about and not body.memory:
        raise HttpProblem(422, "music_about_empty", "Say what the song is about: about or memory.")
    music = svc.companion.music
    done = await model_turn(
        svc,
        account,
        lambda: music.song(
            account.name, None, about=body.about, memory=body.memory, seed=body.seed, ogg=True
        ),
    )
    return _out(await music.kept_song(account.name, done.id))


@router.post("/songs/{song}/revisions", response_model=SongOut, status_code=201)
async def revise_song(body: RevisionIn, account: Caller, svc: Svc, song: int = SongId) -> SongOut:
    """Change a song in plain words ("in G", "slower", "make the chorus happier")."""
    music = svc.companion.music
    done = await music.revise_song(account.name, song, body.change, ogg=True)
    return _out(await music.kept_song(account.name, done.id), done.changes)


@router.get("/songs", response_model=SongList)
async def list_songs(account: Caller, svc: Svc) -> SongList:
    """Your songs, newest first."""
    return SongList(songs=[_out(k) for k in await svc.companion.music.songs(account.name)])


@router.get("/songs/{song}", response_model=SongOut)
async def one_song(account: Caller, svc: Svc, song: int = SongId) -> SongOut:
    """One of your songs, with its words and why it is as it is."""
    return _out(await svc.companion.music.kept_song(account.name, song))


@router.get("/songs/{song}/{name}", response_class=FileResponse)
async def song_file(name: str, account: Caller, svc: Svc, song: int = SongId) -> Response:
    """A file of the song: song.ogg to listen, lead.pdf to read, chords.svg to play."""
    music = svc.companion.music
    return await music_file(
        name, SONG_FILES, "song", lambda kind: music.song_files(account.name, song, kind)
    )


@router.delete("/songs/{song}", status_code=204)
async def forget_song(account: Caller, svc: Svc, song: int = SongId) -> Response:
    """Forget a song and its files."""
    await svc.companion.music.forget_song(account.name, song)
    return Response(status_code=204)
