"""Act: what the person asks the companion to do becomes a proposal, never a deed.

Today the person asks explicitly, with a command naming a skill (``/remember …``,
``/forget …``); the model choosing tools itself plugs into this same stage later. Either
way the tool only *plans* here: the plan is written to the journal, shown with its
preview, and runs only when the person confirms it (``Companion.decide``). A command is
answered without the model and is not kept as a memory of the conversation (asking to
forget something must not itself be remembered).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from os1.events import ProposalMade, TextDelta, TurnEvent
from os1.skills.base import ToolContext
from os1.skills.journal import Journal
from os1.turn.context import Turn


def _command(text: str) -> tuple[str, str] | None:
    if not text.startswith("/"):
        return None
    name, _, rest = text[1:].partition(" ")
    return name.strip().lower(), rest.strip()


async def act(turn: Turn) -> AsyncGenerator[TurnEvent, None]:
    skills = turn.deps.skills
    command = _command(turn.text)
    if skills is None or command is None or (tool := skills.get(command[0])) is None:
        return
    turn.handled = True
    turn.finish_reason = "stop"
    plan = await tool.plan(ToolContext(turn.store, turn.deps.memory), command[1])
    if isinstance(plan, str):
        turn.reply.append(plan)
        yield TextDelta(plan)
        return
    action = await Journal(turn.store).propose(
        tool.name,
        plan.title,
        plan.preview,
        plan.args,
        undoable=plan.undoable,
        turn_id=turn.turn_id,
    )
    ask = f"{plan.title}?\n{plan.preview}\nConfirm or decline."
    turn.reply.append(ask)
    yield ProposalMade(action.id, tool.name, plan.title, plan.preview, plan.undoable)
    yield TextDelta(ask)
