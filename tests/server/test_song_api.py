"""Songs over HTTP: each person writes, revises, downloads and forgets only their own
songs; bad requests get clear 4xx answers."""

from __future__ import annotations

import shutil

import pytest
from serving import AppClient

from conftest import missing_component

WORDS = {
    "title": "Snow on the River",
    "mood": "bright",
    "mode": "major",
    "tempo": 100,
    "verse_1": [
        "Jonas walking by the river side",
        "all the morning snow was falling down",
        "every footstep left a little trace",
        "on the way along the sleeping town",
    ],
    "chorus": [
        "Oh the river, oh the falling snow",
        "every flake a word we never said",
        "Jonas laughing as the water ran",
        "all the sky was silver overhead",
    ],
    "verse_2": [
        "Now the winter's over, Jonas, come",
        "walk the river with me one more day",
        "every step a little closer home",
        "all the snow has long since gone away",
    ],
}


@pytest.fixture(autouse=True)
def _tools() -> None:
    for tool in ("espeak-ng", "lilypond", "fluidsynth"):
        if not shutil.which(tool):
            missing_component(f"{tool} is not installed")


def test_a_song_is_written_revised_and_forgotten_by_its_person_only(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    client.model.enqueue(WORDS)
    made = client.post("/api/songs", json={"about": "snow by the river"}, headers=ada.headers)
    assert made.status_code == 201, made.text
    song = made.json()
    assert song["title"] == "Snow on the River" and song["key"] == "D major"  # RIVER: R is D
    assert song["lyrics"]["chorus"][0] == "Oh the river, oh the falling snow"
    url = f"/api/songs/{song['id']}"
    svg = client.get(f"{url}/chords.svg", headers=ada.headers)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count('class="chord"') >= 3
    lead = client.get(f"{url}/lead.pdf", headers=ada.headers)
    assert lead.status_code == 200 and lead.content[:5] == b"%PDF-"
    ogg = client.get(f"{url}/song.ogg", headers=ada.headers)
    assert ogg.status_code == 200 and ogg.content[:4] == b"OggS"
    words = client.get(f"{url}/song.txt", headers=ada.headers).text
    assert "[Verse 1]" in words and words.splitlines()[4].startswith("D ")  # chords over words
    happier = client.post(
        f"{url}/revisions", json={"change": "in A minor, make the chorus happier"},
        headers=ada.headers,
    )  # fmt: skip
    assert happier.status_code == 201, happier.text
    again = happier.json()
    assert again["key"] == "A minor" and again["chorus_mode"] == "major"
    assert again["revised_from"] == song["id"] and again["changes"]
    listed = client.get("/api/songs", headers=ada.headers).json()["songs"]
    assert [s["id"] for s in listed] == [again["id"], song["id"]]
    for theirs in (url, f"{url}/song.ogg"):
        assert client.get(theirs, headers=bob.headers).status_code == 404  # not bob's
    assert client.post(f"{url}/revisions", json={"change": "slower"}, headers=bob.headers
                       ).status_code == 404  # fmt: skip
    assert client.get(f"{url}/../../etc/passwd", headers=ada.headers).status_code == 404
    assert client.get(f"{url}/secret.txt", headers=ada.headers).status_code == 404
    assert client.delete(url, headers=ada.headers).status_code == 204
    assert client.get(url, headers=ada.headers).status_code == 404


def test_bad_song_requests_are_told(client: AppClient) -> None:
    ada = client.person("ada")
    for body, code in (
        ({}, "music_about_empty"),
        ({"memory": "f424242"}, "music_memory_unknown"),
        ({"about": "x" * 501}, None),
        ({"about": "rain", "tempo": 90}, None),  # not a field a song takes
    ):
        done = client.post("/api/songs", json=body, headers=ada.headers)
        assert 400 <= done.status_code < 500, done.text
        if code:
            assert done.json()["error"]["code"] == code, done.text
    for change, status in (("slower", 404), ("", 422), ("x" * 201, 422)):
        done = client.post("/api/songs/7/revisions", json={"change": change}, headers=ada.headers)
        assert done.status_code == status, done.text
    assert client.get("/api/songs", headers=ada.headers).json()["songs"] == []
