"""The library over HTTP: each person brings books, searches and reads only their own;
a path beyond their files, a bad query or a missing book gets a clear 4xx."""

from __future__ import annotations

from serving import AppClient

BOOK = b"""Title: The Lighthouse
Author: A. Keeper

*** START OF THE PROJECT GUTENBERG EBOOK THE LIGHTHOUSE ***

CHAPTER I. The Lamp.

Every night the keeper climbed the hundred steps and lit the great lamp.
"""


def test_a_book_is_brought_searched_read_and_removed_by_its_person_only(
    client: AppClient,
) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    added = client.put("/api/library/files/lighthouse.txt", content=BOOK, headers=ada.headers)
    assert added.status_code == 201, added.text
    (book,) = added.json()["added"]
    assert book["title"] == "The Lighthouse" and book["passages"] == 1

    found = client.get("/api/library/search", params={"q": "keeper lamp"}, headers=ada.headers)
    (hit,) = found.json()["hits"]
    assert hit["chapter"] == "CHAPTER I. The Lamp." and "hundred steps" in hit["text"]
    url = f"/api/library/{hit['book']}"
    read = client.get(
        f"{url}/text", params={"start": hit["start"], "end": hit["end"]}, headers=ada.headers
    ).json()
    assert read["text"] == hit["text"]
    place = client.get("/api/library/where", params={"title": "lighthouse"}, headers=ada.headers)
    assert place.status_code == 200, place.text
    assert place.json()["at"] == hit["end"] and "The Lighthouse" in place.json()["said"]
    nowhere = client.get("/api/library/where", params={"title": "lighthouse"}, headers=bob.headers)
    assert nowhere.status_code == 404
    assert client.get(url, headers=ada.headers).json()["author"] == "A. Keeper"
    client.model.enqueue({"answer": "To keep the ships safe.", "sources": [1]})
    asked = client.post(
        "/api/library/ask", json={"question": "Why the great lamp?"}, headers=ada.headers
    )
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer["known"] and answer["answer"] == "To keep the ships safe."
    assert answer["quotes"][0]["text"] in hit["text"] and answer["unverified"] == 0
    listed = client.get("/api/library", headers=ada.headers).json()["books"]
    assert [b["title"] for b in listed] == ["The Lighthouse"]

    assert client.get("/api/library/search", params={"q": "keeper"}, headers=bob.headers).json()[
        "hits"
    ] == []  # fmt: skip
    for theirs in (url, f"{url}/text"):
        assert client.get(theirs, headers=bob.headers).status_code == 404
    assert client.delete(url, headers=bob.headers).status_code == 404

    assert client.delete(url, headers=ada.headers).status_code == 204
    assert client.get(url, headers=ada.headers).status_code == 404
    again = client.get("/api/library/search", params={"q": "keeper"}, headers=ada.headers)
    assert again.json()["hits"] == []


def test_bad_requests_get_clear_answers(client: AppClient) -> None:
    ada = client.person("ada")
    beyond = client.post("/api/library", json={"paths": ["/etc"]}, headers=ada.headers)
    assert beyond.status_code == 200, beyond.text
    assert [s["code"] for s in beyond.json()["skipped"]] == ["outside_your_files"]
    assert client.post("/api/library", json={"paths": []}, headers=ada.headers).status_code == 422
    empty = client.get("/api/library/search", params={"q": "  "}, headers=ada.headers)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "library_empty_query"
    huge = client.get("/api/library/search", params={"q": "x" * 5000}, headers=ada.headers)
    assert huge.status_code == 422
    binary = client.put(
        "/api/library/files/photo.txt", content=b"\x00\x01" * 500, headers=ada.headers
    )
    assert binary.json()["skipped"][0]["code"] == "library_binary"
    assert client.get("/api/library/12345", headers=ada.headers).status_code == 404
    blank = client.post("/api/library/ask", json={"question": ""}, headers=ada.headers)
    assert blank.status_code == 422
    assert client.get("/api/library", headers={}).status_code == 401
