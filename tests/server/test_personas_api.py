"""Personas over HTTP: a person builds one from their own uploaded writing, sees it with
its sources, talks with it over REST and /v1 (``persona:NAME``), and forgets it; another
person never sees it, and a missing consent or source gets a clear 4xx."""

from __future__ import annotations

from serving import AppClient

ESSAY = b"""Title: Notes on Walking
Author: Ada Brook

I think that a walk in the rain is the best cure for a crowded mind, and I believe the
river teaches patience better than any book. We must learn to wander without a purpose.
"""


def test_a_persona_is_built_talked_with_and_forgotten_by_its_person_only(
    client: AppClient,
) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    stored = client.put("/api/files/walking.txt", content=ESSAY, headers=ada.headers)
    assert stored.status_code == 201, stored.text
    path = stored.json()["path"]
    built = client.post("/api/personas", json={"name": "brook", "paths": [path]},
                        headers=ada.headers)  # fmt: skip
    assert built.status_code == 201, built.text
    card = built.json()
    assert card["writer"] == "Ada Brook" and card["sources"][0]["title"] == "Notes on Walking"
    assert "reconstruction of Ada Brook" in card["self_description"]

    client.model.enqueue("The river is patient, and so must we be [1].")
    said = client.post("/api/personas/brook/messages", json={"text": "What does the river teach?"},
                       headers=ada.headers)  # fmt: skip
    assert said.status_code == 200, said.text
    reply = said.json()
    assert reply["reply"].startswith("The river is patient") and reply["sources"]
    assert "river teaches patience" in " ".join(reply["sources"][0]["text"].split())
    history = client.get("/api/personas/brook/messages", headers=ada.headers).json()
    assert [m["role"] for m in history["messages"]] == ["user", "persona"]

    models = client.get("/v1/models", headers=ada.headers).json()["data"]
    assert {m["id"] for m in models} == {"os1", "talk", "persona:brook"}
    client.model.enqueue("Walk, and the mind clears [1].")
    completion = client.post(
        "/v1/chat/completions",
        json={"model": "persona:brook", "messages": [{"role": "user", "content": "Why walk?"}]},
        headers=ada.headers,
    )
    assert completion.status_code == 200, completion.text
    assert completion.json()["choices"][0]["message"]["content"].startswith("Walk, and the mind")

    for theirs in ("/api/personas/brook", "/api/personas/brook/messages"):
        assert client.get(theirs, headers=bob.headers).status_code == 404
    assert client.get("/api/personas", headers=bob.headers).json() == {"personas": []}
    assert {m["id"] for m in client.get("/v1/models", headers=bob.headers).json()["data"]} == {
        "os1",
        "talk",
    }
    stranger = client.post(
        "/v1/chat/completions",
        json={"model": "persona:brook", "messages": [{"role": "user", "content": "hi"}]},
        headers=bob.headers,
    )
    assert stranger.status_code == 404

    gone = client.delete("/api/personas/brook", headers=ada.headers)
    assert gone.status_code == 200 and gone.json() == {"name": "brook", "books_removed": 1}
    assert client.get("/api/personas/brook", headers=ada.headers).status_code == 404


def test_bad_builds_get_clear_answers(client: AppClient) -> None:
    ada = client.person("ada")
    path = client.put("/api/files/w.txt", content=ESSAY, headers=ada.headers).json()["path"]
    person = client.post("/api/personas", json={"name": "lena", "paths": [path],
                                                "kind": "person"}, headers=ada.headers)  # fmt: skip
    assert person.status_code == 422
    assert person.json()["error"]["code"] == "persona_no_consent"
    beyond = client.post("/api/personas", json={"name": "x", "paths": ["/etc/passwd"]},
                         headers=ada.headers)  # fmt: skip
    assert beyond.status_code == 422 and beyond.json()["error"]["code"] == "persona_no_sources"
    taken = client.post("/api/personas", json={"name": "ada", "paths": [path]},
                        headers=ada.headers)  # fmt: skip
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "persona_name_taken"
    odd = client.post("/api/personas", json={"name": "a/b", "paths": [path], "kind": "robot"},
                      headers=ada.headers)  # fmt: skip
    assert odd.status_code == 422
    empty = client.post("/api/personas/x/messages", json={"text": ""}, headers=ada.headers)
    assert empty.status_code == 422
