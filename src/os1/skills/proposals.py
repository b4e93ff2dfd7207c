"""From a tool and its arguments to a journaled proposal, and from a confirmed proposal to
a deed: the one path every door and the act stage share (rule 3 of DESIGN.md).

``propose`` only plans (the tool may read, never change anything) and writes the plan to
the journal before anyone sees it. ``carry_out`` claims the proposal atomically, so it
runs at most once, and records what became of it with its undo data.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from os1.errors import Os1Error
from os1.events import ActionSettled, ErrorEvent, ProposalMade
from os1.skills.base import Tool, ToolContext
from os1.skills.journal import Journal
from os1.skills.policy import allowed

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
    confirm (a read-only tool, or nothing to do)."""
    plan = await tool.plan(ctx, args)
    if isinstance(plan, str):
        return plan
    action = await Journal(ctx.store).propose(
        tool.name,
        plan.title,
        plan.preview,
        plan.args,
        undoable=plan.undoable,
        turn_id=turn_id,
        why=why,
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
        outcome = await tool.run(ctx, action.args)
    except TOOL_FAILURES as exc:
        message = f"It did not work: {getattr(exc, 'message', None) or exc}."
        await journal.settle(proposal_id, "failed", message)
        return ActionSettled(proposal_id, "failed", message)
    await journal.settle(proposal_id, "done", outcome.message, outcome.undo)
    return ActionSettled(proposal_id, "done", outcome.message)
