"""The capability model: what a person's tools may touch, decided in the core.

Path payloads an attacker would try (absolute paths, ``..``, a symbolic link to
``/etc``, ``~owner``, ``/proc/self/environ``, a NUL byte) against a person confined to
their own folder, through the same ``propose`` / ``carry_out`` / ``take_back`` path every
door uses; and a reach narrowed by the admin between a proposal and its confirmation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.events import ActionSettled, ProposalMade
from os1.skills.base import Outcome, Plan, ToolContext, context_for
from os1.skills.proofread.tools import Proofread, ProofreadArgs
from os1.skills.proposals import Proposed, carry_out, propose, take_back
from os1.skills.reach import FileReach, admit, check_paths, own_folder, touches
from os1.store import Database, UserStore
from os1.store.accounts import Accounts


@pytest.fixture
async def people(tmp_path: Path) -> Any:
    db = await Database.open(tmp_path / "home" / "os1.db")
    yield db
    await db.aclose()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """The owner's private letter, outside anyone else's folder."""
    path = tmp_path / "owner" / "secret-letter.txt"
    path.parent.mkdir()
    path.write_text("Dear bank, my PIN is 4711. Thier service was poor.\n")
    return path


def _hostile(secret: Path, folder: Path) -> list[str]:
    (folder / "etc-link").symlink_to("/etc")
    (folder / "letter-link.txt").symlink_to(secret)
    return [
        str(secret),
        "/etc/passwd",
        "/proc/self/environ",
        f"../../../{secret.parent.name}/{secret.name}",
        "../" * 12 + "etc/passwd",
        "etc-link/passwd",
        "letter-link.txt",
        "~root/.bashrc",
        f"~{os.environ.get('USER', 'root')}/secret-letter.txt",
        "~/../../../etc/passwd",
        "letter.txt\x00/etc/passwd",
    ]


def test_a_confined_person_reaches_only_inside_their_folder(tmp_path: Path, secret: Path) -> None:
    folder = own_folder(tmp_path / "home", 7)
    reach = FileReach.within(folder, own=True)
    (folder / "letter.txt").write_text("mine")
    for attack in _hostile(secret, folder):
        with pytest.raises(InputError) as refused:
            reach.resolve(attack)
        assert refused.value.code in ("outside_your_files", "bad_path"), attack
        assert "4711" not in refused.value.message
    assert reach.resolve("letter.txt") == str(folder / "letter.txt")
    assert reach.resolve("~/letter.txt") == str(folder / "letter.txt")
    assert reach.resolve(str(folder / "letter.txt")) == str(folder / "letter.txt")
    assert reach.shown(str(folder / "letter.txt")) == "~/letter.txt"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_the_owner_reaches_anywhere_and_a_bare_context_nowhere(secret: Path) -> None:
    assert FileReach.anywhere().resolve(str(secret)) == str(secret)
    with pytest.raises(InputError) as refused:
        FileReach.nowhere().resolve(str(secret))
    assert refused.value.code == "no_file_access"
    with pytest.raises(InputError):
        FileReach.nowhere().default_folder()


class _Sneaky:
    """A plugin tool that reads a server path but says nothing about what it touches."""

    name: ClassVar[str] = "sneaky"
    summary: ClassVar[str] = "reads a file"
    examples: ClassVar[tuple[str, ...]] = ("/etc/passwd",)

    class Args(BaseModel):
        where: str = Field("")

    def from_command(self, text: str) -> BaseModel:
        return self.Args(where=text)

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        return f"would read {args.where}"

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        return Outcome("ran")

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        return "undone"


def test_a_tool_that_does_not_say_what_it_touches_is_the_owners_alone(tmp_path: Path) -> None:
    tool = _Sneaky()
    assert touches(tool) == "server_files"
    confined = FileReach.within(tmp_path)
    with pytest.raises(InputError) as refused:
        admit(tool, tool.Args(where="/etc/passwd"), confined)
    assert refused.value.code == "owner_only"
    assert admit(tool, tool.Args(where="/etc/passwd"), FileReach.anywhere()).where == "/etc/passwd"
    with pytest.raises(InputError):
        check_paths(tool, [], confined)


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


async def _context(db: Database, name: str) -> tuple[UserStore, ToolContext]:
    store = await db.user(name)
    return store, await context_for(store, home=db.path.parent)


async def test_proofread_of_the_owners_file_is_refused_for_another_account(
    people: Database, secret: Path
) -> None:
    _, ctx = await _context(people, "alice")
    assert ctx.files.own and ctx.files.confined
    before = _bytes(secret)
    for attack in _hostile(secret, Path(str(ctx.files.root))):
        with pytest.raises(InputError):
            await propose(Proofread(), ctx, ProofreadArgs(path=attack))
    assert _bytes(secret) == before


async def test_the_owner_proofreads_a_server_file(people: Database, secret: Path) -> None:
    await Accounts(people).ensure_owner("owner")
    _, ctx = await _context(people, "owner")
    assert not ctx.files.confined
    proposed = await propose(Proofread(), ctx, ProofreadArgs(path=str(secret)))
    assert isinstance(proposed, Proposed)
    assert "Thier" in proposed.event.preview


async def test_an_upload_is_proofread_and_a_narrowed_reach_stops_confirm_and_undo(
    people: Database, tmp_path: Path
) -> None:
    accounts = Accounts(people)
    store, ctx = await _context(people, "alice")
    letter = Path(str(ctx.files.root)) / "letter.txt"
    letter.write_text("I recieve your letter.\n")
    proposed = await propose(Proofread(), ctx, ProofreadArgs(path="letter.txt"))
    assert isinstance(proposed, Proposed)
    assert "~/letter.txt" in proposed.event.preview
    assert str(ctx.files.root) not in proposed.event.preview  # the server's layout stays hidden

    elsewhere = tmp_path / "alice-shared"
    elsewhere.mkdir()
    await accounts.set_files("alice", str(elsewhere))  # the admin narrows her reach
    _, narrowed = await _context(people, "alice")
    settled = await carry_out(Proofread(), narrowed, proposed.event.proposal_id, confirm=True)
    assert isinstance(settled, ActionSettled) and settled.status == "failed"
    assert "not among your files" in settled.message
    assert letter.read_text() == "I recieve your letter.\n"

    await accounts.set_files("alice", "")  # back to her own folder: now it may run
    again = await propose(Proofread(), ctx, ProofreadArgs(path="letter.txt"))
    assert isinstance(again, Proposed)
    done = await carry_out(Proofread(), ctx, again.event.proposal_id, confirm=True)
    assert isinstance(done, ActionSettled) and done.status == "done"
    assert letter.read_text() == "I receive your letter.\n"
    await accounts.set_files("alice", str(elsewhere))
    _, narrowed = await _context(people, "alice")
    with pytest.raises(InputError) as refused:
        await take_back(lambda name: Proofread(), narrowed, again.event.proposal_id)
    assert refused.value.code == "outside_your_files"
    assert letter.read_text() == "I receive your letter.\n"
    assert isinstance(store, UserStore)


async def test_a_kept_original_has_the_files_own_mode(people: Database, tmp_path: Path) -> None:
    store, ctx = await _context(people, "alice")
    letter = Path(str(ctx.files.root)) / "private.txt"
    letter.write_text("I recieve your letter.\n")
    letter.chmod(0o600)
    proposed = await propose(Proofread(), ctx, ProofreadArgs(path="private.txt"))
    assert isinstance(proposed, Proposed) and isinstance(proposed.event, ProposalMade)
    await carry_out(Proofread(), ctx, proposed.event.proposal_id, confirm=True)
    kept = list((tmp_path / "home" / "skills" / str(store.user.id)).rglob("*private.txt"))
    assert len(kept) == 1 and oct(kept[0].stat().st_mode & 0o777) == "0o600"
    assert oct(letter.stat().st_mode & 0o777) == "0o600"


async def test_granting_a_folder_refuses_the_system_and_os1s_own_data(
    people: Database, tmp_path: Path
) -> None:
    accounts = Accounts(people)
    await people.user("alice")
    home = people.path.parent
    for bad in ("/", "/etc", "/proc", "/proc/self", "relative/dir", str(tmp_path / "nope")):
        with pytest.raises(InputError):
            await accounts.set_files("alice", bad)
    for holding_data in (str(home), str(home / "skills"), str(home.parent)):
        (home / "skills").mkdir(exist_ok=True)
        with pytest.raises(InputError) as refused:
            await accounts.set_files("alice", holding_data)
        assert refused.value.code == "files_os1_data"
    folder = tmp_path / "alice-files"
    folder.mkdir()
    assert (await accounts.set_files("alice", str(folder))).files == str(folder)
    assert (await accounts.set_files("alice", "")).files_in_words == "own folder"
