"""Every way a proposal can end, through the path all doors share (``skills.proposals``):
a run or an undo that fails says why and leaves the journal true, a decision is made
once, undo without a number takes back the latest action, and each refusal says what to
do; the files a plan names are checked against the person's reach when it is proposed,
confirmed and undone. The tools are plugins of the test's own, as a third party would
write them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.events import ActionSettled, ErrorEvent, ProposalMade
from os1.skills.base import Outcome, Plan, Tool, ToolContext, context_for
from os1.skills.journal import Journal
from os1.skills.policy import ALLOW_KEY
from os1.skills.proposals import Proposed, carry_out, propose, take_back
from os1.skills.reach import PATH
from os1.store import Database
from os1.store.accounts import Accounts


class JarArgs(BaseModel):
    marbles: int = 1
    undoable: bool = True


class Jar:
    """Puts marbles in a jar kept in the person's settings. ``failing`` makes the next
    run raise it, ``stuck`` the next undo; ``seen`` is the journal's word while it ran."""

    name: ClassVar[str] = "jar"
    summary: ClassVar[str] = "puts marbles in a jar"
    examples: ClassVar[tuple[str, ...]] = ("3",)
    touches: ClassVar[str] = "own_data"
    Args = JarArgs

    def __init__(self) -> None:
        self.failing: Exception | None = None
        self.stuck: Exception | None = None
        self.seen: list[str] = []

    def from_command(self, text: str) -> BaseModel:
        return JarArgs(marbles=int(text))

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        if not args.marbles:
            return "There is nothing to put in the jar."
        return Plan(
            f"Put {args.marbles} in the jar",
            f"{args.marbles} marbles go in.",
            {"marbles": args.marbles},
            undoable=args.undoable,
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        self.seen.append((await Journal(ctx.store).recent(1))[0].status)
        if self.failing is not None:
            raise self.failing
        count = await ctx.store.get_setting("jar", 0) + args["marbles"]
        await ctx.store.set_setting("jar", count)
        return Outcome(f"{count} marbles in the jar.", {"marbles": args["marbles"]})

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        if self.stuck is not None:
            raise self.stuck
        await ctx.store.set_setting("jar", await ctx.store.get_setting("jar", 0) - undo["marbles"])
        return f"Took {undo['marbles']} out."


class Other(Jar):
    name: ClassVar[str] = "other"


class ShelfArgs(BaseModel):
    note: str = Field(json_schema_extra={PATH: True})
    beside: str = ""  # a second file the plan names without its path being resolved


class Shelf:
    """Writes a note into a file on the server's disk; undo deletes it."""

    name: ClassVar[str] = "shelf"
    summary: ClassVar[str] = "writes a note into a file"
    examples: ClassVar[tuple[str, ...]] = ("note.txt",)
    touches: ClassVar[str] = "server_files"
    Args = ShelfArgs

    def from_command(self, text: str) -> BaseModel:
        return ShelfArgs(note=text)

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        paths = (args.note, args.beside) if args.beside else (args.note,)
        return Plan(
            f"Write {ctx.files.shown(args.note)}", "A note.", {"path": args.note}, paths=paths
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        await asyncio.to_thread(Path(args["path"]).write_text, "a note")
        return Outcome("Written.", {"path": args["path"]})

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        await asyncio.to_thread(Path(undo["path"]).unlink)
        return "Deleted."


async def _context(db: Database, name: str = "ada") -> ToolContext:
    """A signed-in account's context: its files confined to its own folder."""
    store = await db.user(name)
    return await context_for(store, home=db.path.parent)


async def _proposed(tool: Tool, ctx: ToolContext, **args: Any) -> int:
    proposed = await propose(tool, ctx, JarArgs(**args))
    assert isinstance(proposed, Proposed)
    return proposed.event.proposal_id


async def _jar(ctx: ToolContext) -> int:
    count: int = await ctx.store.get_setting("jar", 0)
    return count


async def test_a_proposal_is_journaled_as_planned_and_stands_only_where_allowed(
    db: Database,
) -> None:
    jar, ctx = Jar(), await _context(db)
    assert ctx.files.confined  # an own-data tool needs no file reach
    assert await propose(jar, ctx, JarArgs(marbles=0)) == "There is nothing to put in the jar."
    assert await Journal(ctx.store).recent() == []

    proposed = await propose(jar, ctx, JarArgs(marbles=2), why="you asked", turn_id="t-1")
    assert isinstance(proposed, Proposed) and not proposed.standing
    pid = proposed.event.proposal_id
    assert proposed.event == ProposalMade(pid, "jar", "Put 2 in the jar", "2 marbles go in.", True)
    action = await Journal(ctx.store).get(pid)
    assert action is not None and (action.why, action.turn_id) == ("you asked", "t-1")
    assert (action.status, action.args, action.paths) == ("proposed", {"marbles": 2}, ())
    plain = await Journal(ctx.store).get(await _proposed(jar, ctx))
    assert plain is not None and (plain.why, plain.turn_id) == ("", "")

    await ctx.store.set_setting(ALLOW_KEY, ["jar"])
    allowed = await propose(jar, ctx, JarArgs(marbles=1))
    assert isinstance(allowed, Proposed) and allowed.standing is True
    once = await propose(jar, ctx, JarArgs(marbles=1, undoable=False))
    assert isinstance(once, Proposed) and once.standing is False  # always asked


async def test_a_run_that_fails_says_why_and_the_journal_says_failed(db: Database) -> None:
    jar, ctx = Jar(), await _context(db)
    journal = Journal(ctx.store)
    for failure, said in (
        (InputError("jar_full", "The jar is full", "Empty it first."), "The jar is full."),
        (ValueError("no marbles left"), "no marbles left."),
        (InputError("jar_gone", "Where is the jar?"), "Where is the jar?"),  # one mark only
        (OSError("The shelf fell."), "The shelf fell."),
    ):
        jar.failing = failure
        pid = await _proposed(jar, ctx)
        message = f"It did not work: {said}"
        assert await carry_out(jar, ctx, pid, confirm=True) == ActionSettled(pid, "failed", message)
        action = await journal.get(pid)
        assert action is not None and (action.status, action.result) == ("failed", message)
    assert jar.seen == ["running"] * 4  # claimed before it ran
    assert await _jar(ctx) == 0


async def test_a_decision_is_made_once_and_only_about_ones_own_proposal(db: Database) -> None:
    jar, ctx = Jar(), await _context(db)
    declined = await _proposed(jar, ctx, marbles=2)
    nothing = "Declined; nothing was changed."
    assert await carry_out(jar, ctx, declined, confirm=False) == ActionSettled(
        declined, "declined", nothing
    )
    action = await Journal(ctx.store).get(declined)
    assert action is not None and (action.status, action.result) == ("declined", nothing)
    again = await carry_out(jar, ctx, declined, confirm=True)
    assert again == ErrorEvent(
        "already_decided", f"Proposal {declined} was already declined; nothing was done again."
    )
    assert jar.seen == [] and await _jar(ctx) == 0

    pid = await _proposed(jar, ctx, marbles=3)
    missing = ErrorEvent("not_found", f"There is no proposal {pid} of yours.")
    assert await carry_out(Other(), ctx, pid, confirm=True) == missing  # not this tool's
    assert await carry_out(None, ctx, pid, confirm=True) == missing
    eve = await _context(db, "eve")
    assert await carry_out(jar, eve, pid, confirm=True) == missing
    unknown = await carry_out(jar, ctx, 9999, confirm=True)
    assert unknown == ErrorEvent("not_found", "There is no proposal 9999 of yours.")
    action = await Journal(ctx.store).get(pid)
    assert action is not None and action.status == "proposed"

    done = await carry_out(jar, ctx, pid, confirm=True)
    assert done == ActionSettled(pid, "done", "3 marbles in the jar.")
    assert await _jar(ctx) == 3


async def test_undo_takes_back_the_latest_and_a_failed_undo_changes_nothing(db: Database) -> None:
    jar, ctx = Jar(), await _context(db)
    tools = {"jar": jar}.get
    with pytest.raises(InputError) as empty:
        await take_back(tools, ctx, None)
    assert (empty.value.code, empty.value.message) == (
        "nothing_to_undo",
        "There is nothing to undo.",
    )
    first, second = await _proposed(jar, ctx, marbles=2), await _proposed(jar, ctx, marbles=5)
    for pid in (first, second):
        await carry_out(jar, ctx, pid, confirm=True)
    await _proposed(jar, ctx)  # proposed only: nothing to take back
    assert await _jar(ctx) == 7

    jar.stuck = OSError("the lid is stuck")
    stuck = await take_back(tools, ctx, None)
    assert stuck == ActionSettled(second, "failed", "Could not undo it: the lid is stuck.")
    action = await Journal(ctx.store).get(second)
    assert action is not None and action.can_undo  # still done, to try again
    jar.stuck = InputError("lid_glued", "The lid is glued", "Soak it.")
    glued = await take_back(tools, ctx, second)
    assert glued == ActionSettled(second, "failed", "Could not undo it: The lid is glued.")
    jar.stuck = OSError("The lid is glued.")
    assert (await take_back(tools, ctx, second)).message == "Could not undo it: The lid is glued."
    assert await _jar(ctx) == 7

    jar.stuck = None
    assert await take_back(tools, ctx, None) == ActionSettled(second, "undone", "Took 5 out.")
    assert await take_back(tools, ctx, None) == ActionSettled(first, "undone", "Took 2 out.")
    assert await _jar(ctx) == 0
    with pytest.raises(InputError) as none_left:
        await take_back(tools, ctx, None)
    assert none_left.value.code == "nothing_to_undo"


async def test_what_cannot_be_undone_is_refused_with_the_reason(db: Database) -> None:
    jar, ctx = Jar(), await _context(db)
    tools = {"jar": jar}.get
    once = await _proposed(jar, ctx, undoable=False)
    await carry_out(jar, ctx, once, confirm=True)
    declined = await _proposed(jar, ctx)
    await carry_out(jar, ctx, declined, confirm=False)
    for pid, why in ((once, "it cannot be taken back"), (declined, "it is declined")):
        with pytest.raises(InputError) as refused:
            await take_back(tools, ctx, pid)
        assert refused.value.code == "cannot_undo"
        assert refused.value.message == f"Action {pid} cannot be undone: {why}."

    done = await _proposed(jar, ctx)
    await carry_out(jar, ctx, done, confirm=True)
    for finder, pid in (({}.get, done), (tools, 9999)):
        with pytest.raises(InputError) as missing:
            await take_back(finder, ctx, pid)
        assert missing.value.code == "not_found"
        assert missing.value.message == f"There is no action {pid} of yours."
        assert missing.value.hint == "`os1 actions` lists them."
    with pytest.raises(InputError) as not_hers:
        await take_back(tools, await _context(db, "eve"), done)
    assert not_hers.value.code == "not_found"

    results = await asyncio.gather(
        *(take_back(tools, ctx, done) for _ in range(3)), return_exceptions=True
    )
    assert results.count(ActionSettled(done, "undone", "Took 1 out.")) == 1
    refusals = [r for r in results if isinstance(r, InputError)]
    assert len(refusals) == 2 and {r.code for r in refusals} == {"cannot_undo"}
    assert {r.message for r in refusals} <= {
        f"Action {done} was undone already.",
        f"Action {done} cannot be undone: it is undone.",
    }
    assert await _jar(ctx) == 1  # the undoable one is back out; the other stays


async def test_the_files_a_plan_names_are_checked_when_proposed_confirmed_and_undone(
    db: Database, tmp_path: Path
) -> None:
    shelf, accounts, tools = Shelf(), Accounts(db), {"shelf": Shelf()}.get
    await accounts.add("ada")
    ctx = await _context(db)
    folder = Path(str(ctx.files.root))
    for outside, code in (("/etc/hosts", "outside_your_files"), ("../../x", "outside_your_files")):
        with pytest.raises(InputError) as refused:
            await propose(shelf, ctx, ShelfArgs(note=outside))
        assert refused.value.code == code
    with pytest.raises(InputError) as beside:
        await propose(shelf, ctx, ShelfArgs(note="note.txt", beside="/etc/hosts"))
    assert beside.value.code == "outside_your_files"
    assert await Journal(ctx.store).recent() == []

    first = await propose(shelf, ctx, ShelfArgs(note="note.txt"))
    assert isinstance(first, Proposed) and first.event.title == "Write ~/note.txt"
    pid = first.event.proposal_id
    action = await Journal(ctx.store).get(pid)
    assert action is not None and action.paths == (str(folder / "note.txt"),)
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    await accounts.set_files("ada", str(elsewhere))  # the admin narrows her reach
    narrowed = await _context(db)
    settled = await carry_out(shelf, narrowed, pid, confirm=True)
    assert isinstance(settled, ActionSettled) and settled.status == "failed"
    assert (
        settled.message
        == "It did not work: 'note.txt' is not among your files, so I cannot use it."
    )
    assert str(folder) not in settled.message  # the server's folder is not shown
    assert not (folder / "note.txt").exists()

    await accounts.set_files("ada", "")
    again = await propose(shelf, ctx, ShelfArgs(note="note.txt"))
    assert isinstance(again, Proposed)
    done = await carry_out(shelf, ctx, again.event.proposal_id, confirm=True)
    assert done == ActionSettled(again.event.proposal_id, "done", "Written.")
    await accounts.set_files("ada", str(elsewhere))
    with pytest.raises(InputError) as kept:
        await take_back(tools, await _context(db), again.event.proposal_id)
    assert kept.value.code == "outside_your_files" and str(folder) not in kept.value.message
    assert (folder / "note.txt").read_text() == "a note"
    await accounts.set_files("ada", "")
    undone = await take_back(tools, await _context(db), again.event.proposal_id)
    assert undone == ActionSettled(again.event.proposal_id, "undone", "Deleted.")
    assert not (folder / "note.txt").exists()
