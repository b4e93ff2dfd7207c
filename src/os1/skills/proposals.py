"""From a tool and its arguments to a journaled proposal, from a confirmed proposal to a
deed, and from a deed back: the one path every door and the act stage share (rule 3 of
DESIGN.md).

``propose`` only plans (the tool may read, never change anything) and writes the plan to
the journal before anyone sees it. ``carry_out`` claims the proposal atomically, so it
runs at most once, and records what became of it with its undo data; ``take_back``
claims a done action the same way and undoes it. All three check what the tool touches
against the person's reach (``skills.reach``): path arguments are resolved within it
before the tool plans, and the files a plan names are checked again before it runs or
is undone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from os1.errors import InputError, Os1Error
from os1.events import ActionSettled, ErrorEvent, ProposalMade
from os1.skills.base import Tool, ToolContext
from os1.skills.journal import Journal
from os1.skills.policy import allowed
from os1.skills.reach import admit, check_paths

# What a tool's run or undo raises when the world refuses (a file gone, a server down,
# a bad value): reported to the person; anything else is a bug and propagates.
TOOL_FAILURES = (Os1Error, LookupError, OSError, ValueError)


@dataclass(frozen=True)
class Proposed:
    event: ProposalMade
    standing: bool  # the person allowed this tool to run without asking


async def propose(
    tool: Tool, ctx: ToolContext, args: BaseModel, *, why: str = "", turn_id: str = ""
) -> Proposed | str:
    """The tool's plan, journaled as a proposal; or its answer when there is nothing to
    confirm (a read-only tool, or nothing to do).

    Raises:
        InputError: the tool or a path it was given is beyond the person's reach.
    """
    plan = await tool.plan(ctx, admit(tool, args, ctx.files))
    if isinstance(plan, str):
        return plan
    check_paths(tool, plan.paths, ctx.files)
    action = await Journal(ctx.store).propose(
        tool.name,
        plan.title,
        plan.preview,
        plan.args,
        undoable=plan.undoable,
        turn_id=turn_id,
        why=why,
        paths=plan.paths,
    )
    event = ProposalMade(action.id, tool.name, plan.title, plan.preview, plan.undoable)
    standing = plan.undoable and tool.name in await allowed(ctx.store)
    return Proposed(event, standing)


async def carry_out(
    tool: Tool | None, ctx: ToolContext, proposal_id: int, *, confirm: bool
) -> ActionSettled | ErrorEvent:
    """Run (``confirm``) or decline a proposal of the person in ``ctx``; at most once."""
    journal = Journal(ctx.store)
    action = await journal.get(proposal_id)
    if action is None or tool is None or tool.name != action.tool:
        return ErrorEvent("not_found", f"There is no proposal {proposal_id} of yours.")
    if not await journal.claim(proposal_id, "proposed", "running" if confirm else "declined"):
        return ErrorEvent(
            "already_decided",
            f"Proposal {proposal_id} was already {action.status}; nothing was done again.",
        )
    if not confirm:
        await journal.settle(proposal_id, "declined", "Declined; nothing was changed.")
        return ActionSettled(proposal_id, "declined", "Declined; nothing was changed.")
    try:
        check_paths(tool, action.paths, ctx.files)  # the reach may have narrowed since
        outcome = await tool.run(ctx, action.args)
    except TOOL_FAILURES as exc:
        message = _sentence(f"It did not work: {getattr(exc, 'message', None) or exc}")
        await journal.settle(proposal_id, "failed", message)
        return ActionSettled(proposal_id, "failed", message)
    await journal.settle(proposal_id, "done", outcome.message, outcome.undo)
    return ActionSettled(proposal_id, "done", outcome.message)


async def take_back(
    tools: Callable[[str], Tool | None], ctx: ToolContext, action_id: int | None
) -> ActionSettled:
    """Undo a done action of the person in ``ctx`` (the latest undoable one if no id),
    where the world allows; at most once.

    A failed undo leaves the action done and says why (the world may have moved on: a
    file put back in its place, an event already gone).

    Args:
        tools: finds a tool by name.

    Raises:
        InputError: no such action of this person, it cannot be undone, or the files it
            touched are now beyond their reach.
    """
    journal = Journal(ctx.store)
    if action_id is None:
        action = next((a for a in await journal.recent(200) if a.can_undo), None)
        if action is None:
            raise InputError("nothing_to_undo", "There is nothing to undo.")
    else:
        action = await journal.get(action_id)
    tool = tools(action.tool) if action else None
    if action is None or tool is None:
        raise InputError(
            "not_found", f"There is no action {action_id} of yours.", "`os1 actions` lists them."
        )
    if not action.can_undo:
        why = "it cannot be taken back" if not action.undoable else f"it is {action.status}"
        raise InputError("cannot_undo", f"Action {action.id} cannot be undone: {why}.")
    check_paths(tool, action.paths, ctx.files)
    if not await journal.claim(action.id, "done", "undone"):
        raise InputError("cannot_undo", f"Action {action.id} was undone already.")
    assert action.undo is not None
    try:
        message = await tool.undo(ctx, action.undo)
    except TOOL_FAILURES as exc:
        await journal.claim(action.id, "undone", "done")
        reason = getattr(exc, "message", None) or str(exc)
        return ActionSettled(action.id, "failed", _sentence(f"Could not undo it: {reason}"))
    return ActionSettled(action.id, "undone", message)


def _sentence(text: str) -> str:
    """``text`` ending in one full stop: the reasons it carries are often sentences."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."
