"""A person's music over HTTP: compose a piece about a moment, list the pieces, read why
each is as it is, and download or play its files.

- ``POST /api/music`` with ``{"about"?, "memory"?, "seed"?, "tempo"?, "key"?,
  "instrument"?}`` -> 201 and the ``Piece``: ``{id, about, memories: [{ref, text,
  when}], key, tempo, meter, form, instrument, seed, seconds, why, files, missing,
  created_at}``. The model reads the moment, so it is a model turn: it counts against
  the person's turn rate and waits its place in the turn line. An absurd tempo or key:
  422 with what would do.
- ``GET /api/music`` -> ``{pieces: [Piece]}``, newest first.
- ``GET /api/music/ID`` -> the ``Piece``.
- ``GET /api/music/ID/FILE`` with FILE one of ``piece.mid``, ``piece.wav``,
  ``piece.ogg`` (for the browser's player), ``piece.musicxml``, ``piece.pdf`` (the
  score), ``why.txt``: written again from the piece's plan and seed if they are gone.
  A file that could not be made (no soundfont) is 404 with the reason.
- ``DELETE /api/music/ID`` -> 204: the piece and its files are forgotten.

A piece that is not the caller's is 404, as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from os1.core.music import FILES, Shelved
from os1.server.auth import Caller, Svc
from os1.server.problems import HttpProblem
from os1.server.schemas import Strict
from os1.server.turns import model_turn

if TYPE_CHECKING:
    from os1.core.music import Written

router = APIRouter(prefix="/api", tags=["music"])
PieceId = PathParam(ge=1, le=2**62, description="The piece's id (from the list).")
# the media type of each kind of file a piece or song has
TYPES = {
    "mid": "audio/midi",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "musicxml": "application/vnd.recordare.musicxml+xml",
    "pdf": "application/pdf",
    "why": "text/plain; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "svg": "image/svg+xml",
}


class RememberedOut(BaseModel):
    ref: str
    text: str
    when: float


class PieceOut(BaseModel):
    id: int
    about: str
    memories: list[RememberedOut]
    key: str
    tempo: int
    meter: str
    form: str
    instrument: str
    seed: int
    why: str
    files: list[str] = Field(description="The files there are, e.g. piece.ogg")
    created_at: float


class PieceList(BaseModel):
    pieces: list[PieceOut]


class ComposeIn(Strict):
    about: str | None = Field(None, min_length=1, max_length=500, description="The moment.")
    memory: str | None = Field(None, max_length=40, description="A memory ref: f3, e40.")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    tempo: int | None = Field(None, description="Beats a minute, 40-200.")
    key: str | None = Field(None, max_length=20, description='"D minor", "G".')
    instrument: str | None = Field(None, max_length=40)


def _out(kept: Shelved, files: list[str]) -> PieceOut:
    plan = kept.plan
    return PieceOut(
        id=kept.id,
        about=kept.moment.about,
        memories=[RememberedOut(ref=m.ref, text=m.text, when=m.when) for m in kept.moment.memories],
        key=f"{plan.tonic} {plan.mode}",
        tempo=plan.tempo,
        meter=plan.meter,
        form=plan.form,
        instrument=plan.instrument,
        seed=kept.seed,
        why=kept.why,
        files=files,
        created_at=kept.created_at,
    )


@router.post("/music", response_model=PieceOut, status_code=201)
async def compose(body: ComposeIn, account: Caller, svc: Svc) -> PieceOut:
    """Compose a piece about a moment (your words, or one of your memories)."""
    if not body.about and not body.memory:
        raise HttpProblem(422, "music_about_empty", "Say what the piece is about: about or memory.")
    tonic, mode = None, None
    if body.key:
        tonic, _, rest = body.key.strip().partition(" ")
        mode = rest.strip().lower() or "major"
    music = svc.companion.music
    done = await model_turn(
        svc,
        account,
        lambda: music.compose(
            account.name,
            None,
            about=body.about,
            memory=body.memory,
            seed=body.seed,
            ogg=True,
            tempo=body.tempo,
            tonic=tonic,
            mode=mode,
            instrument=body.instrument,
        ),
    )
    kept = await music.piece(account.name, done.id)
    return _out(kept, [p.name for p in done.written.files.values()])


@router.get("/music", response_model=PieceList)
async def list_pieces(account: Caller, svc: Svc) -> PieceList:
    """Your pieces, newest first."""
    kept = await svc.companion.music.pieces(account.name)
    return PieceList(pieces=[_out(k, list(FILES.values())) for k in kept])


@router.get("/music/{piece}", response_model=PieceOut)
async def one_piece(account: Caller, svc: Svc, piece: int = PieceId) -> PieceOut:
    """One of your pieces, with why it is as it is."""
    return _out(await svc.companion.music.piece(account.name, piece), list(FILES.values()))


@router.get("/music/{piece}/{name}", response_class=FileResponse)
async def piece_file(name: str, account: Caller, svc: Svc, piece: int = PieceId) -> Response:
    """A file of the piece: piece.ogg to listen, piece.pdf to read, piece.mid to play."""
    music = svc.companion.music
    return await music_file(
        name, FILES, "piece", lambda kind: music.files(account.name, piece, kind)
    )


async def music_file(
    name: str, files: dict[str, str], what: str, fetch: Callable[[str], Awaitable[Written]]
) -> Response:
    """The file ``name`` of a piece or song (``files``: its kinds and names), written
    again by ``fetch`` if need be; 404 with the reason for a name it has not, or a file
    that could not be made (no soundfont)."""
    kinds = {file: kind for kind, file in files.items()}
    if name not in kinds:
        raise HttpProblem(
            404,
            "music_file",
            f"A {what} has no file {name[:40]!r}.",
            f"Ask for one of {', '.join(files.values())}.",
        )
    written = await fetch(kinds[name])
    path: Path | None = written.files.get(kinds[name])
    if path is None:
        why = written.missing.get(kinds[name], "it was not made")
        raise HttpProblem(404, "music_file", f"This {what} has no {name}: {why}")
    return FileResponse(path, media_type=TYPES[kinds[name]], filename=name)


@router.delete("/music/{piece}", status_code=204)
async def forget_piece(account: Caller, svc: Svc, piece: int = PieceId) -> Response:
    """Forget a piece and its files."""
    await svc.companion.music.forget(account.name, piece)
    return Response(status_code=204)
