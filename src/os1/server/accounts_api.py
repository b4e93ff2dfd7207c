"""Sign-in, the signed-in person, and account administration over HTTP."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request, Response

from os1.core.accounts import Account
from os1.server.auth import COOKIE, Admin, Caller, Svc, no_foreign_page
from os1.server.problems import HttpProblem
from os1.server.schemas import AccountOut, ExchangeOut, Me, NewUser, NewUserOut, SignIn

router = APIRouter(prefix="/api")

_BAD_SIGNIN = HttpProblem(
    401,
    "signin_failed",
    "That name and password, key or code did not match an active account.",
    "Check them, or ask the admin for a new key (`os1 users key NAME`).",
)


def _out(account: Account) -> AccountOut:
    return AccountOut(**{k: v for k, v in asdict(account).items() if k != "id"})


@router.post("/session", response_model=AccountOut, dependencies=[Depends(no_foreign_page)])
async def sign_in(body: SignIn, request: Request, response: Response, svc: Svc) -> AccountOut:
    """Sign in and get a session cookie (HttpOnly, SameSite=Strict)."""
    host = request.client.host if request.client else "?"
    await svc.signins.take(f"ip{host}", "sign-in attempts")
    accounts = svc.accounts
    if body.key:
        account = await accounts.by_key(body.key)
    elif body.code:
        account = await accounts.redeem_signin(body.code)
    elif body.name and body.password:
        account = await accounts.by_password(body.name, body.password)
    else:
        raise HttpProblem(
            422, "invalid_request", "Give a name and password, a key, or a sign-in code."
        )
    if account is None:
        raise _BAD_SIGNIN
    ttl = svc.settings.session_days * 86400
    token = await accounts.start_session(account, "web", ttl)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ttl),
        httponly=True,
        samesite="strict",
        secure=svc.settings.cookie_secure,
        path="/",
    )
    return _out(account)


@router.delete("/session", status_code=204, dependencies=[Depends(no_foreign_page)])
async def sign_out(request: Request, response: Response, svc: Svc) -> None:
    if token := request.cookies.get(COOKIE):
        await svc.accounts.end_session(token)
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=svc.settings.cookie_secure
    )


@router.get("/me", response_model=Me)
async def me(account: Caller, svc: Svc) -> Me:
    """Who is signed in, the companion's name, and how many conversations it holds now."""
    return Me(
        name=account.name,
        is_admin=account.is_admin,
        companion=await svc.companion.chosen_name(account.name),
        live_conversations=svc.companion.presence.count(),
    )


@router.get("/history", response_model=list[ExchangeOut])
async def history(account: Caller, svc: Svc, limit: int = 50) -> list[ExchangeOut]:
    """The newest messages of the current conversation, oldest first."""
    limit = max(1, min(limit, 500))
    items = await svc.companion.history(account.name, limit=limit)
    return [ExchangeOut(**asdict(i)) for i in items]


@router.post("/conversations", status_code=201)
async def new_conversation(account: Caller, svc: Svc) -> dict[str, int]:
    return {"conversation_id": await svc.companion.new_conversation(account.name)}


@router.get("/admin/users", response_model=list[AccountOut])
async def list_users(_: Admin, svc: Svc) -> list[AccountOut]:
    return [_out(a) for a in await svc.accounts.everyone()]


@router.post("/admin/users", response_model=NewUserOut, status_code=201)
async def add_user(body: NewUser, _: Admin, svc: Svc) -> NewUserOut:
    account, key = await svc.accounts.add(body.name, password=body.password, admin=body.admin)
    return NewUserOut(account=_out(account), key=key)


@router.post("/admin/users/{name:path}/disable", response_model=AccountOut)
async def disable_user(name: str, who: Admin, svc: Svc) -> AccountOut:
    if name == who.name:
        raise HttpProblem(409, "self_disable", "You cannot disable your own account.")
    return _out(await svc.accounts.set_disabled(name, True))


@router.post("/admin/users/{name:path}/enable", response_model=AccountOut)
async def enable_user(name: str, _: Admin, svc: Svc) -> AccountOut:
    return _out(await svc.accounts.set_disabled(name, False))


@router.delete("/admin/users/{name:path}", status_code=204)
async def delete_user(name: str, who: Admin, svc: Svc) -> None:
    """Delete the account and all of its data (memories, conversations, keys)."""
    if name == who.name:
        raise HttpProblem(409, "self_delete", "You cannot delete your own account here.")
    await svc.accounts.delete(name)
