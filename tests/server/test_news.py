"""The news of a person's turns reaches their other open chats: all of theirs but the
one it came from, nobody else's, and a socket slow to take it holds up nobody."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from os1.server import news as news_module
from os1.server.news import Newsroom, TurnNews


def _heard_by(room: Newsroom, account: int, ear: str) -> tuple[Any, list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []

    async def deliver(news: dict[str, Any]) -> None:
        got.append(news)

    return room.listening(account, ear, deliver), got


async def test_news_reaches_the_persons_other_chats_only() -> None:
    room = Newsroom()
    one, heard_one = _heard_by(room, 1, "tab-1")
    two, heard_two = _heard_by(room, 1, "tab-2")
    other, heard_other = _heard_by(room, 2, "tab-3")
    with one, two, other:
        news = TurnNews("hello", "Hi there.", 7, "t-1").to_dict()
        room.tell(1, "tab-1", news)
        await room.quiet()
    assert heard_one == [] and heard_other == []
    assert [(n["type"], n["said"], n["reply"]) for n in heard_two] == [
        ("elsewhere", "hello", "Hi there.")
    ]
    assert heard_two[0]["conversation_id"] == 7 and heard_two[0]["interrupted"] is False


async def test_a_turn_from_no_chat_reaches_every_chat_and_a_closed_one_hears_nothing() -> None:
    room = Newsroom()
    one, heard_one = _heard_by(room, 1, "tab-1")
    two, heard_two = _heard_by(room, 1, "tab-2")
    with one:
        with two:
            room.tell(1, None, {"type": "elsewhere", "said": "from /v1"})
            await room.quiet()
        room.tell(1, None, {"type": "elsewhere", "said": "later"})
        await room.quiet()
    assert [n["said"] for n in heard_one] == ["from /v1", "later"]
    assert [n["said"] for n in heard_two] == ["from /v1"]
    assert room.listeners(1) == 0


async def test_a_slow_or_broken_socket_holds_up_neither_the_turn_nor_the_others(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(news_module, "SEND_WITHIN", 0.2)
    room = Newsroom()

    async def stuck(news: dict[str, Any]) -> None:
        await asyncio.sleep(3600)

    async def broken(news: dict[str, Any]) -> None:
        raise RuntimeError("socket gone")

    fine, heard = _heard_by(room, 1, "fine")
    loop = asyncio.get_running_loop()
    with room.listening(1, "stuck", stuck), room.listening(1, "broken", broken), fine:
        began = loop.time()
        room.tell(1, None, {"type": "elsewhere", "said": "hi"})
        told_in = loop.time() - began
        with caplog.at_level(logging.WARNING, logger="os1.server.news"):
            await room.quiet()
        waited = loop.time() - began
    assert told_in < 0.05  # the turn goes on at once
    assert heard == [{"type": "elsewhere", "said": "hi"}]
    assert waited < 2.0  # the stuck socket was given up on
    assert "socket gone" in caplog.text


async def test_news_goes_to_the_fleet_too_and_a_publish_failure_is_noted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    room = Newsroom()
    published: list[tuple[int, str, dict[str, Any]]] = []

    async def publish(account: int, origin: str, news: dict[str, Any]) -> None:
        published.append((account, origin, news))
        if len(published) > 1:
            raise ConnectionError("redis went away")

    room.publish = publish
    with caplog.at_level(logging.WARNING, logger="os1.server.news"):
        room.tell(3, "tab-9", {"said": "a"})
        room.tell(3, None, {"said": "b"})
        await room.quiet()
    assert published == [(3, "tab-9", {"said": "a"}), (3, "", {"said": "b"})]
    assert "redis went away" in caplog.text
