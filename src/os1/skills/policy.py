"""Standing policies: tools the person has said may run without asking each time.

Only the person sets them (``os1 skills allow NAME``); nothing a mail, file or model says
can. Only undoable tools can be allowed: an action that cannot be taken back (sending a
mail, forgetting for good) is always asked about.
"""

from __future__ import annotations

from os1.errors import InputError
from os1.skills.registry import SkillRegistry
from os1.store import UserStore

ALLOW_KEY = "skills.allow"


async def allowed(store: UserStore) -> set[str]:
    saved = await store.get_setting(ALLOW_KEY, [])
    return {str(name) for name in saved} if isinstance(saved, list) else set()


async def set_allowed(store: UserStore, skills: SkillRegistry, name: str, allow: bool) -> set[str]:
    """Allow or stop allowing ``name`` to run without a question; the new set.

    Raises:
        InputError: there is no such tool.
    """
    if skills.get(name) is None:
        raise InputError(
            "unknown_tool",
            f"There is no tool called {name!r}.",
            f"Tools: {', '.join(skills.names())}.",
        )
    names = await allowed(store)
    names = names | {name} if allow else names - {name}
    await store.set_setting(ALLOW_KEY, sorted(names))
    return names
