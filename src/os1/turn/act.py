"""Act: what the person asks the companion to do becomes a proposal, never a deed.

What a tool may touch is the core's decision, not the tool's: ``propose`` resolves its
path arguments within the person's reach and refuses what lies outside (``skills.reach``).

The person asks either with a command naming a tool (``/remember …``) or in their own
words ("lunch with Amy next Thursday at one"), in which case the model chooses the tool
and its arguments under a JSON-schema grammar (``skills.choose``). Either way the tool
only *plans* here: the plan is written to the journal, shown with its preview, and runs
only when the person confirms it (``Companion.decide``), or at once when they set a
standing policy for that tool. A read-only tool's answer is the reply.

Only ``turn.text``, the person's own words, is routed: nothing recalled, read or
retrieved can choose a tool (rule 4). A command is answered without the model and is not
kept as a memory of the conversation (asking to forget something must not itself be
remembered).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from pydantic import BaseModel

from os1.errors import ConfigError, InputError
from os1.events import ActionSettled, TextDelta, TurnEvent
from os1.skills.base import Tool
from os1.skills.proposals import Proposed, carry_out, propose
from os1.turn.context import Turn
from os1.turn.perceive import may_keep


def _command(text: str) -> tuple[str, str] | None:
    if not text.startswith("/"):
        return None
    name, _, rest = text[1:].partition(" ")
    return name.strip().lower(), rest.strip()


async def _chosen(turn: Turn) -> tuple[Tool, BaseModel] | None:
    """The tool and arguments the person asks for: by command, or chosen by the model."""
    skills = turn.deps.skills
    if skills is None:
        return None
    command = _command(turn.text)
    if command is not None:
        tool = skills.get(command[0])
        return None if tool is None else (tool, tool.from_command(command[1]))
    if turn.deps.chooser is None:
        return None
    choice = await turn.deps.chooser.choose(turn.text, turn.cancel)
    return None if choice is None else (choice.tool, choice.args)


def _say(turn: Turn, text: str) -> TextDelta:
    turn.reply.append(text)
    return TextDelta(text)


async def act(turn: Turn) -> AsyncGenerator[TurnEvent, None]:
    try:
        chosen = await _chosen(turn)
    except InputError as exc:  # a command with unusable words: say how to use it
        if not await may_keep(turn):
            return
        turn.handled, turn.finish_reason = True, "stop"
        yield _say(turn, str(exc))
        return
    if chosen is None or not await may_keep(turn):  # a proposal is kept: never tentatively
        return
    tool, args = chosen
    turn.handled, turn.finish_reason = True, "stop"
    if turn.deps.tool_context is None:
        raise ConfigError("no_tools", "This companion was built without its tools' context.")
    ctx = await turn.deps.tool_context(turn.store)
    try:
        proposed = await propose(tool, ctx, args, why=turn.text, turn_id=turn.turn_id)
    except InputError as exc:  # beyond the person's reach: say so, as for a bad command
        yield _say(turn, str(exc))
        return
    if not isinstance(proposed, Proposed):
        yield _say(turn, proposed)
        return
    event = proposed.event
    yield event
    if proposed.standing:
        settled = await carry_out(tool, ctx, event.proposal_id, confirm=True)
        yield settled
        if isinstance(settled, ActionSettled):
            yield _say(
                turn,
                f"({event.title}: done without asking, as you allowed; undo can take it back.)",
            )
        return
    yield _say(turn, f"{event.title}?\n{event.preview}\nConfirm or decline.")
