"""The journal of actions, the skills on offer and the standing policies, for every door
(``os1 actions`` / ``os1 skills``, the HTTP API, MCP).

Proposing, deciding and undoing are the companion's own methods (``Companion.propose``,
``decide``, ``undo``), all three carried out by ``skills.proposals``; this service only
reads the journal and keeps the person's "may act without asking" list.
"""

from __future__ import annotations

from dataclasses import dataclass

from os1.core.base import Core
from os1.skills.journal import Action, Journal
from os1.skills.policy import allowed, set_allowed

__all__ = ["Action", "Actions", "Skill"]

MOST_LISTED = 500  # actions one listing returns at most


@dataclass(frozen=True)
class Skill:
    """A tool on offer, as a door lists it."""

    name: str
    summary: str
    asks_first: bool  # False once the person allowed it to act without asking


class Actions:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def recent(self, user: str, limit: int = 20) -> list[Action]:
        """The person's newest actions first (at most ``MOST_LISTED``)."""
        store = await self.core.store(user)
        return await Journal(store).recent(max(1, min(limit, MOST_LISTED)))

    async def get(self, user: str, action_id: int) -> Action | None:
        """One of the person's actions; None if they have none of that id."""
        return await Journal(await self.core.store(user)).get(action_id)

    def has_tool(self, name: str) -> bool:
        return self.core.skills.get(name) is not None

    async def skills(self, user: str) -> list[Skill]:
        """Every tool, with whether it still asks this person first."""
        free = await allowed(await self.core.store(user))
        return [
            Skill(tool.name, tool.summary, tool.name not in free)
            for tool in self.core.skills.tools()
        ]

    @property
    def problems(self) -> list[str]:
        """Plugins or tools that could not be loaded, each with its reason."""
        return list(self.core.skills.problems)

    async def allow(self, user: str, name: str, allow: bool) -> None:
        """Let ``name`` act without asking (or ask first again).

        Raises:
            InputError: there is no such tool, or it cannot be undone.
        """
        await set_allowed(await self.core.store(user), self.core.skills, name, allow)
