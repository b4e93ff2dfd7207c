"""A person's personas over HTTP: build one from their own files, see it with its
sources and derived statements, talk with it, forget it.

- ``POST /api/personas`` with ``{"name", "paths", "consent"?, "kind"?}`` -> 201, the
  ``Persona`` (a new version when the name exists). A model turn: it counts against the
  person's turn rate and waits its place in the turn line. 422 with ``persona_no_consent``
  for a private person without consent, ``persona_no_sources`` when nothing could be
  read; 409 ``persona_name_taken`` for the name of a person on this server.
- ``GET /api/personas`` -> ``{personas: [Summary]}``.
- ``GET /api/personas/NAME?version=N`` -> the ``Persona``: consent, sources, style,
  languages, self-description, positions and facts, each citing its passages.
- ``POST /api/personas/NAME/messages`` with ``{"text"}`` -> ``{reply, sources, read,
  beyond, unverified}``: its reply from passages of its writings (a model turn); each
  source is the writer's exact words with book and offsets. 403
  ``persona_consent_ended`` once the recorded consent has ended.
- ``GET /api/personas/NAME/messages?limit=20`` -> ``{messages: [...]}``.
- ``DELETE /api/personas/NAME`` -> ``{name, books_removed}``: the persona and all derived
  from it, and the sources its builds put in the library.

The same reply streams as a chat turn through ``/v1/chat/completions`` with the model
name ``persona:NAME`` and the WebSocket. Another person's persona is 404, as one that
does not exist.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import Field

from os1.server.auth import Caller, Svc
from os1.server.schemas import Strict
from os1.server.turns import model_turn

router = APIRouter(prefix="/api", tags=["personas"])
Name = PathParam(min_length=1, max_length=40, description="The persona's name.")


class BuildIn(Strict):
    name: str = Field(min_length=1, max_length=40)
    paths: list[str] = Field(min_length=1, max_length=1000, description="Files or folders.")
    consent: str | None = Field(None, max_length=2000, description="Who, for what, until when.")
    kind: Literal["author", "person"] | None = None


class MessageIn(Strict):
    text: str = Field(min_length=1, max_length=4000)


@router.post("/personas", status_code=201)
async def build_persona(body: BuildIn, account: Caller, svc: Svc) -> dict[str, Any]:
    """Build a persona from your files (or a new version of it)."""
    paths = [Path(p) for p in body.paths]
    personas = svc.companion.personas
    report = await model_turn(
        svc, account,
        lambda: personas.build(account.name, body.name, paths, consent=body.consent,
                               kind=body.kind),
    )  # fmt: skip
    return {**report.persona.as_dict(), "skipped": [asdict(s) for s in report.skipped]}


@router.get("/personas")
async def list_personas(account: Caller, svc: Svc) -> dict[str, Any]:
    """Your personas."""
    found = await svc.companion.personas.listed(account.name)
    return {"personas": [asdict(p) for p in found]}


@router.get("/personas/{name}")
async def one_persona(
    account: Caller,
    svc: Svc,
    name: str = Name,
    version: int | None = Query(None, ge=1, le=1_000_000),
) -> dict[str, Any]:
    """A persona: consent, sources, style, and what was derived, with citations."""
    return (await svc.companion.personas.show(account.name, name, version)).as_dict()


@router.post("/personas/{name}/messages")
async def talk(body: MessageIn, account: Caller, svc: Svc, name: str = Name) -> dict[str, Any]:
    """Say something to a persona: its reply, with the passages it rests on."""
    personas = svc.companion.personas
    reply, cited = await model_turn(
        svc, account, lambda: personas.ask(account.name, name, body.text)
    )
    found = cited.to_dict()
    found.pop("type")
    return {"reply": reply, **found}


@router.get("/personas/{name}/messages")
async def said(
    account: Caller, svc: Svc, name: str = Name, limit: int = Query(20, ge=1, le=500)
) -> dict[str, Any]:
    """What was said with a persona, oldest first."""
    found = await svc.companion.personas.history(account.name, name, limit)
    return {"messages": [asdict(m) for m in found]}


@router.delete("/personas/{name}")
async def forget(account: Caller, svc: Svc, name: str = Name) -> dict[str, Any]:
    """Forget a persona and everything derived from it."""
    return asdict(await svc.companion.personas.forget(account.name, name))
