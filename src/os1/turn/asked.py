"""The notes a turn adds for what the person asked or needs right now, and what code
says after the reply.

Each note goes at the head of the person's newest message, never the system prompt
(which must stay byte-identical for the prompt cache):

- the live count, when they ask how many people it talks to (``live``);
- whom it has grown close to, when they ask whom else it loves (``live``), and code's
  honest sentence after the reply;
- its own feelings, when asked about them (``persona.own_feelings``), and what such
  feelings are, after the reply; otherwise a line that lets the strongest feeling
  colour the tone of the reply;
- a nudge toward someone in their life, when one is due (``core.people``), after the
  reply.

The small model cannot be trusted to say the honest sentences, so code says them.
"""

from __future__ import annotations

from dataclasses import dataclass

from os1.persona.own_feelings import AFTERWORD, asks_about_feelings, feelings_note, tone_note
from os1.turn.context import Turn
from os1.turn.live import (
    asks_about_love,
    asks_about_others,
    circle_afterword,
    circle_note,
    live_note,
)


@dataclass(frozen=True)
class Asked:
    note: str  # for the head of the newest message
    afterword: str  # said after the reply, in code's words


async def asked(turn: Turn) -> Asked:
    """The notes and the afterword for ``turn`` (both "" when nothing is asked or due)."""
    deps, user, text = turn.deps, turn.store.user.name, turn.text
    notes, afterwords = [], []
    feelings_asked = deps.own_feelings is not None and asks_about_feelings(text)
    if deps.own_feelings is not None and feelings_asked:
        notes.append(feelings_note(await deps.own_feelings(user)))
    elif deps.tone is not None and (felt := await deps.tone(user)):
        notes.append(tone_note(felt))
    if deps.circle is not None and asks_about_love(text):
        circle = await deps.circle(user)
        if circle is not None:
            notes.append(circle_note(circle))
            afterwords.append(circle_afterword(circle))  # closeness is the honest word
    if feelings_asked and not afterwords:
        afterwords.append(AFTERWORD)
    if asks_about_others(text):
        notes.append(live_note(deps.live_count()))
    if deps.nudge is not None and turn.tentative is None and turn.answering is None:
        afterwords.append(await deps.nudge(user))
    return Asked("".join(notes), "\n\n".join(a for a in afterwords if a))
