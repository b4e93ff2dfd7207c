"""Who is asking: an API key (``Authorization: Bearer os1_…``) or a web session cookie.

Every route but sign-in and the static UI depends on ``caller``; there is no anonymous
path to anyone's data. The session cookie is HttpOnly and SameSite=Strict, so another
site can neither read it nor make the browser send it.

SameSite does not tell ports apart, though: a page on ``http://127.0.0.1:<another
port>`` is the same site, and its forms carry the cookie. So a request that changes
something on the cookie's word (any method but GET, HEAD and OPTIONS) must come from a
page of this server: its ``Origin`` names this host and port, or its
``Sec-Fetch-Site`` is ``same-origin`` (both are set by the browser, never by a page).
Anything else is a 403 (``cross_origin``), a missing Origin included. Requests with an
API key are not asked, as no browser attaches a key on its own, and neither are
non-browser clients signing in (no Origin, no Sec-Fetch-Site); a browser signing in or
out from another page is refused, so nobody is signed into someone else's account.
WebSockets check their Origin the same way (``same_origin``).
"""

from __future__ import annotations

import logging
import re
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, WebSocket
from starlette.datastructures import Headers

from os1.core.accounts import Account, Credential
from os1.server.problems import HttpProblem
from os1.server.services import Services, services

COOKIE = "os1_session"

_UNAUTHORIZED = HttpProblem(
    401,
    "unauthorized",
    "Sign in first: send an API key as 'Authorization: Bearer os1_…' or use the web sign-in.",
    "An admin can make you a key with `os1 users add NAME`.",
    {"WWW-Authenticate": "Bearer"},
)


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def identify(svc: Services, authorization: str | None, session: str | None) -> Account:
    """The account behind these credentials.

    Raises:
        HttpProblem: 401 when they are missing, wrong, or the account is disabled.
    """
    account = None
    if (key := _bearer(authorization)) is not None:
        account = await svc.accounts.by_key(key)
    elif session:
        account = await svc.accounts.by_session(session)
    if account is None:
        raise _UNAUTHORIZED
    return account


def credential(authorization: str | None, session: str | None) -> Credential | None:
    """Which credential ``identify`` goes by (a key before a cookie), to re-check later."""
    if (key := _bearer(authorization)) is not None:
        return Credential.key(key)
    return Credential.session(session) if session else None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CROSS_ORIGIN = HttpProblem(
    403,
    "cross_origin",
    "This request did not come from one of this server's own pages, so it was refused:"
    " a signed-in browser only acts on requests from os1's web UI.",
    "Use the web UI at this server's address, or send an API key as"
    " 'Authorization: Bearer os1_…' instead of the sign-in cookie.",
)


def _address(netloc: str, scheme: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``host[:port]``, the port defaulting to the scheme's."""
    if not netloc or "@" in netloc:
        return None
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port or _DEFAULT_PORTS[scheme]


def same_host(origin: str, host: str | None) -> bool:
    """Whether an ``Origin`` names the host and port a request was sent to (its
    ``Host``). Schemes are not compared: behind a TLS proxy the app may see plain http,
    and one port serves one scheme. A ``Host`` without a port has the default port of
    the Origin's scheme, as the browser that wrote both left it out for that reason."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or parts.path or parts.query or parts.fragment:
        return False
    theirs = _address(parts.netloc, parts.scheme)
    return theirs is not None and theirs == _address(host or "", parts.scheme)


def from_this_server(headers: Headers) -> bool:
    """Whether the browser says the request comes from a page of this server."""
    if headers.get("sec-fetch-site") == "same-origin":
        return True
    origin = headers.get("origin")
    return origin is not None and same_host(origin, headers.get("host"))


async def no_foreign_page(request: Request) -> None:
    """For sign-in and sign-out: a browser must be on one of our pages (no login CSRF);
    a client that is not a browser (it sends neither header) may go ahead.

    Raises:
        HttpProblem: 403 ``cross_origin``.
    """
    headers = request.headers
    browser = "origin" in headers or "sec-fetch-site" in headers
    if browser and not from_this_server(headers):
        raise _CROSS_ORIGIN


async def caller(request: Request, svc: Annotated[Services, Depends(services)]) -> Account:
    """The account behind the request's key or cookie.

    Raises:
        HttpProblem: 401 without valid credentials; 403 ``cross_origin`` when a cookie
            is to change something for a page that is not ours.
    """
    authorization = request.headers.get("authorization")
    account = await identify(svc, authorization, request.cookies.get(COOKIE))
    by_cookie = _bearer(authorization) is None
    if by_cookie and request.method not in SAFE_METHODS and not from_this_server(request.headers):
        raise _CROSS_ORIGIN
    await svc.requests.take(f"u{account.id}", "requests")
    return account


async def admin(account: Annotated[Account, Depends(caller)]) -> Account:
    if not account.is_admin:
        raise HttpProblem(403, "forbidden", "Only an admin may do this.")
    return account


def same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin on WebSockets; other clients (no Origin) are fine,
    they must still present a key or cookie."""
    return "origin" not in websocket.headers or from_this_server(websocket.headers)


_CREDENTIALS = re.compile(
    r"(?i)(authorization\W+(?:bearer\s+)?|cookie\W+|os1_session=|bearer\s+)[^\s;,'\"]+"
    r"|os1_[A-Za-z0-9_-]{16,}"
)
_MARKERS = ("authorization", "cookie", "bearer", "os1_")


class HideCredentials(logging.Filter):
    """Blanks keys, session tokens and auth headers out of log records.

    The WebSocket library logs every handshake header at DEBUG (through uvicorn's
    logger), so an operator who turns on debug logging would otherwise find people's
    keys and cookies in the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(marker in message.lower() for marker in _MARKERS):
            record.msg = _CREDENTIALS.sub(lambda m: (m.group(1) or "") + "[hidden]", message)
            record.args = None
        return True


_HIDE = HideCredentials()


def hide_credentials_in_logs() -> None:
    """Install the filter on the loggers that see raw requests (idempotent)."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets", "websockets.server"):
        logging.getLogger(name).addFilter(_HIDE)


Caller = Annotated[Account, Depends(caller)]
Admin = Annotated[Account, Depends(admin)]
Svc = Annotated[Services, Depends(services)]
