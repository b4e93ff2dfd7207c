"""The person's own files over HTTP: what they bring for their skills to work on.

Only the server's owner names files on the server's disk; everyone else uploads theirs
into the one folder their skills may use (``os1.skills.reach``) and names them there:
``/proofread letter.txt``.

- ``GET /api/files`` -> ``{"files": [{name, size, modified, path}]}``, by name;
- ``PUT /api/files/NAME`` with the file's bytes as the body (any content type) ->
  201 and the stored file; an existing file of that name is replaced;
- ``DELETE /api/files/NAME`` -> 204.

``path`` is how the person names the file in a request. Bodies are capped by
``max_request_bytes`` like every request; a person's own folder by ``upload_quota_mb``.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from pydantic import BaseModel

from os1.server.auth import Caller, Svc

router = APIRouter(prefix="/api", tags=["files"])
Name = PathParam(min_length=1, max_length=200, description="A plain file name, e.g. letter.txt")


class FileOut(BaseModel):
    name: str
    size: int
    modified: float
    path: str


class FileList(BaseModel):
    files: list[FileOut]


@router.get("/files", response_model=FileList)
async def list_files(account: Caller, svc: Svc) -> FileList:
    """The files you brought, by name."""
    found = await svc.companion.uploaded(account.name)
    return FileList(files=[FileOut(**asdict(f)) for f in found])


@router.put(
    "/files/{name}",
    response_model=FileOut,
    status_code=201,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}}},
)
async def upload_file(request: Request, account: Caller, svc: Svc, name: str = Name) -> FileOut:
    """Keep a file for your skills to work on (the body is the file's bytes)."""
    stored = await svc.companion.upload(account.name, name, await request.body())
    return FileOut(**asdict(stored))


@router.delete("/files/{name}", status_code=204)
async def delete_file(account: Caller, svc: Svc, name: str = Name) -> None:
    """Delete one of your files."""
    await svc.companion.remove_upload(account.name, name)
