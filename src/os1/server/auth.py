"""Who is asking: an API key (``Authorization: Bearer os1_…``) or a web session cookie.

Every route but sign-in and the static UI depends on ``caller``; there is no anonymous
path to anyone's data. The session cookie is HttpOnly and SameSite=Strict, so another
site can neither read it nor make the browser send it; WebSockets additionally check
that their Origin is this server.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import Depends, Request, WebSocket

from os1.server.problems import HttpProblem
from os1.server.services import Services, services
from os1.store.accounts import Account

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


async def caller(request: Request, svc: Annotated[Services, Depends(services)]) -> Account:
    account = await identify(svc, request.headers.get("authorization"), request.cookies.get(COOKIE))
    svc.requests.take(f"u{account.id}", "requests")
    return account


async def admin(account: Annotated[Account, Depends(caller)]) -> Account:
    if not account.is_admin:
        raise HttpProblem(403, "forbidden", "Only an admin may do this.")
    return account


def same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin on WebSockets; other clients (no Origin) are fine,
    they must still present a key or cookie."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


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
