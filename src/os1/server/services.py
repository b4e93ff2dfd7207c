"""What every route needs, built once per app: the companion, accounts, what is open for
whom (``live``), limits and the speech models (loaded lazily: a server nobody talks to
aloud never pays for them)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from os1.companion import Companion
from os1.config import Settings
from os1.core.accounts import Accounts
from os1.core.speech import SpeechModels
from os1.core.turns import CancelToken
from os1.server.limits import TokenBuckets, TurnGate
from os1.server.live import LiveSessions


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
    gate: TurnGate
    requests: TokenBuckets
    turns: TokenBuckets
    speech: SpeechModels  # loaded on the first voice session, then shared by all
    signins: TokenBuckets = field(default_factory=lambda: TokenBuckets(20, burst=10))
    stopping: bool = False
    inflight: set[CancelToken] = field(default_factory=set)
    idle: asyncio.Event = field(default_factory=_set_event)

    @classmethod
    def build(cls, settings: Settings, companion: Companion) -> Services:
        accounts = companion.accounts
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
            gate=TurnGate(settings.active_turn_limit, settings.max_waiting_turns),
            requests=TokenBuckets(settings.requests_per_minute),
            turns=TokenBuckets(
                settings.turns_per_minute, burst=max(5, settings.turns_per_minute // 3)
            ),
        )


def services(connection: HTTPConnection) -> Services:
    """The app's services, from a request or a WebSocket alike."""
    found: Services = connection.app.state.services
    return found
