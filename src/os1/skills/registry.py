"""The tools the companion has, by name: os1's own and those of installed plugins, all
registered through the ``register_tools`` hook."""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel

from os1.plugins.manager import load_plugins
from os1.skills import builtin
from os1.skills.base import Tool

log = logging.getLogger(__name__)
_NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")


class SkillRegistry:
    def __init__(self, tools: list[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
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


def load_skills(*, entry_points: bool = True) -> SkillRegistry:
    """Every tool: the built-ins, then each installed plugin's (a broken one is skipped
    and named in ``problems``)."""
    plugins = load_plugins([builtin], entry_points=entry_points)
    registry = SkillRegistry()
    registry.problems += plugins.problems
    # each plugin's hook on its own, so one that raises cannot hide the others' tools
    for impl in reversed(plugins.manager.hook.register_tools.get_hookimpls()):
        source = impl.plugin_name

        def register(tool: Any, source: str = source) -> None:
            try:
                registry.register(tool)
            except ValueError as exc:
                log.warning("plugin %s: %s", source, exc)
                registry.problems.append(f"{source}: {exc}")

        try:
            impl.function(register=register)
        except Exception as exc:  # someone else's code failed: report, keep the rest
            log.warning("plugin %s failed to register its tools: %s", source, exc)
            registry.problems.append(f"{source}: {type(exc).__name__}: {exc}")
    return registry


def builtin_skills() -> SkillRegistry:
    """Only os1's own tools (tests that must not see installed plugins)."""
    return load_skills(entry_points=False)
