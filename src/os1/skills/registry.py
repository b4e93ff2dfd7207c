"""The tools the companion has, by name. Built-ins are registered here; third-party
skills will register through the plugin hooks (``plugins/``) into the same registry."""

from __future__ import annotations

from os1.skills.base import Tool
from os1.skills.memory_tools import ForgetMemories, RememberNote


class SkillRegistry:
    def __init__(self, tools: list[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools or []:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"a tool called {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return sorted(self._tools)


def builtin_skills() -> SkillRegistry:
    return SkillRegistry([RememberNote(), ForgetMemories()])
