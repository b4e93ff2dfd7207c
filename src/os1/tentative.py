"""A turn begun before it is certain the person has finished.

A voice conversation starts its reply at the first pause, while the person may still go
on (``voice.session``). Such a turn is *tentative*: it may read, recall and write its
reply, but nothing of it is kept (not the person's words, the reply, a memory or a
proposal) until the door decides. ``keep`` makes it an ordinary turn from then on;
``drop`` ends it with nothing stored. (Speculative replies at a pause are also how
Pipecat and LiveKit's agents hide their end-of-turn wait; this is os1's own take.)
"""

from __future__ import annotations

import asyncio


class Tentative:
    """The door's decision on a tentative turn, made once: kept or dropped."""

    def __init__(self) -> None:
        self._kept: bool | None = None
        self._decided = asyncio.Event()

    def keep(self) -> None:
        self._decide(True)

    def drop(self) -> None:
        self._decide(False)

    def _decide(self, kept: bool) -> None:
        if self._kept is None:
            self._kept = kept
            self._decided.set()

    @property
    def decided(self) -> bool:
        return self._kept is not None

    @property
    def dropped(self) -> bool:
        return self._kept is False

    async def wait(self) -> bool:
        """Whether the turn is kept, once the door has said."""
        await self._decided.wait()
        return bool(self._kept)
