"""The action journal over HTTP: what the companion did or offered to do, the person's
answer to a proposal a door made (confirm, decline), and undo."""

from __future__ import annotations

from fastapi import APIRouter, Path
from pydantic import BaseModel

from os1.core.actions import Action
from os1.events import ActionSettled, ErrorEvent
from os1.server.auth import Caller, Svc
from os1.server.problems import HttpProblem
from os1.server.services import Services

router = APIRouter(prefix="/api", tags=["actions"])


class ActionOut(BaseModel):
    id: int
    tool: str
    title: str
    preview: str
    status: str
    why: str
    result: str
    undoable: bool
    can_undo: bool
    created_at: float
    decided_at: float | None


class SettledOut(BaseModel):
    proposal_id: int
    status: str
    message: str


def _out(action: Action) -> ActionOut:
    return ActionOut(
        id=action.id,
        tool=action.tool,
        title=action.title,
        preview=action.preview,
        status=action.status,
        why=action.why,
        result=action.result,
        undoable=action.undoable,
        can_undo=action.can_undo,
        created_at=action.created_at,
        decided_at=action.decided_at,
    )


@router.get("/actions", response_model=list[ActionOut])
async def actions(account: Caller, svc: Svc, limit: int = 50) -> list[ActionOut]:
    """The newest actions first: what, when, why, and what became of them."""
    return [_out(a) for a in await svc.companion.actions.recent(account.name, limit)]


async def _decide(svc: Services, user: str, action_id: int, confirm: bool) -> SettledOut:
    async for event in svc.companion.decide(user, action_id, confirm=confirm):
        if isinstance(event, ActionSettled):
            return SettledOut(
                proposal_id=event.proposal_id, status=event.status, message=event.message
            )
        if isinstance(event, ErrorEvent):
            status = 404 if event.code == "not_found" else 409
            raise HttpProblem(status, event.code, event.message, event.hint)
    raise HttpProblem(409, "not_decided", "The proposal gave no answer.", "Try again.")


ActionId = Path(ge=1, le=2**63 - 1, description="The proposal's id.")


@router.post("/actions/{action_id}/confirm", response_model=SettledOut)
async def confirm(account: Caller, svc: Svc, action_id: int = ActionId) -> SettledOut:
    """Run a proposal exactly as it was previewed (a mail with a letter, say); once only.

    Its outcome says what happened: ``done``, or ``failed`` with why.
    """
    return await _decide(svc, account.name, action_id, True)


@router.post("/actions/{action_id}/decline", response_model=SettledOut)
async def decline(account: Caller, svc: Svc, action_id: int = ActionId) -> SettledOut:
    """Drop a proposal: nothing of it runs."""
    return await _decide(svc, account.name, action_id, False)


@router.post("/actions/{action_id}/undo", response_model=SettledOut)
async def undo(account: Caller, svc: Svc, action_id: int = Path(ge=1, le=2**63 - 1)) -> SettledOut:
    """Put things back as they were before the action, where the world allows.

    A person's own click only: the server never undoes on anyone else's word.
    """
    settled = await svc.companion.undo(account.name, action_id)
    if settled.status == "failed":
        raise HttpProblem(409, "undo_failed", settled.message)
    return SettledOut(
        proposal_id=settled.proposal_id, status=settled.status, message=settled.message
    )
