"""The calendar in conversation with the real model and a real CalDAV server: "lunch with
Amy next Thursday at one" becomes a proposal, then an event on the server, then nothing
again after undo."""

from __future__ import annotations

import asyncio

import pytest
from calendar_parts import radicale, server_calendar, server_titles

from conftest import collect, proposal_for
from os1.companion import Companion
from os1.events import ActionSettled, TextDelta
from os1.skills.calendar.clock import ZONE_SETTING
from os1.skills.calendar.sync import Account, connect

__all__ = ["radicale"]
pytestmark = pytest.mark.real_model


async def test_lunch_with_amy_reaches_the_server_and_undo_takes_it_back(
    real_routed: Companion, radicale: str
) -> None:
    store = await real_routed.db.user("ada")
    await store.set_setting(ZONE_SETTING, "Europe/Berlin")
    await connect(store, Account(radicale, "ada", "secret", "os1"))
    server = await asyncio.to_thread(server_calendar, radicale)

    proposal = await proposal_for(real_routed, "ada", "lunch with Amy next Thursday at one")
    assert proposal.tool == "add_event"
    assert "Thursday" in proposal.preview and "1:00 pm" in proposal.preview
    assert await asyncio.to_thread(server_titles, server) == set()

    [done] = await collect(real_routed.decide("ada", proposal.proposal_id, confirm=True))
    assert isinstance(done, ActionSettled) and done.status == "done"
    titles = await asyncio.to_thread(server_titles, server)
    assert len(titles) == 1 and "Amy" in titles.pop()

    # "next Thursday" is 1 to 13 days away whatever today is: one question, no branch
    events = await collect(real_routed.turn("ada", "What's on my calendar in the next 14 days?"))
    listing = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "Amy" in listing

    undone = await real_routed.undo("ada", proposal.proposal_id)
    assert undone.status == "undone"
    assert await asyncio.to_thread(server_titles, server) == set()
