"""The headers that tell a browser how to treat every answer: the web UI, the API, errors.

``SecurityHeaders`` wraps the whole app, outside even Starlette's error middleware, so a
500 carries them too. The policy, and why:

- ``Content-Security-Policy``: the UI's scripts, styles, images and the AudioWorklet
  are files of this server, and it talks only to this server (its REST routes and
  ``/ws``; CSP Level 3 counts a same-host ``ws:``/``wss:`` URL as ``'self'``). So
  ``default-src 'self'`` holds with no inline script, no ``eval`` and no ``blob:``;
  ``object-src 'none'`` and ``base-uri 'none'`` take away plugins and ``<base>``
  tricks, ``form-action 'self'`` keeps forms posting here, and
  ``frame-ancestors 'none'`` stops another page from framing the UI (clickjacking).
- ``X-Frame-Options: DENY`` says the same to browsers older than CSP 2.
- ``X-Content-Type-Options: nosniff``: an answer is only ever what its type says (an
  uploaded file or a JSON error never becomes a script or a page).
- ``Referrer-Policy: no-referrer``: addresses of the UI go nowhere else.
- ``Cross-Origin-Opener-Policy`` and ``Cross-Origin-Resource-Policy: same-origin``: no
  other site's window keeps a handle on ours, and no other site embeds our answers.

FastAPI's ``/docs`` and ``/redoc`` (off unless ``api_docs`` is set) are pages built
from jsDelivr's swagger-ui and ReDoc with an inline script, so those two paths get a
policy that allows exactly that, and still refuses framing. Turning them on means
trusting that CDN with scripts that run as this server's pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SHARED = "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
PAGE_POLICY = f"default-src 'self'; {_SHARED}"
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline';"
    " style-src 'self' https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline';"
    " font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com"
    f" https://cdn.redoc.ly; worker-src blob:; {_SHARED}"
)
_COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class SecurityHeaders:
    """Adds the headers above to every HTTP answer (a route's own values stand)."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in self.docs_paths else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in _COMMON.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
