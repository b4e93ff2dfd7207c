"""What the core's services share, built once by the companion: the store, the model,
memory, the skills, where the data lives, and the one place a person's ``ToolContext``
is made."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

from os1.config import Settings
from os1.errors import ConfigError
from os1.memory.store import Memory
from os1.models.base import LLM
from os1.models.prompt_cache import forget_saved_prompts
from os1.persona.onboarding import person_name
from os1.skills.base import ToolContext, context_for
from os1.skills.registry import SkillRegistry
from os1.store import StoreBase, UserStore


@dataclass
class Core:
    """The parts every core service works with.

    Args:
        settings: what the companion was started with; None when a test builds one by
            hand (then the services that need settings say so).
        local: calls come from the person at this machine (see ``skills.reach``).
    """

    db: StoreBase
    llm: LLM
    memory: Memory | None
    skills: SkillRegistry
    home: Path | None = None
    local: bool = False
    settings: Settings | None = None

    async def forget_cached_prompts(self) -> None:
        """Drop every cached prompt, in the model and saved in the home: after a memory is
        forgotten, no cache may still hold its words (the next prompt is read anew)."""
        erase = getattr(self.llm, "erase_kept_prompts", None)
        if callable(erase):
            await erase()
        if self.home is not None:
            await asyncio.to_thread(forget_saved_prompts, self.home)

    def person_waiting(self) -> AbstractAsyncContextManager[None]:
        """Around work a person waits for that is more than the model's (composing and
        rendering a piece): background model work (learning, reading the tool menu
        ahead) gives way until it is done, rather than taking a core from the render."""
        hold = getattr(self.llm, "hold_background", None)
        return hold() if callable(hold) else contextlib.nullcontext()

    async def store(self, user: str) -> UserStore:
        """The person's scoped store (``InputError`` if there is no such person)."""
        return await self.db.user(user)

    async def tool_context(self, store: UserStore) -> ToolContext:
        """What the person's tools may use, their file reach included: built here only."""
        return await context_for(
            store, memory=self.memory, llm=self.llm, home=self.home, local=self.local,
            person=await person_name(store) or "",
        )  # fmt: skip

    def needs_settings(self) -> Settings:
        """The settings, or a clear error for a companion built without them."""
        if self.settings is None:
            raise ConfigError(
                "no_settings",
                "This companion was built without settings.",
                "Start it with Companion.start or Companion.open.",
            )
        return self.settings
