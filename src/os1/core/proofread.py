"""Proofreading for every door: the suggestions for a person's text file, and the
arguments that apply the ones they keep.

Checking only reads. Writing the file is an action: the door proposes the ``proofread``
tool with ``Checked.accepting(kept)`` (``Companion.propose``), so the journal holds
exactly the suggestions the person accepted, a copy of the original is kept, and undo
puts it back. The types a door renders are re-exported from here, so a door never
imports the skill.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from os1.core.base import Core
from os1.skills.proofread import diff
from os1.skills.proofread.diff import Change
from os1.skills.proofread.document import Document, load
from os1.skills.proofread.model import ProgressFn
from os1.skills.proofread.review import review
from os1.skills.proofread.suggestion import Suggestion
from os1.skills.proofread.tools import ProofreadArgs

__all__ = [
    "Change",
    "Checked",
    "Document",
    "ProgressFn",
    "Proofread",
    "ProofreadArgs",
    "Suggestion",
]


@dataclass(frozen=True)
class Checked:
    """A text file and the suggestions for it: in order, none overlapping; ``problems``
    says what went wrong on the way (a model that could not be reached)."""

    document: Document
    suggestions: list[Suggestion]
    problems: list[str] = field(default_factory=list)

    def line(self, suggestion: Suggestion) -> int:
        """The line (from 1) ``suggestion`` starts on."""
        return diff.line_number(self.document.text, suggestion.start)

    def change(self, suggestion: Suggestion) -> Change:
        """``suggestion`` in its line, for a door to show as a small diff."""
        return diff.change(self.document.text, suggestion)

    def to_dict(self) -> dict[str, Any]:
        """The file, its encoding, every suggestion with its line, and the problems, as
        JSON data."""
        return {
            "file": str(self.document.path),
            "encoding": self.document.encoding,
            "suggestions": [{**s.to_dict(), "line": self.line(s)} for s in self.suggestions],
            "problems": self.problems,
        }

    def accepting(self, kept: Sequence[Suggestion]) -> ProofreadArgs:
        """The ``proofread`` tool's arguments that write exactly the ``kept`` suggestions
        into the file (refused at run time if the file changed since it was checked)."""
        return ProofreadArgs(path=str(self.document.path), accepted=[s.to_dict() for s in kept])


class Proofread:
    """Proofreading a person's files, for every door (``companion.proofread``)."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def check(
        self,
        user: str,
        path: str,
        *,
        use_model: bool = True,
        progress: ProgressFn | None = None,
    ) -> Checked:
        """Spelling, grammar and style suggestions for the text file at ``path``, within
        the person's reach; ``use_model`` adds the language model's (slower; ``progress``
        is called with the chunks done and the chunks while it reads). Changes nothing.

        Raises:
            InputError: the path is beyond the person's files, or the file is missing, a
                folder, too big, binary, not UTF-8/UTF-16, or empty.
        """
        reach = (await self.core.tool_context(await self.core.store(user))).files
        real = reach.resolve(path)
        doc = await asyncio.to_thread(load, real, reach.shown(real))
        found = await review(doc.text, self.core.llm if use_model else None, progress)
        return Checked(doc, found.suggestions, found.problems)
