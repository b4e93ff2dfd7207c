"""Errors as HTTP answers: every failure is JSON with a code, a message and what to do next.

The shape, ``{"error": {"code", "message", "hint", "type"}}``, is also what OpenAI
clients read (they look at ``error.message`` and ``error.code``), so one format serves
every door. Nothing a client sends may produce a 500: validation problems are 422 with
the offending fields named, unknown routes 404, wrong methods 405.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from os1.errors import Os1Error
from os1.events import ErrorEvent

log = logging.getLogger(__name__)


class HttpProblem(Os1Error):
    """An ``Os1Error`` that knows its HTTP status (and optional extra headers)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        hint: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code, message, hint)
        self.status = status
        self.headers = headers or {}


# codes raised below the server, and the status each deserves
_STATUS_BY_CODE = {
    "user_unknown": 404,
    "user_exists": 409,
    "user_invalid": 422,
    "not_found": 404,
    "cannot_undo": 409,
    "nothing_to_undo": 409,
    "quota_exceeded": 413,
    "no_file_access": 403,
    "outside_your_files": 403,
    "owner_only": 403,
    "disk_full": 507,
    "store_readonly": 503,
    "store_unavailable": 503,
    "store_busy": 503,
    "store_closed": 503,
    "model_unreachable": 502,
    "model_timeout": 504,
    "letter_unknown": 404,
    "letter_version": 404,
    "letter_page": 404,
    "letter_model": 502,
    "hand_missing": 503,
    "hand_unreadable": 503,
    "scan_too_large": 413,
    "music_unknown": 404,
    "music_song_unknown": 404,
    "music_memory_unknown": 404,
    "music_destination": 500,
    "library_unknown": 404,
    "library_busy": 409,
    "persona_unknown": 404,
    "persona_name_taken": 409,
    "persona_kind_differs": 409,
    "persona_consent_ended": 403,
    "talk_unknown": 404,
    "talk_not_yours": 403,
    "talk_remote_refused": 403,
    "talk_remote_failed": 502,
    "introduce_off": 409,
    "introduce_not_open": 409,
}


def status_for(exc: Os1Error) -> int:
    if isinstance(exc, HttpProblem):
        return exc.status
    if exc.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[exc.code]
    if type(exc).__name__ in (
        "InputError",
        "LetterError",
        "MusicError",
        "LibraryError",
        "PersonaError",
    ):
        return 422
    return 500


def body(code: str, message: str, hint: str = "", kind: str = "") -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "hint": hint,
            "type": kind or ("invalid_request_error" if code != "internal" else "server_error"),
        }
    }


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        if err.get("type") == "json_invalid":
            parts.append("the body is not valid JSON")
        else:
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(parts) + "."


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the JSON shape above."""

    @app.exception_handler(Os1Error)
    async def on_os1_error(request: Request, exc: Os1Error) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.warning("request failed: %s %s -> %s", request.method, request.url.path, exc.code)
        headers = exc.headers if isinstance(exc, HttpProblem) else {}
        if status == 503 and "Retry-After" not in headers:
            headers = {**headers, "Retry-After": "5"}  # every 503 says when to come back
        return JSONResponse(body(exc.code, exc.message, exc.hint), status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            body(
                "invalid_request",
                _validation_message(exc),
                "The API is described at /openapi.json.",
            ),
            422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {404: "There is nothing at this address.", 405: "Method not allowed here."}
        text = message.get(exc.status_code, str(exc.detail))
        return JSONResponse(
            body(f"http_{exc.status_code}", text), exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            body(
                "internal",
                "Something went wrong inside os1.",
                "Try again; if it persists, the server log has the details.",
            ),
            500,
        )


def socket_error(code: str, message: str, hint: str = "") -> dict[str, Any]:
    """An ``error`` event for a WebSocket client, in the shape every turn's errors have."""
    return ErrorEvent(code, message, hint).to_dict()
