"""What every route needs, built once per app: the companion, accounts, what is open for
whom (``live``), limits and the speech models (loaded lazily: a server nobody talks to
aloud never pays for them). With ``redis_url`` set, the limits and the news of turns are
the fleet's, kept in Redis (``fleet.py``); otherwise this process's own."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from os1.companion import Companion
from os1.config import Settings
from os1.core.accounts import Accounts
from os1.core.speech import SpeechModels
from os1.core.turns import CancelToken
from os1.server.fleet import Fleet, FleetBuckets, FleetGate, FleetTurnOrder
from os1.server.limits import Buckets, Gate, Order, TokenBuckets, TurnGate, TurnOrder
from os1.server.live import LiveSessions
from os1.server.news import Newsroom


def _set_event() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


@dataclass
class Services:
    settings: Settings
    companion: Companion
    accounts: Accounts
    live: LiveSessions  # open sockets and MCP sessions by account; ends them with it
    gate: Gate  # the model's: how many turns at once, for everyone
    order: Order  # each person's: one turn at a time, in the order they came
    requests: Buckets
    turns: Buckets
    speech: SpeechModels  # loaded on the first voice session, then shared by all
    signins: Buckets = field(default_factory=lambda: TokenBuckets(20, burst=10))
    news: Newsroom = field(default_factory=Newsroom)  # turns told to the person's other chats
    fleet: Fleet | None = None  # the state shared with other workers, when configured
    stopping: bool = False
    inflight: set[CancelToken] = field(default_factory=set)
    idle: asyncio.Event = field(default_factory=_set_event)

    @classmethod
    def build(cls, settings: Settings, companion: Companion) -> Services:
        accounts = companion.accounts
        fleet = Fleet(settings.redis_url) if settings.redis_url else None
        news = Newsroom()
        if fleet is not None:
            news.publish, fleet.on_news = fleet.publish_news, news.hear
        return cls(
            settings=settings,
            companion=companion,
            accounts=accounts,
            live=LiveSessions(
                accounts,
                per_person=settings.max_sockets_per_person,
                sweep_every=settings.session_sweep_seconds,
            ),
            speech=companion.speech.models(settings),
            news=news,
            fleet=fleet,
            **_limits(settings, fleet),
        )


def _limits(settings: Settings, fleet: Fleet | None) -> dict[str, Any]:
    """The turn gates and the rate buckets: the fleet's when there is one."""
    active, waiting = settings.active_turn_limit, settings.max_waiting_turns
    rates = {
        "requests": (settings.requests_per_minute, None),
        "turns": (settings.turns_per_minute, max(5, settings.turns_per_minute // 3)),
        "signins": (20, 10),
    }
    if fleet is None:
        limits: dict[str, Any] = {k: TokenBuckets(n, burst) for k, (n, burst) in rates.items()}
        return {**limits, "gate": TurnGate(active, waiting), "order": TurnOrder()}
    limits = {k: FleetBuckets(fleet, k, n, burst) for k, (n, burst) in rates.items()}
    return {**limits, "gate": FleetGate(fleet, active, waiting), "order": FleetTurnOrder(fleet)}


def services(connection: HTTPConnection) -> Services:
    """The app's services, from a request or a WebSocket alike."""
    found: Services = connection.app.state.services
    return found
