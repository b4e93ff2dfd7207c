"""Imports point one way (see DESIGN.md): a wrong arrow fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "os1"

# each layer may import only from layers listed before it (and from itself)
LAYERS = [
    {
        "__init__",
        "types",
        "errors",
        "config",
        "events",
        "presence",
        "testing_openai",
        "parsing_pool",
        "timewords",
        "stopwords",
        "quotations",
        "orders",
        "tentative",
    },
    {"models", "store", "plugins"},
    {"memory", "skills", "voice", "persona"},
    {"turn"},
    {"core"},  # the services the companion owns (os1.core)
    {"companion"},
    {"server"},
    {"cli"},  # the command line launches the server door (`os1 serve`, `os1 mcp`)
]


def _layer(module: str) -> int:
    top = module.split(".")[0]
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index
    raise AssertionError(f"os1.{module} is in no layer; add it to LAYERS")


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("os1."):
            found.append(node.module[4:])
        elif isinstance(node, ast.Import):
            found += [a.name[4:] for a in node.names if a.name.startswith("os1.")]
    return found


def test_imports_point_one_way() -> None:
    wrong = []
    for path in SRC.rglob("*.py"):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        here = _layer(module)
        for target in _imports(path):
            same_package = target.split(".")[0] == module.split(".")[0]
            there = _layer(target)
            # base modules may use each other; other packages only lower layers
            if not same_package and (there > here or (there == here and here > 0)):
                wrong.append(f"os1.{module} imports os1.{target}")
    assert not wrong, "\n".join(wrong)


def test_nothing_outside_the_doors_imports_server_or_cli() -> None:
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).parts[0] in ("cli", "server"):
            continue
        assert not [t for t in _imports(path) if t.split(".")[0] in ("cli", "server")], path


# what a door (the CLI, the server) may import: the core API and the plain shared modules
CORE_API = ("companion", "core", "events", "errors", "config")
DOORS = ("cli", "server")


def test_doors_import_only_the_core_api() -> None:
    """A door parses, calls the core and renders: it never reaches below the core (no
    ``store``, ``memory``, ``skills``, ``models``, ``turn``, ``voice``, ``persona``)."""
    wrong = []
    for path in SRC.rglob("*.py"):
        door = path.relative_to(SRC).parts[0]
        if door not in DOORS:
            continue
        for target in _imports(path):
            top = target.split(".")[0]
            if top not in CORE_API and top not in DOORS:
                wrong.append(f"{path.relative_to(SRC)} imports os1.{target}")
    assert not wrong, "doors reach below the core API:\n" + "\n".join(sorted(wrong))


# the companion's own parts, which only the core works with
INNARDS = {"db", "llm", "memory", "skills", "core", "_deps"}


def test_doors_never_reach_into_the_companion() -> None:
    """``companion.db.user(...)`` in a door is logic the core should own: every
    operation is a method of the companion or of one of its services."""
    wrong = []
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).parts[0] not in DOORS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Attribute) and node.attr in INNARDS):
                continue
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name == "companion":
                wrong.append(f"{path.relative_to(SRC)}:{node.lineno} companion.{node.attr}")
    assert not wrong, "doors reach into the companion:\n" + "\n".join(sorted(wrong))
