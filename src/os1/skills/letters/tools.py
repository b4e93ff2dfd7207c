"""The ``write_letter`` tool: "write a letter to my grandmother for her 90th" in a chat.

The plan drafts the letter (the model writes it from the memories recall finds; nothing
is kept yet) and shows it with the memories it draws on and any line that recalls a
shared past no memory backs. Confirming keeps that exact draft among the person's
letters, where the Letters page, ``os1 letters render`` and the REST and MCP doors put
it on paper by hand; undo takes it out again, unless it has been revised since.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from os1.errors import InputError, LetterError
from os1.skills.base import Outcome, Plan, ToolContext, one_line, validate_args
from os1.skills.letters import archive
from os1.skills.letters.compose import MAX_ABOUT, LetterDraft
from os1.skills.letters.drafting import draft_letter

# "/write_letter to Grandma Rose: thank her for the summers"
_COMMAND = re.compile(r"^\s*(?:to\s+)?(?P<to>[^:\n]{1,120}):\s*(?P<about>.+)$", re.I | re.S)


class LetterArgs(BaseModel):
    to: str = Field(
        min_length=1, max_length=120,
        description="Who the letter is for, as the person names them, e.g. Grandma Rose.",
    )  # fmt: skip
    about: str = Field(
        min_length=1, max_length=MAX_ABOUT,
        description="What the letter should carry, in the person's own words.",
    )  # fmt: skip
    who: str = Field(
        default="", max_length=200,
        description='Who they are to the person, if the person said it, e.g. "my grandmother".',
    )  # fmt: skip


def preview(draft: LetterDraft) -> str:
    """The letter as the proposal shows it: its words, its memories, what none backs."""
    parts = [draft.text, ""]
    if draft.cited:
        parts.append("It draws on what you told me:")
        parts += [f'- "{one_line(s.text)}" ({s.day})' for s in draft.cited]
    else:
        parts.append("It draws on none of your memories.")
    if draft.unsupported:
        parts.append("\nNo memory backs these lines; check them before you send it:")
        parts += [f'- "{one_line(line)}"' for line in draft.unsupported]
    parts.append("\nConfirm to keep it among your letters, to revise or write out by hand.")
    return "\n".join(parts)


class WriteLetter:
    name = "write_letter"
    touches = "own_data"
    summary = (
        "write a heartfelt letter to someone in the person's own voice, from the memories"
        " they share, to be written out by hand"
    )
    # few and specific: each one sends a message through the tool choice, a model call
    hints = ("letter", "write to", "card for", "card to", "thank-you note", "condolence")
    cues: ClassVar[tuple[str, ...]] = ("letter", "card", "note to", "write to", "writing to")
    Args = LetterArgs
    examples = (
        "to Grandma Rose: happy 90th, thank her for the summers at the lake",
        "write a letter to my sister Lena for her birthday, mention our trip to Porto",
        "a thank-you card to Mr Okafor for the piano lessons",
    )

    def from_command(self, text: str) -> LetterArgs:
        found = _COMMAND.match(text)
        if not found or not found["to"].strip() or not found["about"].strip():
            raise InputError(
                "missing_arguments",
                "Say who the letter is for and what it should carry, after a colon.",
                f"For example: /{self.name} {self.examples[0]}",
            )
        asked = {"to": found["to"].strip(), "about": found["about"].strip()}
        checked = validate_args(self, asked)
        assert isinstance(checked, LetterArgs)
        return checked

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        asked = args if isinstance(args, LetterArgs) else validate_args(self, args)
        assert isinstance(asked, LetterArgs)
        if ctx.llm is None:
            return "I need my language model to write a letter, and it is not loaded."
        try:
            draft = await draft_letter(
                ctx.store, ctx.memory, ctx.llm, sender=ctx.person, to=asked.to,
                about=asked.about, who=asked.who,
            )  # fmt: skip
        except LetterError as exc:
            return str(exc)
        return Plan(
            title=f"Keep the letter to {draft.recipient}",
            preview=preview(draft),
            args={"draft": draft.as_data()},
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        kept = await archive.keep(ctx.store, LetterDraft.from_data(args["draft"]))
        return Outcome(
            f"Kept the letter to {kept.draft.recipient} as letter {kept.letter}. See it written"
            f" by hand on the Letters page, or with `os1 letters render {kept.letter}`.",
            {"letter": kept.letter},
        )

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        letter = int(undo["letter"])
        found = await archive.versions(ctx.store, letter)
        if len(found) > 1:
            raise InputError(
                "letter_revised",
                f"Letter {letter} has been revised since, so I kept it.",
                f"Its versions are still there: `os1 letters show {letter}`.",
            )
        await archive.discard(ctx.store, letter)
        return f"Took letter {letter} out of your letters again."
