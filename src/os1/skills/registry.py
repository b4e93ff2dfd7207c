"""The tools the companion has, by name, and the tables they keep: os1's own and those
of installed plugins, all registered through the ``register_tools`` and
``register_migrations`` hooks."""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel

from os1.plugins.manager import Plugins, gather, load_plugins
from os1.skills import builtin
from os1.skills.base import Tool
from os1.store.migrations import Migration

log = logging.getLogger(__name__)
_NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")
_MIGRATION = re.compile(r"[0-9a-z_]{1,64}")
# os1's own skills keep the migration names they shipped with in the core list
OWN = "os1."


class SkillRegistry:
    def __init__(self, tools: list[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        self.migrations: list[Migration] = []  # the skills' own tables, in order
        self.problems: list[str] = []  # plugins or tools that could not be registered
        for tool in tools or []:
            self.register(tool)

    def register(self, tool: Any) -> None:
        """Add ``tool``.

        Raises:
            ValueError: the name is taken or malformed, or the tool lacks its parts.
        """
        name = getattr(tool, "name", None)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"a tool's name must be lower_snake (2-40 characters): {name!r}")
        if name in self._tools:
            raise ValueError(f"a tool called {name!r} is already registered")
        args = getattr(tool, "Args", None)
        if not (isinstance(args, type) and issubclass(args, BaseModel)):
            raise ValueError(f"tool {name!r} has no pydantic Args model")
        missing = [
            part
            for part in ("summary", "examples", "from_command", "plan", "run", "undo")
            if not hasattr(tool, part)
        ]
        if missing:
            raise ValueError(f"tool {name!r} lacks {', '.join(missing)}")
        self._tools[name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def tools(self) -> list[Tool]:
        return [self._tools[n] for n in self.names()]


def load_skills(*, entry_points: bool = True, plugins: Plugins | None = None) -> SkillRegistry:
    """Every tool and every table they need: the built-ins, then each installed
    plugin's (a broken one is skipped and named in ``problems``).

    Args:
        plugins: the loaded plugins, when the caller loads them for other hooks too;
            else os1's own skills plus (with ``entry_points``) the installed ones.
    """
    if plugins is None:
        plugins = load_plugins([builtin], entry_points=entry_points)
    registry = SkillRegistry()
    gather(plugins, "register_tools", lambda _source, tool: registry.register(tool))

    def migration(source: str, name: str, migrate: Any) -> None:
        if not isinstance(name, str) or not _MIGRATION.fullmatch(name) or not callable(migrate):
            raise ValueError(f"migration {name!r} needs a lower_snake name and a function")
        recorded = name if source.startswith(OWN) else f"{source}:{name}"
        if any(recorded == known for known, _ in registry.migrations):
            raise ValueError(f"migration {recorded!r} is registered twice")
        registry.migrations.append((recorded, migrate))

    gather(plugins, "register_migrations", migration)
    registry.problems += plugins.problems
    return registry


def builtin_skills() -> SkillRegistry:
    """Only os1's own tools (tests that must not see installed plugins)."""
    return load_skills(entry_points=False)
