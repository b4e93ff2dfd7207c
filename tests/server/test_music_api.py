"""Music over HTTP: each person composes, lists, downloads and forgets only their own
pieces; absurd requests get clear 4xx answers."""

from __future__ import annotations

import time

from serving import AppClient

from os1.memory.episodes import NewEpisode

CHOICE = {
    "mood": "bright",
    "mode": "major",
    "key_and_tempo_reason": "A sunny walk by the water",
    "tempo": 112,
    "meter": "3/4",
    "form": "ABA",
    "register": "middle",
    "density": "busy",
    "articulation": "detached",
    "instrument": "flute",
    "instrument_reason": "Birds sang all along the river",
}


def test_a_piece_is_composed_listed_played_and_forgotten_by_its_person_only(
    client: AppClient,
) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    store = client.portal.call(lambda: client.services.companion.db.user("ada"))  # type: ignore[union-attr]
    memory = client.services.companion.memory
    assert memory is not None
    said = [
        NewEpisode("user", "Walked along the river with Jonas, the sun out at last.", time.time())
    ]
    client.portal.call(lambda: memory.record(store, said))  # type: ignore[union-attr]
    client.model.enqueue(CHOICE)
    made = client.post(
        "/api/music", json={"about": "the river walk with Jonas"}, headers=ada.headers
    )
    assert made.status_code == 201, made.text
    piece = made.json()
    assert piece["key"] == "C major"  # the key of JONAS's first note: J runs on to C
    assert piece["instrument"] == "flute" and piece["tempo"] == 112
    assert [m["text"] for m in piece["memories"]] == [said[0].text]
    assert {"piece.ogg", "piece.pdf", "piece.mid", "why.txt"} <= set(piece["files"])
    url = f"/api/music/{piece['id']}"
    listed = client.get("/api/music", headers=ada.headers).json()["pieces"]
    assert [p["id"] for p in listed] == [piece["id"]]
    ogg = client.get(f"{url}/piece.ogg", headers=ada.headers)
    assert ogg.status_code == 200 and ogg.headers["content-type"] == "audio/ogg"
    assert ogg.content[:4] == b"OggS"
    score = client.get(f"{url}/piece.pdf", headers=ada.headers)
    assert score.status_code == 200 and score.content[:5] == b"%PDF-"
    assert client.get(f"{url}/why.txt", headers=ada.headers).text == piece["why"]
    for theirs in (f"{url}", f"{url}/piece.ogg"):
        assert client.get(theirs, headers=bob.headers).status_code == 404  # not bob's
    assert client.get(f"{url}/../../etc", headers=ada.headers).status_code == 404
    assert client.get(f"{url}/secret.txt", headers=ada.headers).status_code == 404
    assert client.delete(url, headers=bob.headers).status_code == 404
    assert client.delete(url, headers=ada.headers).status_code == 204
    assert client.get(url, headers=ada.headers).status_code == 404


def test_absurd_requests_are_told_before_any_work(client: AppClient) -> None:
    ada = client.person("ada")
    for body, code in (
        ({"about": "rain", "tempo": 2000}, "music_tempo"),
        ({"about": "rain", "key": "H minor"}, "music_key"),
        ({"about": "rain", "instrument": "kazoo army"}, "music_instrument"),
        ({}, "music_about_empty"),
        ({"memory": "f424242"}, "music_memory_unknown"),
        ({"about": "x" * 501}, None),
    ):
        done = client.post("/api/music", json=body, headers=ada.headers)
        assert 400 <= done.status_code < 500, done.text
        if code:
            assert done.json()["error"]["code"] == code, done.text
    assert client.get("/api/music", headers=ada.headers).json()["pieces"] == []
