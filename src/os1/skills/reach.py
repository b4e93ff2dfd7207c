"""What a person's tools may touch: the capability model, decided in the core.

One server serves many people, and a few tools read or change files on the server's own
disk (proofread a file, tidy a folder, find a file, import an .ics). Those files belong
to whoever runs the server, so each tool says what it touches (``touches``):

- ``nothing``: only the words it is given;
- ``own_data``: the person's own memories and settings in the store;
- ``account``: the person's own mail or calendar account;
- ``server_files``: files and folders on the server's disk.

and each person has a ``FileReach``: the owner reaches anywhere the os1 process can; any
other account reaches one folder only, by default its own folder under os1's data, which
it fills by upload, or a folder the admin gave it (``os1 users files NAME --root DIR``).
The core resolves every path argument (fields marked ``PATH``) inside that folder before
a tool sees it, with ``realpath`` containment, so ``..``, a symbolic link to ``/etc``,
``~owner`` or ``/proc/self/environ`` all land outside and are refused; the files a plan
will touch are journaled with it and checked again when it is confirmed or undone (the
admin may have narrowed the reach meanwhile). A tool that names no ``touches`` is taken
to touch server files, the most guarded kind; one that reaches server files without
marking its path arguments is the owner's alone, since its paths cannot be checked.

A door run by the person at this machine's own terminal (the CLI, MCP over stdio) acts
with their shell's reach, which is anywhere: limiting it would guard nothing they cannot
already open.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel

from os1.errors import InputError
from os1.store.accounts import FILES_ANYWHERE

Touches = Literal["nothing", "own_data", "account", "server_files"]
PATH = "x-os1-path"  # marks an argument naming a file or folder on the server's disk
OWN_FILES = "files"  # each person's own folder: <home>/files/<user id>/

_UPLOAD_HINT = "Upload it first (the paperclip beside the message box, or PUT /api/files/NAME)"


def touches(tool: Any) -> Touches:
    """What ``tool`` says it touches (``server_files`` if it says nothing usable)."""
    said = getattr(tool, "touches", None)
    return cast(Touches, said) if said in get_args(Touches) else "server_files"


def path_fields(tool: Any) -> list[str]:
    """The tool's arguments that name a file or folder on the server."""
    return [
        name
        for name, info in tool.Args.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(PATH)
    ]


def own_folder(home: Path, user_id: int) -> Path:
    """The person's own folder for files they upload (made private on first use)."""
    folder = home / OWN_FILES / str(user_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class FileReach:
    """Where on the server's disk a person's tools may go.

    ``root`` None means anywhere; ``""`` means nowhere (a bare tool context); otherwise
    the real path of the one folder they may use. ``own`` says it is their upload folder.
    """

    root: str | None
    own: bool = False

    @classmethod
    def anywhere(cls) -> FileReach:
        return cls(None)

    @classmethod
    def nowhere(cls) -> FileReach:
        return cls("")

    @classmethod
    def within(cls, folder: str | Path, *, own: bool = False) -> FileReach:
        return cls(os.path.realpath(folder), own)

    @classmethod
    def of(cls, setting: str | None, home: Path | None, user_id: int) -> FileReach:
        """The reach a person's stored setting gives (see the module docstring); none
        for an account that is gone."""
        if setting is None:
            return cls.nowhere()
        if setting == FILES_ANYWHERE:
            return cls.anywhere()
        if setting:
            return cls.within(setting)
        if home is None:
            return cls.nowhere()
        return cls.within(own_folder(home, user_id), own=True)

    @property
    def confined(self) -> bool:
        return self.root is not None

    def _inside(self, real: str) -> bool:
        root = self.root
        if root is None:
            return True
        return bool(root) and (real == root or real.startswith(root.rstrip(os.sep) + os.sep))

    def allows(self, path: str) -> bool:
        """Whether ``path`` (as journaled: absolute) lies within reach, links resolved."""
        return self._inside(os.path.realpath(path))

    def resolve(self, path: str) -> str:
        """The real absolute path ``path`` names for this person.

        Within a folder, a relative path and ``~/...`` start in that folder, and an
        absolute one must lie in it; the result is checked after every ``..`` and link is
        resolved.

        Raises:
            InputError: it lies outside their reach, or they reach no files at all.
        """
        text = path.strip()
        if "\x00" in text:
            raise InputError("bad_path", "A path cannot hold a NUL character.")
        if self.root is None:
            return os.path.realpath(os.path.expanduser(text))
        if not self.root:
            raise self._refusal(path)
        if text == "~" or text.startswith("~/"):
            text = text[2:]
        elif text.startswith("~"):
            raise self._refusal(path)  # another account's home folder
        real = os.path.realpath(os.path.join(self.root, text))
        if not self._inside(real):
            raise self._refusal(path)
        return real

    def default_folder(self) -> str:
        """Where to look when the person names no folder: theirs, or (the owner) home.

        Raises:
            InputError: they reach no files at all.
        """
        if self.root is None:
            return os.path.realpath(os.path.expanduser("~"))
        if not self.root:
            raise self._refusal("")
        return self.root

    def shown(self, path: str) -> str:
        """``path`` as the person knows it: inside their folder as ``~/...``; for the
        owner, with ``~`` for the home folder."""
        root = self.root if self.root else os.path.expanduser("~").rstrip(os.sep)
        if root and (path == root or path.startswith(root.rstrip(os.sep) + os.sep)):
            rest = path[len(root) :].lstrip(os.sep)
            return "~/" + rest if rest else "~"
        return path

    def _refusal(self, path: str) -> InputError:
        shown = path.strip()[:200] or "that path"
        if not self.root:
            return InputError("no_file_access", "This conversation cannot use files on the server.")
        if self.own:
            hint = f"{_UPLOAD_HINT}, then name it, e.g. /proofread letter.txt."
        else:
            hint = "Name a file in the folder the admin gave you, e.g. ~/letter.txt."
        return InputError(
            "outside_your_files", f"{shown!r} is not among your files, so I cannot use it.", hint
        )


def admit(tool: Any, args: BaseModel, reach: FileReach) -> BaseModel:
    """``args`` with each path argument resolved within ``reach``.

    Raises:
        InputError: the tool is the owner's alone, or a path lies outside the reach.
    """
    fields = path_fields(tool)
    if touches(tool) == "server_files" and reach.confined and not fields:
        raise _owner_only(tool)
    updates = {}
    for name in fields:
        value = getattr(args, name, "")
        if isinstance(value, str) and value.strip():
            updates[name] = reach.resolve(value)
    return args.model_copy(update=updates) if updates else args


def check_paths(tool: Any, paths: Sequence[str], reach: FileReach) -> None:
    """Refuse a plan (or a journaled one, at confirm or undo time) that would touch
    files outside ``reach``.

    Raises:
        InputError: a path is outside, or the tool reaches server files without naming
            which (only the owner may run it then).
    """
    if not reach.confined or touches(tool) != "server_files":
        return
    if not paths:
        raise _owner_only(tool)
    for path in paths:
        if not reach.allows(path):
            # by its name only: the journaled path may lie in a folder of the server's
            # that is not theirs (any more), and where that is is not theirs to learn
            raise reach._refusal(os.path.basename(path.rstrip(os.sep)))


def _owner_only(tool: Any) -> InputError:
    return InputError(
        "owner_only",
        f"/{tool.name} works on the server's own files, which only its owner may use.",
        "Ask the server's owner, or bring the file by upload to a tool that takes one.",
    )
