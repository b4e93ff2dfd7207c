"""The living profile: current facts in sections, with their evidence, as stable text."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.memory.facts import FactBook, NewFact
from os1.memory.profile import Profile, build_profile
from os1.store import Database, UserStore

NOW = dt.datetime(2026, 3, 3, 18, 0).timestamp()
DAY = 86400.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[UserStore]:
    db = await Database.open(tmp_path / "os1.db")
    yield await db.user("maya")
    await db.aclose()


@pytest.fixture
async def ids(store: UserStore) -> dict[str, int]:
    """Maya's facts, each said in its own episode; returns fact ids by a short key."""
    log, book = EpisodeLog(store), FactBook(store)
    monday = dt.datetime(2026, 3, 9).timestamp()
    facts = {
        "porto": ("person", "user", "lives_in", "Porto", "Maya lives in Porto.", None),
        "lisbon": ("person", "user", "lives_in", "Lisbon", "Maya lives in Lisbon.", None),
        "job": ("person", "user", "job", "baker", "Maya is a baker.", None),
        "sister": ("relation", "user", "sister_name", "Ottoline", "Maya's sister is Ottoline.",
                   None),
        "otto_home": ("person", "Ottoline", "lives_in", "Lisbon", "Ottoline lives in Lisbon.",
                      None),
        "tea": ("preference", "user", "likes", "tea", "Maya likes tea.", None),
        "cats": ("preference", "user", "allergic_to", "cats", "Maya is allergic to cats.", None),
        "coriander": ("preference", "user", "food", "coriander", "Maya hates coriander.", None),
        "start": ("plan", "user", "starts_job", "bakery",
                  "Maya starts at the bakery next Monday.", monday),
        "swim": ("routine", "user", "swims", "Thursdays", "Maya swims every Thursday.", None),
        "nervous": ("feeling", "user", "feels", "nervous", "Maya is nervous about the job.",
                    NOW - 2 * DAY),
        "sad": ("feeling", "user", "feels", "sad", "Maya felt sad.", NOW - 90 * DAY),
        "party": ("event", "user", "went_to", "a party", "Maya went to a party.", NOW - 3 * DAY),
    }  # fmt: skip
    out = {}
    for n, (key, (kind, subject, attribute, value, text, valid_at)) in enumerate(facts.items()):
        episode = await log.add(NewEpisode("user", text, time=NOW - 100 * DAY + n * DAY))
        new = NewFact(kind, subject, attribute, value, text, valid_at, episode_ids=(episode,))
        [out[key]] = await book.add([new])
    return out


def texts(lines: list[object]) -> list[str]:
    return [line.text for line in lines]  # type: ignore[attr-defined]


async def test_facts_land_in_their_sections_with_their_evidence(
    store: UserStore, ids: dict[str, int]
) -> None:
    profile = await build_profile(store, now=NOW)

    assert texts(profile.who) == ["Maya lives in Lisbon.", "Maya is a baker."]  # Porto is old
    assert {who: texts(lines) for who, lines in profile.people.items()} == {
        "Ottoline": ["Maya's sister is Ottoline.", "Ottoline lives in Lisbon."]
    }
    assert texts(profile.likes) == ["Maya likes tea."]
    assert texts(profile.dislikes) == ["Maya is allergic to cats.", "Maya hates coriander."]
    assert texts(profile.plans) == ["Maya starts at the bakery next Monday."]
    assert texts(profile.routines) == ["Maya swims every Thursday."]
    assert texts(profile.feelings) == ["Maya is nervous about the job."]  # "sad" is 90 days old
    assert texts(profile.events) == ["Maya went to a party."]
    [plan] = profile.plans
    assert plan.fact_id == ids["start"]
    episodes = await EpisodeLog(store).get(list(plan.source_episode_ids))
    assert [e.text for e in episodes] == ["Maya starts at the bakery next Monday."]


async def test_the_prompt_text_is_compact_stable_and_dated(
    store: UserStore, ids: dict[str, int]
) -> None:
    text = (await build_profile(store, now=NOW)).to_prompt()

    assert text == (await build_profile(store, now=NOW)).to_prompt()
    assert len(text) <= 1200
    assert text.splitlines()[:3] == [
        "Who they are:",
        "- Maya lives in Lisbon.",
        "- Maya is a baker.",
    ]
    assert "- Ottoline: Maya's sister is Ottoline. Ottoline lives in Lisbon." in text
    assert "- Maya starts at the bakery next Monday. (2026-03-09)" in text  # the real date
    assert "Porto" not in text and "sad" not in text
    headings = [line for line in text.splitlines() if not line.startswith("- ")]
    assert headings == [
        "Who they are:",
        "People in their life:",
        "Likes:",
        "Dislikes and allergies:",
        "Goals and plans:",
        "Routines:",
        "Lately they feel:",
        "Recent events:",
    ]


async def test_a_small_budget_drops_whole_lines_from_the_end(
    store: UserStore, ids: dict[str, int]
) -> None:
    profile = await build_profile(store, now=NOW)
    short = profile.to_prompt(max_chars=120)

    assert 0 < len(short) <= 120
    assert profile.to_prompt().startswith(short)
    assert short.splitlines()[-1].startswith("- ")  # no heading left hanging
    assert profile.to_prompt(max_chars=5) == ""


async def test_to_dict_carries_fact_ids_and_sources(store: UserStore, ids: dict[str, int]) -> None:
    data = (await build_profile(store, now=NOW)).to_dict()

    assert json.loads(json.dumps(data)) == data
    [home, job] = data["who"]
    assert job["fact_id"] == ids["job"]
    assert home["fact_id"] == ids["lisbon"] and home["source_episode_ids"]
    assert [line["fact_id"] for line in data["people"]["Ottoline"]] == [
        ids["sister"],
        ids["otto_home"],
    ]
    assert data["plans"][0]["valid_at"] == dt.datetime(2026, 3, 9).timestamp()


async def test_nothing_known_means_an_empty_profile(store: UserStore) -> None:
    profile = await build_profile(store)
    assert profile.is_empty()
    assert profile.to_prompt() == ""
    assert profile == Profile()
