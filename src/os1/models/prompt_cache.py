"""Prompt caches that outlive the process (issue 15).

Reading the stable head of a prompt (the persona and profile, the tool menu) costs a new
process 10–30 s on two cores; a slot's cache saved at close and restored at start costs
milliseconds (measured: 590 tokens, 17 MB, saved in 13 ms, restored in 6 ms). llama.cpp
saves and restores a slot (``POST /slots/N?action=save|restore`` on the model's private
socket, files under ``slot_save_path``). A restored slot is only ever reused up to the
first token where a new prompt differs, so a stale cache costs speed, never correctness.

The files are kept in the person's home (they hold the text of the last prompt, which is
theirs), named after the model file, its size, the context size and the llama.cpp build,
so another model's or another version's cache is never loaded. A file that fails to
restore is deleted and the prompt read as usual. Writes go to a temporary name and are
renamed into place, so two processes closing at once cannot leave a torn file.
Forgetting a memory deletes them (``forget_saved_prompts``): a forgotten fact must not
live on in a saved prompt.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FOLDER = "prompt-cache"
LARGEST_FILE = 1 << 30  # bytes; a bigger file is not ours (4,096 tokens are ~120 MB)


def saved_prompts_dir(home: Path) -> Path:
    return home / FOLDER


def forget_saved_prompts(home: Path) -> None:
    """Delete every saved prompt of this home (after a memory is forgotten)."""
    for found in saved_prompts_dir(home).glob("*.bin*"):
        with contextlib.suppress(OSError):
            found.unlink()


class SavedPrompts:
    """The saved caches of ``slots`` of one model, in ``folder``.

    Args:
        folder: where the files live (made private to the user if missing).
        key: what a cache must match to be loaded: model file, size, context, build.
        slots: the slots worth keeping (the person's turns, the tool menu).
        grow_only: slots whose file is replaced only by a save holding at least as many
            tokens as were restored: the tool menu never changes within a version, and a
            process that left before reading all of it must not replace a whole one.
    """

    def __init__(
        self, folder: Path, key: str, slots: tuple[int, ...], grow_only: tuple[int, ...] = ()
    ) -> None:
        self.folder, self.key, self.slots, self.grow_only = folder, key, slots, grow_only
        self.restored: dict[int, int] = {}
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def name(self, slot: int) -> str:
        return f"{self.key}-slot{slot}.bin"

    def restore(self, post: Any) -> int:
        """Load each saved slot through ``post(path, json) -> response``; tokens restored."""
        restored = 0
        for slot in self.slots:
            path = self.folder / self.name(slot)
            try:
                if not path.is_file():
                    continue
                if path.stat().st_size > LARGEST_FILE:
                    raise ValueError("too large")
                answer = post(f"/slots/{slot}?action=restore", {"filename": path.name})
                if answer.status_code != 200:
                    raise ValueError(answer.text[:200])
                self.restored[slot] = int(answer.json().get("n_restored", 0))
                restored += self.restored[slot]
            except Exception as exc:  # the native layer and httpx raise their own kinds
                log.debug("saved prompt %s not restored (%s); it is read anew", path.name, exc)
                with contextlib.suppress(OSError):
                    path.unlink()
        return restored

    def save(self, post: Any) -> None:
        """Save each slot that holds something, replacing its file atomically."""
        for slot in self.slots:
            final = self.folder / self.name(slot)
            temporary = f"{final.name}.{os.getpid()}.tmp"
            try:
                answer = post(f"/slots/{slot}?action=save", {"filename": temporary})
                saved = int(answer.json().get("n_saved", 0)) if answer.status_code == 200 else 0
                enough = max(1, self.restored.get(slot, 0) if slot in self.grow_only else 1)
                if saved >= enough:
                    os.replace(self.folder / temporary, final)
            except Exception as exc:  # a full disk, a closed socket: next time reads anew
                log.debug("prompt of slot %d not saved (%s)", slot, exc)
            finally:
                with contextlib.suppress(OSError):
                    (self.folder / temporary).unlink()
