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
    },
    {"models", "store", "plugins"},
    {"memory", "skills", "voice", "persona"},
    {"turn"},
    {"companion", "briefing"},
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
