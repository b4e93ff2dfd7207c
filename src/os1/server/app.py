"""The FastAPI app: every HTTP and WebSocket door onto one ``Companion``.

``create_app(settings)`` builds the app; its lifespan starts the companion (store and
model), the MCP session manager (``/mcp``) and the sweep that ends sockets and sessions
of accounts changed elsewhere (``live``) and, on shutdown, stops taking turns, lets
those under way finish within the grace period, closes the MCP sessions, then closes the
companion. Tests hand in a ready companion instead. Every answer carries the browser
protections of ``headers``; FastAPI's ``/docs`` and ``/redoc`` exist only with
``api_docs``. How uvicorn serves the app is ``listener.uvicorn_config``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from os1.companion import Companion
from os1.config import Settings
from os1.server import (
    accounts_api,
    actions_api,
    auth,
    dictation_api,
    feelings_api,
    files_api,
    letters_api,
    library_api,
    mcp,
    memory_api,
    music_api,
    openai_api,
    people_api,
    personas_api,
    problems,
    song_api,
    talks_api,
    ws,
)
from os1.server.headers import SecurityHeaders
from os1.server.limits import BodyLimit
from os1.server.services import Services
from os1.server.turns import drain

WEB = Path(__file__).parent / "web"


class Os1App(FastAPI):
    """FastAPI with ``SecurityHeaders`` outermost, so that even the answer of Starlette's
    error middleware (a 500) carries them."""

    def build_middleware_stack(self) -> ASGIApp:
        docs = (
            self.docs_url,
            self.redoc_url,
            self.docs_url and self.swagger_ui_oauth2_redirect_url,
        )
        return SecurityHeaders(super().build_middleware_stack(), [p for p in docs if p])


def create_app(settings: Settings, companion: Companion | None = None) -> FastAPI:
    """The app for ``settings``; with ``companion`` given, the caller owns its lifetime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = companion is None
        comp = companion or await Companion.start(settings)
        svc = Services.build(settings, comp)
        app.state.services = svc
        try:
            fleet: AbstractAsyncContextManager[object] = (
                svc.fleet.running(comp.presence) if svc.fleet else contextlib.nullcontext()
            )
            async with fleet, mcp_door.sessions.run(), svc.live.sweeping():
                try:
                    yield
                finally:
                    await drain(svc)  # MCP turns finish before its sessions close
                    await svc.news.quiet()  # the last turns' news, before Redis closes
        finally:
            if own:
                await comp.aclose()

    app = Os1App(
        title="os1",
        version="0.1.0",
        summary="A local-first AI companion: chat, memory, and its people.",
        lifespan=lifespan,
        docs_url="/docs" if settings.api_docs else None,  # their scripts come from a CDN
        redoc_url="/redoc" if settings.api_docs else None,
    )
    problems.install(app)
    auth.hide_credentials_in_logs()
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.include_router(accounts_api.router)
    app.include_router(memory_api.router)
    app.include_router(actions_api.router)
    app.include_router(files_api.router)
    app.include_router(letters_api.router)
    app.include_router(music_api.router)
    app.include_router(library_api.router)
    app.include_router(personas_api.router)
    app.include_router(talks_api.router)
    app.include_router(feelings_api.router)
    app.include_router(people_api.router)
    app.include_router(song_api.router)
    app.include_router(dictation_api.router)
    app.include_router(ws.router)
    app.include_router(openai_api.router)
    mcp_door = mcp.http_door(settings)
    app.router.routes.append(mcp_door.route)
    if WEB.is_dir():
        app.mount("/", StaticFiles(directory=WEB, html=True), name="web")
    return app
