"""Third-party skills arrive through the ``os1`` entry-point group, like os1's own."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from os1.skills.registry import SkillRegistry, load_skills

GOOD_PLUGIN = """
from pydantic import BaseModel
from os1.plugins.hookspecs import hookimpl
from os1.skills.base import Outcome, args_from_text


class WaterArgs(BaseModel):
    plant: str


class WaterPlant:
    name = "water_plant"
    summary = "water a named plant"
    Args = WaterArgs
    examples = ("the fern",)

    def from_command(self, text):
        return args_from_text(self, text)

    async def plan(self, ctx, args):
        return f"The {args.plant} looks fine today."

    async def run(self, ctx, args):
        return Outcome("watered")

    async def undo(self, ctx, undo):
        return "cannot unwater"


@hookimpl
def register_tools(register):
    register(WaterPlant())
"""

BROKEN_ON_IMPORT = "raise RuntimeError('this plugin is broken')\n"

BAD_TOOL = """
from os1.plugins.hookspecs import hookimpl


class Nameless:
    name = "Not A Name"


@hookimpl
def register_tools(register):
    register(Nameless())
"""


def _install(site: Path, dist: str, module: str, source: str) -> None:
    (site / f"{module}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"  # as pip names the folder
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[os1]\n{dist} = {module}\n")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """A directory of installed distributions, as pip would leave them."""
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in ("os1_water", "os1_broken", "os1_bad_tool"):
        sys.modules.pop(name, None)


async def test_an_installed_plugin_adds_its_tool_and_broken_ones_are_reported(site: Path) -> None:
    _install(site, "os1-water", "os1_water", GOOD_PLUGIN)
    _install(site, "os1-broken", "os1_broken", BROKEN_ON_IMPORT)
    _install(site, "os1-bad-tool", "os1_bad_tool", BAD_TOOL)
    skills = load_skills()
    assert "water_plant" in skills.names()
    assert {"remember", "forget"} <= set(skills.names())  # the built-ins, through the same hook
    tool = skills.get("water_plant")
    assert tool is not None and tool.from_command("the fern").model_dump() == {"plant": "the fern"}
    problems = "\n".join(skills.problems)
    assert "os1-broken: RuntimeError: this plugin is broken" in problems
    assert "lower_snake" in problems and "Not A Name" in problems


def test_without_entry_points_only_the_builtins_load(site: Path) -> None:
    _install(site, "os1-water", "os1_water", GOOD_PLUGIN)
    assert "water_plant" not in load_skills(entry_points=False).names()


def test_a_name_is_taken_once() -> None:
    skills = load_skills(entry_points=False)
    tool = skills.get("remember")
    with pytest.raises(ValueError, match="already registered"):
        SkillRegistry([tool, tool])  # type: ignore[list-item]
