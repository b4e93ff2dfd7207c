"""The plugin manager: os1's hookspecs plus whatever is installed under the ``os1``
entry-point group. A plugin that fails to load is reported, never fatal: a broken
third-party package must not stop the companion from starting."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

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


def gather(plugins: Plugins, hook: str, accept: Callable[..., None]) -> None:
    """Call each plugin's ``hook`` in the order the plugins loaded (os1's own first),
    with a ``register`` of its own: each ``register(*args)`` becomes
    ``accept(plugin_name, *args)``.

    A plugin whose hook, or one of whose registrations, raises is named in
    ``plugins.problems`` and skipped; the other plugins' registrations stand.
    """
    caller = getattr(plugins.manager.hook, hook)
    for impl in reversed(caller.get_hookimpls()):  # pluggy lists the last loaded first
        source = impl.plugin_name

        def register(*args: Any, source: str = source) -> None:
            try:
                accept(source, *args)
            except (TypeError, ValueError) as exc:
                log.warning("plugin %s: %s", source, exc)
                plugins.problems.append(f"{source}: {exc}")

        try:
            impl.function(register=register)
        except Exception as exc:  # someone else's code failed: report, keep the rest
            log.warning("plugin %s failed in %s: %s", source, hook, exc)
            plugins.problems.append(f"{source}: {type(exc).__name__}: {exc}")
