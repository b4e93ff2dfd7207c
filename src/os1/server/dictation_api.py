"""Dictation over HTTP: a recording in, the words said out, for a form to type (the
Letters page's Dictate button). Nothing is answered, remembered or kept.

- ``POST /api/dictation`` with the audio as the body (WAV, WebM/Opus as browsers record,
  OGG, MP3; any content type) -> ``{text, seconds, speech_seconds}``. Not audio, over
  five minutes, or no speech in it: 422 with what to do. Hearing runs Whisper on the
  server's cores, so it counts against the person's turn rate and waits in the turn
  line like a model turn; bodies are capped by ``max_request_bytes``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from os1.server.auth import Caller, Svc
from os1.server.turns import model_turn

router = APIRouter(prefix="/api", tags=["dictation"])


class Dictated(BaseModel):
    text: str
    seconds: float
    speech_seconds: float


@router.post(
    "/dictation",
    response_model=Dictated,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}}},
)
async def dictation(request: Request, account: Caller, svc: Svc) -> Dictated:
    """The words said in a recording (the body is the audio file's bytes)."""
    data = await request.body()
    heard = await model_turn(svc, account, lambda: svc.companion.speech.dictation(data))
    return Dictated(text=heard.text, seconds=heard.seconds, speech_seconds=heard.speech_seconds)
