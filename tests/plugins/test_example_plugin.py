"""The example plugin, installed as pip would install it: its table is made (named by the
plugin) and dropped with the account, its tool runs and undoes through the companion's
one action lifecycle, and its model backend is chosen by name."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import collect
from os1.companion import Companion
from os1.config import load_settings
from os1.errors import ConfigError
from os1.events import ActionSettled, ProposalMade, TextDelta

HERE = Path(__file__).parent


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[None]:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(HERE / "os1_example_plugin.py", site)
    info = site / "os1_plant_diary-0.1.dist-info"  # as pip names the folder
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: os1-plant-diary\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[os1]\nplant-diary = os1_example_plugin\n")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    yield
    sys.path.remove(str(site))
    sys.modules.pop("os1_example_plugin", None)


async def test_a_plugin_brings_its_table_tool_and_model(installed: None, tmp_path: Path) -> None:
    # tools by slash command only: a scripted model cannot choose them from words
    flags = {"home": str(tmp_path / "home"), "llm_backend": "plant_diary", "tool_choice": False}
    settings = load_settings(flags)
    companion = await Companion.start(settings, warm=False)
    try:
        turn = await collect(companion.turn("ada", "how are my plants?"))
        assert "Plants fine." in "".join(e.text for e in turn if isinstance(e, TextDelta))

        [proposal] = [
            e
            for e in await collect(companion.turn("ada", "/water_plant the fern"))
            if isinstance(e, ProposalMade)
        ]
        [done] = await collect(companion.decide("ada", proposal.proposal_id, confirm=True))
        assert isinstance(done, ActionSettled) and done.status == "done"
        store = await companion.db.user("ada")
        count = "SELECT count(*) AS n FROM plant_waterings WHERE user_id = :user_id"
        assert (await store.read(lambda db: db.execute(count)))[0]["n"] == 1

        assert (await companion.undo("ada", proposal.proposal_id)).status == "undone"
        assert (await store.read(lambda db: db.execute(count)))[0]["n"] == 0

        applied = await companion.db.read(
            lambda conn: [r[0] for r in conn.execute("SELECT name FROM schema_migrations")]
        )
        assert "plant-diary:0001_plant_waterings" in applied
        assert "0008_calendar" in applied and "0009_mail" in applied  # the skills' own

        again = await collect(companion.turn("ada", "/water_plant the basil"))
        [second] = [e for e in again if isinstance(e, ProposalMade)]
        await collect(companion.decide("ada", second.proposal_id, confirm=True))
        await companion.accounts.delete("ada")
        everyone = await companion.db.read(
            lambda conn: conn.execute("SELECT count(*) FROM plant_waterings").fetchone()[0]
        )
        assert everyone == 0  # the plugin's rows went with the account
    finally:
        await companion.aclose()

    again = await Companion.start(settings, warm=False)  # a second start migrates nothing
    await again.aclose()


async def test_an_unknown_backend_names_the_ones_there_are(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path / "home"), "llm_backend": "nowhere"})
    with pytest.raises(ConfigError) as caught:
        await Companion.start(settings, warm=False)
    assert "nowhere" in caught.value.message and "local, openai, scripted" in caught.value.hint
