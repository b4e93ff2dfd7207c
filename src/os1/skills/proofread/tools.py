"""The ``proofread`` tool: suggestions for a text, or corrections to a file, confirmed.

Text given in conversation ("proofread this: …") is answered at once with the
suggestions and the corrected text; nothing is written, so nothing is proposed. A file
is different: the plan lists every suggestion and the diff, and only once the person
confirms is the file rewritten, after a copy of the original has been kept in os1's own
folder. Undo puts the original back, unless the file was changed after proofreading, in
which case it says so and leaves both alone (the copy is still there).

The plan's arguments carry the file's hash and the exact suggestions, so what runs is
what was shown: a file edited between preview and confirmation is refused, never
patched blindly. A door that let the person pick suggestions one by one (``os1
proofread``) passes the chosen ones in ``accepted``, which the model never sees.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from os1.errors import InputError
from os1.skills.base import Outcome, Plan, ToolContext, args_from_text, validate_args
from os1.skills.choose import MESSAGE
from os1.skills.proofread import diff
from os1.skills.proofread.document import Document, decode, digest, load, write_atomically
from os1.skills.proofread.review import Review, Suggestion, review
from os1.skills.reach import PATH

MAX_TEXT = 20_000
MAX_PREVIEW = 12_000
_PATH_ENDINGS = (".txt", ".md", ".markdown", ".text", ".rst", ".tex", ".eml", ".html")


class ProofreadArgs(BaseModel):
    # In conversation the text is the person's whole message, never the model's copy of
    # it (see skills.choose.MESSAGE); the request in front of it is cut off in ``plan``.
    text: str = Field(
        default="",
        max_length=MAX_TEXT,
        description="The text to proofread, exactly as the person wrote it.",
        json_schema_extra={MESSAGE: True},
    )
    path: str = Field(
        default="",
        max_length=1000,
        description="Or a text file to proofread and correct, e.g. ~/letters/bank.txt.",
        json_schema_extra={PATH: True},
    )
    # Suggestions the person picked in a door, exactly as that door showed them.
    accepted: SkipJsonSchema[list[dict[str, Any]] | None] = None


_ASKING = r"(proof-?read|check|correct|fix|spelling|grammar|look over|read over)"
_REQUEST = re.compile(
    rf"^((please|pls|kindly|can|could|would|will|help)\b[^\n:?]{{0,120}}?\b{_ASKING}|{_ASKING})"
    r"[^\n:?]{0,120}?(:|\?|\n)\s*",
    re.IGNORECASE,
)


def without_request(message: str) -> str:
    """The text to proofread from a message that may start by asking for it
    ("Can you check the spelling in this letter? Dear Sir, ..." -> "Dear Sir, ...")."""
    text = message.strip()
    found = _REQUEST.match(text)
    return text[found.end() :].strip() if found and text[found.end() :].strip() else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _notes(found: Review) -> str:
    return "".join(f"\n(Note: {p})" for p in found.problems)


def _clip(text: str, limit: int = MAX_PREVIEW) -> str:
    if len(text) <= limit:
        return text
    rest = text[limit:].count("\n")
    return text[:limit].rstrip() + f"\n… ({rest} more lines)"


class Proofread:
    name = "proofread"
    touches = "server_files"  # a file; text given in the message touches nothing
    summary = "proofread a text or a text file: spelling, grammar and style fixes as a diff"
    hints = (
        *("proofread", "proof", "spell", "grammar", "typo", "correct", "fix"),
        *("edit", "polish", "improve", "mistake", "punctuation", "wording"),
    )
    Args = ProofreadArgs
    examples = (
        "proofread this: I recieve your letter and was very happy to to read it",
        "proofread ~/letters/to-the-bank.txt",
        "check the spelling in my cover letter ~/Documents/cover.md",
        "can you fix the grammar in: their is no reason for this",
    )

    def from_command(self, text: str) -> ProofreadArgs:
        words = text.strip()
        for lead in ("this:", "this"):
            if words.lower().startswith(lead + " ") or words.lower() == lead:
                words = words[len(lead) :].strip()
                break
        if words and "\n" not in words and _looks_like_path(words):
            return ProofreadArgs(path=words)
        return ProofreadArgs.model_validate(args_from_text(self, words).model_dump())

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        checked = args if isinstance(args, ProofreadArgs) else validate_args(self, args)
        assert isinstance(checked, ProofreadArgs)
        if checked.path.strip():
            return await self._plan_file(ctx, checked)
        if text := without_request(checked.text):
            return await self._answer_text(ctx, text)
        return "Give me the text or a file to proofread, e.g. /proofread ~/letters/bank.txt."

    async def _answer_text(self, ctx: ToolContext, text: str) -> str:
        found = await review(text, ctx.llm)
        if not found.suggestions:
            return "I found nothing to correct." + _notes(found)
        corrected = diff.apply(text, found.suggestions)
        return (
            f"{_plural(len(found.suggestions), 'suggestion')}:\n"
            f"{diff.listing(text, found.suggestions)}\n\n"
            f"With all of them:\n{corrected}" + _notes(found)
        )

    async def _plan_file(self, ctx: ToolContext, args: ProofreadArgs) -> Plan | str:
        try:
            path = args.path.strip()
            doc = await asyncio.to_thread(load, path, ctx.files.shown(path))
        except InputError as exc:
            return str(exc)
        if args.accepted is not None:
            try:
                chosen = [Suggestion.from_dict(d) for d in args.accepted]
            except ValueError as exc:
                return f"Those suggestions are not usable: {exc}."
            if not all(s.fits(doc.text) for s in chosen):
                return f"{doc.path.name} changed since it was checked; proofread it again."
            found = Review(chosen)
        else:
            found = await review(doc.text, ctx.llm)
        if not found.suggestions:
            return f"I found nothing to correct in {doc.path.name}." + _notes(found)
        try:
            corrected = diff.apply(doc.text, found.suggestions)
        except ValueError as exc:
            return f"Those suggestions cannot be applied together: {exc}."
        return _file_plan(doc, found, corrected, ctx.files.shown(str(doc.path)))

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        path = Path(str(args["path"]))
        data = await asyncio.to_thread(path.read_bytes)
        if digest(data) != args["sha256"]:
            raise InputError(
                "changed_since",
                f"{path.name} changed after I checked it, so I did not touch it.",
                "Proofread it again to see suggestions for the file as it is now.",
            )
        text, codec, bom = decode(path, data)
        chosen = [Suggestion.from_dict(d) for d in args["suggestions"]]
        new_bytes = bom + diff.apply(text, chosen).encode(codec)
        kept = await asyncio.to_thread(_keep_original, ctx, path, data)
        await asyncio.to_thread(write_atomically, path, new_bytes)
        return Outcome(
            f"Corrected {_plural(len(chosen), 'thing')} in {path.name}. "
            f"The original is kept at {kept}.",
            {"path": str(path), "original": str(kept), "written": digest(new_bytes)},
        )

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        path, kept = Path(str(undo["path"])), Path(str(undo["original"]))
        await asyncio.to_thread(_restore, path, kept, str(undo["written"]))
        return f"Put {path.name} back as it was before proofreading (a copy stays at {kept})."


def _restore(path: Path, kept: Path, written: str) -> None:
    """Put the kept original back over the file os1 wrote, and over nothing else.

    Raises:
        InputError: the copy is gone, or the file changed after proofreading.
    """
    if not kept.is_file():
        raise InputError("original_gone", f"The kept original of {path.name} is gone.")
    if path.exists() and digest(path.read_bytes()) != written:
        raise InputError(
            "changed_since",
            f"{path.name} was changed after proofreading, so I did not put the"
            " original back over those changes",
            f"The original is still at {kept}.",
        )
    write_atomically(path, kept.read_bytes())


def _looks_like_path(words: str) -> bool:
    """Whether the words after /proofread name a file rather than being the text: told
    by their shape alone (a path's start, a text file's ending), never by looking on the
    disk, which would tell anyone which of the server's files exist."""
    text = words.strip()
    ends_like_file = text.lower().endswith(_PATH_ENDINGS)
    if text.startswith(("~", "/", "./", "../")):
        return " " not in text or ends_like_file
    return ends_like_file and " " not in text


