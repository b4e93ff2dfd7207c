"""The WebSocket chat door: streamed replies, stop, one turn at a time with the rest
waiting in order, proposals, the server's line."""

from __future__ import annotations

import threading
from typing import Any

from serving import AppClient
from starlette.testclient import WebSocketTestSession

from os1.server.ws import MAX_WAITING
from os1.store import open_store
from os1.store.accounts import Accounts


def _until(ws: WebSocketTestSession, kind: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while True:
        message = ws.receive_json()
        seen.append(message)
        if message["type"] == kind:
            return seen


def test_say_streams_the_reply_and_keeps_it(client: AppClient) -> None:
    ada = client.person("ada")
    client.model.enqueue("Good morning to you, Ada.")
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["user"] == "ada"
        assert hello["live_conversations"] == 1
        ws.send_json({"type": "say", "text": "good morning"})
        seen = _until(ws, "turn_finished")
    deltas = "".join(m["text"] for m in seen if m["type"] == "text_delta")
    assert deltas == "Good morning to you, Ada." == seen[-1]["text"]
    history = client.get("/api/history", headers=ada.headers).json()
    assert [(h["role"], h["text"]) for h in history] == [
        ("user", "good morning"),
        ("assistant", "Good morning to you, Ada."),
    ]


def test_stop_mid_reply_keeps_what_was_said_and_what_waits_is_answered(
    client: AppClient,
) -> None:
    ada = client.person("ada")
    client.model.delay = 0.05
    client.model.enqueue(" ".join(f"word{i}" for i in range(200)), "Another one, then.")
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        ws.receive_json()
        ws.send_json({"type": "say", "text": "tell me a long story", "id": "a"})
        assert _until(ws, "accepted")[-1] == {"type": "accepted", "id": "a", "waiting": 0}
        _until(ws, "text_delta")
        ws.send_json({"type": "say", "text": "and another", "id": "b"})
        assert _until(ws, "accepted")[-1] == {"type": "accepted", "id": "b", "waiting": 1}
        ws.send_json({"type": "stop"})
        finished = _until(ws, "turn_finished")[-1]
        assert _until(ws, "say_started")[-1]["id"] == "b"
        second = _until(ws, "turn_finished")[-1]
    assert finished["interrupted"] and 0 < len(finished["text"].split()) < 200
    assert second["text"] == "Another one, then." and not second["interrupted"]
    history = client.get("/api/history", headers=ada.headers).json()
    assert [(h["role"], h["status"]) for h in history] == [
        ("user", "complete"),
        ("assistant", "interrupted"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert history[1]["text"] == finished["text"] and history[2]["text"] == "and another"


def test_what_waits_is_bounded_and_a_refusal_says_why(client: AppClient) -> None:
    ada = client.person("ada")
    client.model.delay = 0.05
    client.model.enqueue(" ".join(f"word{i}" for i in range(400)))
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        ws.receive_json()
        ws.send_json({"type": "say", "text": "a long one", "id": "first"})
        _until(ws, "text_delta")
        for n in range(MAX_WAITING):
            ws.send_json({"type": "say", "text": f"then {n}", "id": f"w{n}"})
            assert _until(ws, "accepted")[-1]["waiting"] == n + 1
        ws.send_json({"type": "say", "text": "one too many", "id": "late"})
        refused = _until(ws, "refused")[-1]
        assert refused["id"] == "late" and refused["code"] == "too_many_waiting"
        assert refused["message"] and refused["hint"]
        ws.send_json({"type": "say", "text": "x", "id": 12})
        assert _until(ws, "error")[-1]["code"] == "invalid_message"


def test_confirming_a_proposal_over_the_socket(client: AppClient) -> None:
    ada = client.person("ada")
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        ws.receive_json()
        ws.send_json({"type": "say", "text": "/remember the boat is called Marlow"})
        seen = _until(ws, "turn_finished")
        proposal = next(m for m in seen if m["type"] == "proposal")
        assert "Marlow" in proposal["preview"]
        ws.send_json({"type": "confirm", "proposal_id": proposal["proposal_id"]})
        action = _until(ws, "action")[-1]
        assert action["status"] == "done"
        ws.send_json({"type": "confirm", "proposal_id": "1; DROP TABLE"})
        assert _until(ws, "error")[-1]["code"] == "invalid_message"


def test_a_second_person_waits_in_line_and_hears_their_place(
    client: AppClient,
) -> None:
    client.services.gate.limit = 1  # like the local model: one turn at a time
    ada, bob = client.person("ada"), client.person("bob")
    client.model.delay = 0.02
    client.model.enqueue(" ".join(["la"] * 120), "Your turn now, Bob.")
    with client.websocket_connect("/ws", headers=ada.headers) as first:
        first.receive_json()  # ada is in (her hello comes once she is counted)
        with client.websocket_connect("/ws", headers=bob.headers) as second:
            assert second.receive_json()["live_conversations"] == 2
            first.send_json({"type": "say", "text": "sing"})
            _until(first, "text_delta")
            second.send_json({"type": "say", "text": "hello?"})
            waited = _until(second, "turn_finished")
            finished_first = threading.Thread(target=_until, args=(first, "turn_finished"))
            finished_first.start()
            finished_first.join(timeout=10)
    assert {"type": "queued", "position": 1} in waited
    assert waited[-1]["text"] == "Your turn now, Bob."


def test_one_persons_second_tab_waits_for_the_first_tabs_turn(client: AppClient) -> None:
    """Two turns of one conversation never run at once, even with the model free: the
    second tab is told it waits, and its reply follows the first tab's."""
    client.services.gate.limit = 8
    ada = client.person("ada")
    client.model.delay = 0.02
    client.model.enqueue(" ".join(["la"] * 60), "And now the second.")
    with client.websocket_connect("/ws", headers=ada.headers) as one:
        one.receive_json()
        with client.websocket_connect("/ws", headers=ada.headers) as two:
            two.receive_json()
            one.send_json({"type": "say", "text": "sing"})
            _until(one, "text_delta")
            two.send_json({"type": "say", "text": "and then?"})
            waited = _until(two, "turn_finished")
            first = _until(one, "turn_finished")
    assert {"type": "queued", "position": 1} in waited
    assert waited[-1]["text"] == "And now the second."
    assert first[-1]["text"].startswith("la la")


def _quiet_until_pong(ws: WebSocketTestSession) -> list[dict[str, Any]]:
    """What the socket is sent before the answer to a ping now sent."""
    ws.send_json({"type": "ping"})
    return _until(ws, "pong")[:-1]


def test_a_turn_in_one_tab_shows_in_the_persons_other_tabs_only(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    client.model.enqueue("Hello from the first tab.")
    with (
        client.websocket_connect("/ws", headers=ada.headers) as one,
        client.websocket_connect("/ws", headers=ada.headers) as two,
        client.websocket_connect("/ws", headers=bob.headers) as bobs,
    ):
        for ws in (one, two, bobs):
            ws.receive_json()
        one.send_json({"type": "say", "text": "hi from tab one"})
        started = next(m for m in _until(one, "turn_finished") if m["type"] == "turn_started")
        news = _until(two, "elsewhere")[-1]
        assert news["said"] == "hi from tab one"
        assert news["reply"] == "Hello from the first tab."
        assert news["conversation_id"] == started["conversation_id"]
        assert news["turn_id"] == started["turn_id"] and news["interrupted"] is False
        assert _quiet_until_pong(one) == []  # the tab it came from has it already
        assert _quiet_until_pong(bobs) == []  # and nobody else hears of it


def test_a_turn_through_the_openai_api_shows_in_the_open_tab(client: AppClient) -> None:
    ada = client.person("ada")
    client.model.enqueue("Answered through the API.")
    with client.websocket_connect("/ws", headers=ada.headers) as tab:
        tab.receive_json()
        answer = client.post(
            "/v1/chat/completions",
            headers=ada.headers,
            json={"model": "os1", "messages": [{"role": "user", "content": "from a script"}]},
        )
        assert answer.status_code == 200, answer.text
        news = _until(tab, "elsewhere")[-1]
    assert (news["said"], news["reply"]) == ("from a script", "Answered through the API.")


def test_sockets_need_credentials_and_this_origin(client: AppClient) -> None:
    with client.websocket_connect("/ws") as ws:
        refused = ws.receive_json()
        assert refused["code"] == "unauthorized"
    ada = client.person("ada")
    headers = {**ada.headers, "origin": "http://evil.example"}
    with client.websocket_connect("/ws", headers=headers) as ws:
        assert ws.receive_json()["code"] == "forbidden"


def test_what_waits_never_runs_once_the_account_ended_elsewhere(client: AppClient) -> None:
    """Disabled by ``os1 users`` in another process (no signal reaches this one): a
    confirm still waiting in line is checked again before its turn, and never runs."""
    ada = client.person("ada")
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        ws.receive_json()
        ws.send_json({"type": "say", "text": "/remember the safe code is 1234"})
        proposal = next(m for m in _until(ws, "turn_finished") if m["type"] == "proposal")
        client.model.delay = 0.05
        client.model.enqueue(" ".join(f"word{i}" for i in range(60)))
        ws.send_json({"type": "say", "text": "a story first", "id": "a"})
        _until(ws, "text_delta")
        ws.send_json({"type": "confirm", "proposal_id": proposal["proposal_id"]})

        async def disable_elsewhere() -> None:
            settings = client.services.settings
            other = await open_store(settings.db_path, settings.database_url)
            try:
                await Accounts(other).set_disabled("ada", True)
            finally:
                await other.aclose()

        client.portal.call(disable_elsewhere)  # type: ignore[union-attr]
        seen = _until(ws, "error")
    assert seen[-1]["code"] == "account_ended"
    assert not any(m["type"] == "action" for m in seen)
    action = client.portal.call(_action_of, client, "ada", proposal["proposal_id"])  # type: ignore[union-attr]
    assert action.status == "proposed", "a confirm that waited ran for an ended account"


async def _action_of(client: AppClient, name: str, action_id: int) -> Any:
    return await client.services.companion.actions.get(name, action_id)
