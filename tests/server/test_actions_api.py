"""The action journal over HTTP: a person sees their own actions and undoes them; nobody
else can."""

from __future__ import annotations

from serving import AppClient, Person


def _remember_over_ws(client: AppClient, who: Person, text: str) -> int:
    """Say ``/remember text`` and confirm the proposal, as the web UI's buttons do."""
    with client.websocket_connect("/ws", headers=who.headers) as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"type": "say", "text": f"/remember {text}"})
        proposal = None
        while (event := ws.receive_json())["type"] != "turn_finished":
            proposal = event if event["type"] == "proposal" else proposal
        assert proposal is not None
        ws.send_json({"type": "confirm", "proposal_id": proposal["proposal_id"]})
        while (event := ws.receive_json())["type"] != "action":
            pass
        assert event["status"] == "done"
        return int(proposal["proposal_id"])


def test_the_journal_lists_actions_and_undo_reverts_them(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    action = _remember_over_ws(client, ada, "the spare key is in the blue pot")
    listed = client.get("/api/actions", headers=ada.headers).json()
    assert [(a["id"], a["status"], a["can_undo"]) for a in listed] == [(action, "done", True)]
    assert listed[0]["why"] == "/remember the spare key is in the blue pot"
    assert "blue pot" in listed[0]["preview"]

    assert client.get("/api/actions", headers=bob.headers).json() == []
    stranger = client.post(f"/api/actions/{action}/undo", headers=bob.headers)
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "not_found"

    undone = client.post(f"/api/actions/{action}/undo", headers=ada.headers)
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    again = client.post(f"/api/actions/{action}/undo", headers=ada.headers)
    assert again.status_code == 409 and "it is undone" in again.json()["error"]["message"]
    assert client.get("/api/actions", headers=ada.headers).json()[0]["status"] == "undone"
    assert client.post("/api/actions/1/undo").status_code == 401  # signed out
