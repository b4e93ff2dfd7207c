"""The plugin manager: os1's hookspecs plus whatever is installed under the ``os1``
entry-point group. A plugin that fails to load is reported, never fatal: a broken
third-party package must not stop the companion from starting."""

from __future__ import annotations

import importlib.metadata
import logging
from dataclasses import dataclass, field
from types import ModuleType

import pluggy

from os1.plugins import hookspecs

log = logging.getLogger(__name__)


@dataclass
class Plugins:
    manager: pluggy.PluginManager
    problems: list[str] = field(default_factory=list)  # "name: what went wrong"


def load_plugins(builtins: list[ModuleType], *, entry_points: bool = True) -> Plugins:
    """A manager with ``builtins`` registered first, then every ``os1`` entry point."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for module in builtins:
        manager.register(module)
    plugins = Plugins(manager)
    if not entry_points:
        return plugins
    for point in importlib.metadata.entry_points(group=hookspecs.PROJECT):
        if manager.get_plugin(point.name) is not None or manager.is_blocked(point.name):
            continue
        try:
            manager.register(point.load(), name=point.name)
        except Exception as exc:  # any error in someone else's code: report and go on
            log.warning("plugin %s did not load: %s", point.name, exc)
            plugins.problems.append(f"{point.name}: {type(exc).__name__}: {exc}")
    return plugins