def _file_plan(doc: Document, found: Review, corrected: str, shown: str) -> Plan:
    count = len(found.suggestions)
    changes = diff.unified(doc.text, corrected, doc.path.name)
    preview = _clip(
        f"{_plural(count, 'correction')} to {shown}:\n"
        f"{diff.listing(doc.text, found.suggestions)}\n\n{changes}\n\n"
        "A copy of the original is kept; undo puts it back." + _notes(found)
    )
    return Plan(
        title=f"Correct {_plural(count, 'thing')} in {doc.path.name}",
        preview=preview,
        args={
            "path": str(doc.path),
            "sha256": doc.sha256,
            "encoding": doc.encoding,
            "suggestions": [s.to_dict() for s in found.suggestions],
        },
        paths=(str(doc.path),),
    )


def _keep_original(ctx: ToolContext, path: Path, data: bytes) -> Path:
    """A copy of the file as it was, named by time, in the skill's own folder, with the
    file's own permissions (a private letter stays private in its copy)."""
    folder = ctx.skill_dir("proofread") / "originals"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(ctx.now()))
    mode = path.stat().st_mode & 0o777
    for n in range(1, 1000):
        target = folder / (f"{stamp}-{path.name}" if n == 1 else f"{stamp}-{n}-{path.name}")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
        return target
    raise InputError("cannot_keep_original", f"Could not keep a copy of {path.name}.")
